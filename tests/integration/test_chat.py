"""`wxops chat`: what a person sees of replies and of messages that arrive later."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from bot.chat import Chat, send_line, show_inbox_entry, show_reply, watch_arrivals
from bot.emulator import DEMO_APP_ID, DEMO_APP_SECRET
from bot.emulator.push import SYSTEM_NOTICE
from bot.emulator.server import start_in_thread
from bot.emulator.state import EmulatorConfig
from bot.tokens import fetch_stable_token
from tests.integration.clirun import Wxops
from tests.integration.emulator.talking import TOKEN, Receiver


def custom(text: str) -> str:
    """A customer-service text message as the chat shows it (show_inbox_entry)."""
    return show_inbox_entry({"kind": "custom", "payload": {"text": {"content": text}}})


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
    assert chat.arrivals() == [custom("周六见")]
    assert chat.arrivals() == []


def test_replies_and_inbox_entries_read_like_wechat() -> None:
    text = ("<xml><ToUserName><![CDATA[o]]></ToUserName><MsgType><![CDATA[text]]></MsgType>"
            "<Content><![CDATA[你的留言已收到]]></Content></xml>")
    assert show_reply(text) == "你的留言已收到"
    assert custom("周六见") == "[客服消息] 周六见"
    assert show_reply("success") == "（没有回复）"
    news = ("<xml><MsgType><![CDATA[news]]></MsgType><Articles><item><Title><![CDATA[活动]]>"
            "</Title><Url><![CDATA[https://x.org/a]]></Url></item></Articles></xml>")
    assert show_reply(news) == "[图文] 活动 https://x.org/a"
    template = {"kind": "template", "payload": {"template_id": "T", "data": {
        "first": {"value": "wxops 通知"}, "keyword1": {"value": "【待审核】稿件 3"}}}}
    assert show_inbox_entry(template) == "[模板消息] wxops 通知 【待审核】稿件 3"
    preview = {"kind": "preview", "payload": {"media_id": "m1", "articles": [  # as the emulator
        {"title": "冬季助学", "digest": "", "content": "<p>招募 &amp; 培训</p><p>第二段</p>"}]}}
    assert show_inbox_entry(preview) == "[预览] 《冬季助学》招募 & 培训 第二段（正文 8 字）"
    mass = {"kind": "mass", "payload": {"msg_id": 1, "media_id": "m1", "articles": [
        {"title": "冬季助学", "digest": "寒假辅导", "content": "<p>x</p>"}]}}
    assert show_inbox_entry(mass) == "[群发] 《冬季助学》寒假辅导（正文 1 字）"


def _custom(emulator: str, openid: str, text: str) -> None:
    token = fetch_stable_token(emulator, DEMO_APP_ID, DEMO_APP_SECRET, False)[0]
    requests.post(f"{emulator}/cgi-bin/message/custom/send", params={"access_token": token},
                  json={"touser": openid, "msgtype": "text", "text": {"content": text}},
                  timeout=5)


def test_what_arrived_while_no_chat_was_open_is_shown_by_the_next(
        emulator: str, tmp_path: Path) -> None:
    from bot.chat import ChatMemory

    requests.post(f"{emulator}/_emulator/send", json={"openid": "o_fan", "text": "你好"},
                  timeout=5)
    memory = ChatMemory(tmp_path / "chat-seen.json")
    _custom(emulator, "o_fan", "开chat之前的旧消息")
    first = Chat(emulator, "o_fan", memory=memory)
    assert first.show_missed() == []  # the first chat ever: nothing is "since last time"
    _custom(emulator, "o_fan", "聊天时收到")
    assert first.arrivals() == [custom("聊天时收到")]
    _custom(emulator, "o_fan", "退回：标题太长")  # while no chat is open
    _custom(emulator, "o_fan", "【已发布】稿件 3")
    later = Chat(emulator, "o_fan", memory=memory)
    assert later.show_missed() == [custom("退回：标题太长"), custom("【已发布】稿件 3")]
    assert later.arrivals() == []
    assert Chat(emulator, "o_fan", memory=memory).show_missed() == []  # shown once
    assert Chat(emulator, "o_other", memory=memory).show_missed() == []  # per person


def test_an_unreachable_emulator_is_one_clear_line() -> None:
    from bot.chat import ChatError

    for url in ("http://127.0.0.1:9", "nonsense"):
        with pytest.raises(ChatError) as failed:
            Chat(url, "o_fan", timeout=1)
        assert (failed.value.code, failed.value.data["url"]) == ("unreachable", url)
        assert failed.value.data["why"] in ("refused", "bad_url")
        message = failed.value.format_message()
        assert "连不上微信模拟器" in message and "\n" not in message  # the catalogue's words
        assert not any(w in message for w in ("HTTPConnectionPool", "Errno", "Invalid URL"))


def test_an_emulator_restart_is_reported_and_waited_out() -> None:
    """`make run` stopped and started again under an open chat: the chat says so
    once, carries on, and shows what arrives after the restart."""
    url, stop = start_in_thread()
    port = int(url.rsplit(":", 1)[1])
    chat = Chat(url, "o_fan", timeout=1)
    shown: list[str] = []
    stopped = threading.Event()
    watcher = threading.Thread(target=watch_arrivals, args=(chat, stopped, shown.append))
    stop()
    watcher.start()
    _until(lambda: any("连不上微信模拟器" in line for line in shown))
    assert "（没有发出：" in send_line(chat, "在吗")  # typing meanwhile is not fatal either
    url, stop = start_in_thread(port=port)
    try:
        _until(lambda: any("已重新连上" in line for line in shown))
        token = fetch_stable_token(url, DEMO_APP_ID, DEMO_APP_SECRET, False)[0]
        requests.post(f"{url}/_emulator/send", json={"openid": "o_fan", "text": "你好"},
                      timeout=5)  # the new platform knows the follower again
        chat.seen = 0
        requests.post(f"{url}/cgi-bin/message/custom/send", params={"access_token": token},
                      json={"touser": "o_fan", "msgtype": "text", "text": {"content": "回来了"}},
                      timeout=5)
        _until(lambda: "\n" + custom("回来了") in shown)
    finally:
        stopped.set()
        watcher.join(timeout=5)
        stop()
    assert sum("连不上微信模拟器" in line for line in shown) == 1


def _until(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_click_without_a_key_is_a_hint_not_a_push(emulator: str) -> None:
    chat = Chat(emulator, "o_fan")
    assert chat.say("/click") == "（用法：/click KEY，例如 /click CONTACT）"


def test_a_misspelt_name_is_said_and_an_empty_message_refused(
        emulator: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    wxops = Wxops(monkeypatch, capsys, tmp_path,
                  WXOPS_DATABASE_URL=f"sqlite:///{tmp_path / 'chat.db'}")
    assert wxops("db", "upgrade").status == 0
    typo = wxops("chat", "--as", "reviwer", "--send", "你好", "--emulator", emulator)
    assert typo.status == 0
    assert "没有名为“reviwer”的成员：以 openid 为“reviwer”的粉丝身份聊天" in typo.err
    empty = wxops("chat", "--as", "follower", "--send", " ", "--emulator", emulator)
    assert empty.status == 2 and "微信不能发送空消息" in empty.err
    assert "Traceback" not in empty.err
    # A number is a member's (README: Command line), never taken as a follower's openid.
    unknown = wxops("chat", "--as", "999", "--send", "你好", "--emulator", emulator)
    assert (unknown.status, unknown.code, dict(unknown.data)) == (
        1, "member_not_found", {"member": "999"})
    too_big = wxops("chat", "--as", "99999999999", "--send", "你好", "--emulator", emulator)
    assert (too_big.status, too_big.code) == (2, "not_a_member")


def test_a_message_the_platform_will_not_send_says_why(emulator: str) -> None:
    chat = Chat(emulator, "o_gone")
    chat.say("/unsubscribe")
    assert chat.say("还在吗") == (
        "（没有发出：该用户已取消关注，不能给公众号发消息（先 /subscribe 重新关注））")


def test_a_reply_too_long_for_wechat_shows_what_the_person_would_see() -> None:
    receiver = Receiver()  # answers 收到：TEXT
    url, stop = start_in_thread(EmulatorConfig(token=TOKEN, push_to=receiver.url))
    try:
        chat = Chat(url, "o_fan")
        assert chat.say("短") == "收到：短"
        shown = chat.say("长" * 700)
        assert shown.startswith(f"[微信提示] {SYSTEM_NOTICE}") and "2109 bytes" in shown
    finally:
        stop()
        receiver.stop()


def test_chat_and_config_check_follow_the_ports_the_demo_runs_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`wxops run --port 8181 --emulator-port 9191`: chat and config check pointed at
    9090 (perhaps someone else's emulator). A file left by a demo that is gone is
    not believed."""
    from bot import demo
    from bot.chat import emulator_url

    url = f"sqlite:///{tmp_path / 'var' / 'wxops.db'}"
    assert emulator_url(url) == "http://127.0.0.1:9090"
    demo.record_run(url, demo.DemoRun("127.0.0.1", 8181, 9191))  # as `wxops run` does
    assert emulator_url(url) == "http://127.0.0.1:9191"
    checked = Wxops(monkeypatch, capsys, tmp_path, WXOPS_DATABASE_URL=url)("config", "check")
    assert "WXOPS_WECHAT_API_BASE=http://127.0.0.1:9191" in checked.out
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    demo.run_file(url).write_text(demo.run_file(url).read_text().replace(
        f'"pid": {os.getpid()}', f'"pid": {gone.stdout.strip()}'))
    assert demo.running(url) is None and emulator_url(url) == "http://127.0.0.1:9090"
