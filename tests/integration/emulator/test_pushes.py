"""The emulator's pushes over real sockets: followers' messages relayed to a small
HTTP server started here, whose signatures we verify, and the results of publishing,
mass sends and template messages pushed when the job is done."""

from __future__ import annotations

import json
import time
from typing import Any

from bot.emulator import ACCOUNT_ID, SYSTEM_OPENID
from bot.emulator.push import PASSIVE_TEXT_MAX_BYTES, SYSTEM_NOTICE
from bot.emulator.server import start_in_thread
from bot.emulator.state import EmulatorConfig
from tests.integration.emulator.talking import (
    AES_KEY,
    FOLLOWER,
    TOKEN,
    Client,
    Receiver,
    custom,
    send_text,
)

# --- relaying followers' messages to the wxops server --------------------------------------


def test_send_pushes_signed_text_and_returns_the_reply(pushed: tuple[Client, Receiver]) -> None:
    wx, receiver = pushed
    first = send_text(wx, text="报名")
    second = send_text(wx, text="再问")
    assert first["status"] == 200 and first["reply"].endswith("<Content><![CDATA[收到：报名]]>"
                                                              "</Content></xml>")
    assert first["encrypted"] == (receiver.crypto is not None)
    assert first["msg_id"] != second["msg_id"]
    query, body = receiver.requests[0]
    message = receiver.open(query, body)
    assert query["openid"] == FOLLOWER
    assert message["ToUserName"] == ACCOUNT_ID and message["Content"] == "报名"
    assert message["MsgId"] == str(first["msg_id"])
    assert custom(wx) == 0  # the relayed message opened the window


def test_one_push_reaches_several_hosts_at_once(pushed: tuple[Client, Receiver]) -> None:
    """A retry landing on another host: the same signed request (query and body)
    at each host, one message recorded (one MsgId, the window opened once)."""
    wx, receiver = pushed
    other = Receiver("" if receiver.crypto is None else AES_KEY)
    try:
        hosts = [receiver.url, other.url]
        answer = wx.control("send", {"openid": FOLLOWER, "text": "报名", "hosts": hosts})
        assert [a["host"] for a in answer["answers"]] == hosts
        assert [a["status"] for a in answer["answers"]] == [200, 200]
        assert all(a["reply"].endswith("收到：报名]]></Content></xml>")
                   for a in answer["answers"])
        assert receiver.requests == other.requests and len(other.requests) == 1
        assert other.open(*other.requests[0])["MsgId"] == str(answer["msg_id"])
        assert custom(wx) == 0
    finally:
        other.stop()


def test_hosts_must_be_urls(wx: Client) -> None:
    for hosts in ([], ["ftp://x"], "http://a", [1]):
        status, answer = wx.request("POST", "/_emulator/send", json.dumps(
            {"openid": FOLLOWER, "text": "x", "hosts": hosts}).encode())
        assert status == 400 and "hosts" in answer["error"]


def test_the_server_may_call_the_api_while_answering(pushed: tuple[Client, Receiver]) -> None:
    wx, receiver = pushed
    receiver.emulator = wx
    wx.token()
    assert send_text(wx)["reply"] == "success"
    assert wx.custom_errcode == 0


def test_a_text_reply_over_the_platform_limit_is_not_shown(
        pushed: tuple[Client, Receiver]) -> None:
    """WeChat shows a passive text of at most 2047 bytes (UTF-8); over that the follower
    gets the platform's notice instead, and the push log says why."""
    wx, _receiver = pushed
    echoed = PASSIVE_TEXT_MAX_BYTES - len("收到：".encode())  # the receiver answers 收到：TEXT
    fits = send_text(wx, text="a" * echoed)
    over = send_text(wx, text="a" * (echoed + 1))
    assert fits["reply"].endswith("a]]></Content></xml>") and "notice" not in fits
    assert (over["status"], over["reply"], over["notice"]) == (200, None, SYSTEM_NOTICE)
    assert str(PASSIVE_TEXT_MAX_BYTES + 1) in over["error"]
    assert "a" * (echoed + 1) in over["refused_reply"]  # what the server sent, to inspect
    logged = wx.control("pushes", method="GET")
    assert [p["error"] for p in logged] == [None, over["error"]]


