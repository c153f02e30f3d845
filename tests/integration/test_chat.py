"""`wxops chat`: what a person sees of replies and of messages that arrive later."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from bot.chat import Chat, show_inbox_entry, show_reply
from bot.emulator import DEMO_APP_ID, DEMO_APP_SECRET
from bot.emulator.server import start_in_thread
from bot.tokens import fetch_stable_token


@pytest.fixture
def emulator() -> Iterator[str]:
    url, stop = start_in_thread()
    yield url
    stop()


def test_messages_sent_later_are_printed_as_they_arrive(emulator: str) -> None:
    requests.post(f"{emulator}/_emulator/send", json={"openid": "o_fan", "text": "你好"},
                  timeout=5)
    chat = Chat(emulator, "o_fan")
    assert chat.arrivals() == []
    token = fetch_stable_token(emulator, DEMO_APP_ID, DEMO_APP_SECRET, False)[0]
    requests.post(f"{emulator}/cgi-bin/message/custom/send", params={"access_token": token},
                  json={"touser": "o_fan", "msgtype": "text", "text": {"content": "周六见"}},
                  timeout=5)
    assert chat.arrivals() == ["[客服消息] 周六见"]
    assert chat.arrivals() == []


def test_replies_and_inbox_entries_read_like_wechat() -> None:
    text = ("<xml><ToUserName><![CDATA[o]]></ToUserName><MsgType><![CDATA[text]]></MsgType>"
            "<Content><![CDATA[你的留言已收到]]></Content></xml>")
    assert show_reply(text) == "你的留言已收到"
    assert show_reply("success") == "（没有回复）"
    news = ("<xml><MsgType><![CDATA[news]]></MsgType><Articles><item><Title><![CDATA[活动]]>"
            "</Title><Url><![CDATA[https://x.org/a]]></Url></item></Articles></xml>")
    assert show_reply(news) == "[图文] 活动 https://x.org/a"
    template = {"kind": "template", "payload": {"template_id": "T", "data": {
        "first": {"value": "wxops 通知"}, "keyword1": {"value": "【待审核】稿件 3"}}}}
    assert show_inbox_entry(template) == "[模板消息] wxops 通知 【待审核】稿件 3"
    preview = {"kind": "preview", "payload": {"mpnews": {"media_id": "m1"}}}
    assert show_inbox_entry(preview) == "[预览] 图文 media_id=m1"


def test_an_unreachable_emulator_is_one_clear_line() -> None:
    with pytest.raises(Exception, match="连不上微信模拟器"):
        Chat("http://127.0.0.1:9", "o_fan", timeout=1)