def test_send_events(pushed: tuple[Client, Receiver]) -> None:
    wx, receiver = pushed
    answer = wx.control("send", {"openid": FOLLOWER, "event": "subscribe", "key": "poster"})
    assert (answer["status"], answer["reply"]) == (200, "success")
    wx.control("send", {"openid": FOLLOWER, "event": "SCAN", "key": "42"})
    events = [receiver.open(*request) for request in receiver.requests]
    assert [(e["Event"], e["EventKey"]) for e in events] == [("subscribe", "qrscene_poster"),
                                                             ("SCAN", "42")]


def test_send_retries_an_error_status_as_wechat_does(pushed: tuple[Client, Receiver]) -> None:
    wx, receiver = pushed
    receiver.statuses = [503]
    answer = send_text(wx)
    assert (answer["status"], answer["attempts"]) == (200, 2)
    assert len(receiver.requests) == 2
    assert receiver.requests[0] == receiver.requests[1]  # the same request each time


def test_send_gives_up_after_three_error_statuses(pushed: tuple[Client, Receiver]) -> None:
    wx, receiver = pushed
    receiver.statuses = [500, 503, 502]
    answer = send_text(wx)
    assert (answer["status"], answer["attempts"]) == (502, 3)


# --- publishing -----------------------------------------------------------------------------


def test_publish_and_the_pushed_result(pushed: tuple[Client, Receiver]) -> None:
    wx, receiver = pushed
    media_id = wx.draft()
    submitted = wx.wx("/cgi-bin/freepublish/submit", {"media_id": media_id})
    publish_id = submitted["publish_id"]
    assert wx.wx("/cgi-bin/freepublish/get", {"publish_id": publish_id})["publish_status"] == 1
    assert wx.wx("/cgi-bin/draft/count", method="GET") == {"total_count": 0}
    receiver.wait_for(1)
    query, body = receiver.requests[0]
    event = receiver.open(query, body)
    assert (event["Event"], event["ToUserName"]) == ("PUBLISHJOBFINISH", ACCOUNT_ID)
    info = event["PublishEventInfo"]
    assert isinstance(info, dict)
    assert (info["publish_id"], info["publish_status"]) == (str(publish_id), "0")
    result = wx.wx("/cgi-bin/freepublish/get", {"publish_id": publish_id})
    assert result["publish_status"] == 0 and result["article_id"] == info["article_id"]
    assert result["article_detail"]["item"][0]["article_url"] == (
        info["article_detail"]["item"]["article_url"])
    article = wx.wx("/cgi-bin/freepublish/getarticle", {"article_id": result["article_id"]})
    assert article["news_item"][0]["title"] == "社区义诊"
    listed = wx.wx("/cgi-bin/freepublish/batchget", {"offset": 0, "count": 10, "no_content": 0})
    assert listed["total_count"] == 1
    delete = {"article_id": result["article_id"], "index": 0}
    assert wx.wx("/cgi-bin/freepublish/delete", delete)["errcode"] == 0
    assert wx.wx("/cgi-bin/freepublish/get", {"publish_id": publish_id})["publish_status"] == 5
    assert _logged(wx, 1)[0]["status"] == 200


def test_publish_push_is_retried_until_200(pushed: tuple[Client, Receiver]) -> None:
    wx, receiver = pushed
    receiver.statuses = [500, 503]
    wx.wx("/cgi-bin/freepublish/submit", {"media_id": wx.draft()})
    receiver.wait_for(3)
    assert _logged(wx, 1)[0]["attempts"] == 3
    assert len(receiver.requests) == 3
    assert receiver.requests[0][1] == receiver.requests[2][1]  # the same request each time


def test_injected_publish_failure(pushed: tuple[Client, Receiver]) -> None:
    wx, receiver = pushed
    wx.control("fail", {"publish_status": 4, "times": 1})
    media_id = wx.draft()
    publish_id = wx.wx("/cgi-bin/freepublish/submit", {"media_id": media_id})["publish_id"]
    receiver.wait_for(1)
    info = receiver.open(*receiver.requests[0])["PublishEventInfo"]
    assert isinstance(info, dict) and info["publish_status"] == "4"
    result = wx.wx("/cgi-bin/freepublish/get", {"publish_id": publish_id})
    assert result["publish_status"] == 4 and "article_id" not in result
    assert wx.wx("/cgi-bin/draft/count", method="GET") == {"total_count": 1}  # draft is back




# --- mass sends and template messages -------------------------------------------------------


def _pushed_events(receiver: Receiver, count: int) -> list[dict[str, object]]:
    receiver.wait_for(count)
    return [receiver.open(query, body) for query, body in receiver.requests]


def test_a_mass_send_is_reported_when_done(pushed: tuple[Client, Receiver]) -> None:
    wx, receiver = pushed
    for openid in ("o_a", "o_b"):
        wx.control("send", {"openid": openid, "event": "subscribe"})
    body = {"filter": {"is_to_all": True}, "mpnews": {"media_id": wx.draft()},
            "msgtype": "mpnews", "send_ignore_reprint": 0, "clientmsgid": "item-7-rev-2"}
    sent = wx.wx("/cgi-bin/message/mass/sendall", body)
    report = _pushed_events(receiver, 3)[-1]  # after the two subscribe events
    assert (report["Event"], report["FromUserName"]) == ("MASSSENDJOBFINISH", SYSTEM_OPENID)
    assert (report["MsgID"], report["Status"]) == (str(sent["msg_id"]), "send success")
    assert (report["TotalCount"], report["SentCount"], report["ErrorCount"]) == ("2", "2", "0")


def test_a_template_message_is_reported_from_its_recipient(
        pushed: tuple[Client, Receiver]) -> None:
    wx, receiver = pushed
    wx.control("send", {"openid": FOLLOWER, "event": "subscribe"})
    body = {"touser": FOLLOWER, "template_id": "T1", "data": {"first": {"value": "审核通过"}}}
    msgid = wx.wx("/cgi-bin/message/template/send", body)["msgid"]
    report = _pushed_events(receiver, 2)[-1]
    assert (report["Event"], report["FromUserName"]) == ("TEMPLATESENDJOBFINISH", FOLLOWER)
    assert (report["MsgID"], report["Status"]) == (str(msgid), "success")
    assert _logged_kinds(wx, 2) == ["subscribe", "TEMPLATESENDJOBFINISH"]


def _logged(wx: Client, count: int) -> list[dict[str, Any]]:
    """The emulator's push log; an entry is written once the receiver has answered."""
    deadline = time.monotonic() + 5
    while len(logged := wx.control("pushes", method="GET")) < count:
        assert time.monotonic() < deadline, logged
        time.sleep(0.01)
    return list(logged)


def _logged_kinds(wx: Client, count: int) -> list[str]:
    return [p["kind"] for p in _logged(wx, count)]


def test_a_reset_drops_results_not_pushed_yet() -> None:
    receiver = Receiver()
    url, stop = start_in_thread(EmulatorConfig(token=TOKEN, push_to=receiver.url,
                                               push_delay=0.3))
    try:
        wx = Client(url)
        wx.wx("/cgi-bin/freepublish/submit", {"media_id": wx.draft()})
        wx.control("reset")
        time.sleep(0.6)
        assert receiver.requests == [] and wx.control("pushes", method="GET") == []
    finally:
        stop()
        receiver.stop()


def test_someone_who_unfollowed_cannot_write_until_they_follow_again(
        pushed: tuple[Client, Receiver]) -> None:
    wx, receiver = pushed
    wx.control("send", {"openid": FOLLOWER, "event": "unsubscribe"})
    pushes = len(receiver.requests)
    status, answer = wx.request("POST", "/_emulator/send", json.dumps(
        {"openid": FOLLOWER, "text": "还在吗"}).encode())
    assert status == 400 and "已取消关注" in answer["error"]
    assert len(receiver.requests) == pushes  # nothing reached the server
    wx.control("send", {"openid": FOLLOWER, "event": "subscribe"})
    assert send_text(wx, text="我回来了")["status"] == 200
