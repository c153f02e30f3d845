"""The WeChat endpoint: every mode, every message type, retries, refusals."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import xmltodict
from sqlalchemy import Engine, func, select, update

from handlers import routing, texts
from handlers.hours import OfficeHours
from storage.models import Follower, InboundMessage, ReplyTicket, TicketMessage
from storage.uow import utcnow
from tests.harness import wechat as wx
from tests.integration.conftest import OLD_AES_KEY, Account, make_account
from workflow.autoreply import MatchType, NewRule

MODES = ("plain", "compatible", "safe")


def count(engine: Engine, model: type, *where: Any) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def reply_fields(text: str) -> dict[str, Any]:
    return dict(xmltodict.parse(text)["xml"])


def test_get_verification(account: Account) -> None:
    query = account.client.signer.verification_query("echo-12345")
    ok = account.client.request("GET", query)
    assert (ok.status, ok.text) == (200, "echo-12345")
    assert account.client.request("GET", {**query, "signature": "0" * 40}).status == 403
    assert account.client.request("GET", {"echostr": "x"}).status == 403


def test_verification_echoes_only_text_and_only_while_fresh(account: Account) -> None:
    markup = '<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>'
    echoed = account.client.request("GET", account.client.signer.verification_query(markup))
    assert (echoed.status, echoed.text) == (200, markup)
    assert echoed.headers["Content-Type"].startswith("text/plain")  # never run as a page
    assert echoed.headers["X-Content-Type-Options"] == "nosniff"  # nor sniffed as one
    old = str(int(time.time()) - 3600)  # a verification URL captured an hour ago
    stale = account.client.signer.verification_query("echo", timestamp=old)
    assert account.client.request("GET", stale).status == 403


def test_an_xml_reply_is_sent_as_xml(account: Account) -> None:
    reply = account.client.push(wx.text("你好"))
    assert reply.headers["Content-Type"].startswith("application/xml")
    assert account.client.push(wx.text("你好", msg_id=2)).headers["Content-Type"].startswith(
        "text/plain")  # appended to the open ticket: "success"


@pytest.mark.parametrize("mode", MODES)
def test_text_opens_a_ticket_and_is_acknowledged(account: Account, mode: str) -> None:
    reply = account.client.push(wx.text("你好，请问周末活动几点开始？"), mode)  # type: ignore[arg-type]
    assert reply.status == 200
    fields = reply_fields(reply.text)
    assert fields["MsgType"] == "text" and "T1" in fields["Content"]
    assert (fields["ToUserName"], fields["FromUserName"]) == (wx.FOLLOWER, wx.ACCOUNT)
    with account.engine.connect() as conn:
        row = conn.execute(select(InboundMessage.authenticated, InboundMessage.mode)).one()
    assert tuple(row) == (mode != "plain", mode)
    assert count(account.engine, ReplyTicket) == 1


def test_safe_mode_reply_is_encrypted_and_signed(account: Account) -> None:
    query, body = account.client.signer.build(wx.text("在吗"), "safe")
    raw = account.client.request("POST", query, body)
    assert raw.body.startswith(b"<xml><Encrypt>") and b"MsgSignature" in raw.body
    assert "在吗" not in raw.text
    assert "T1" in account.client.signer.decrypt_reply(raw.body)


def test_message_encrypted_with_the_previous_key_is_answered_with_that_key(
        account: Account) -> None:
    # During a rotation WeChat may hold only the previous key: the reply must open with it.
    reply = account.client.push(wx.text("旧密钥"), "safe", aes_key=OLD_AES_KEY)
    assert reply.status == 200 and count(account.engine, ReplyTicket) == 1
    assert "T1" in reply_fields(reply.text)["Content"]  # opened with the previous key


@pytest.mark.parametrize("nonce", ["你好", "²³", "１２３", "a" * 65, "a-b"])
def test_a_nonce_a_reply_cannot_carry_gets_a_fresh_one(account: Account, nonce: str) -> None:
    message = wx.text("随机数")
    query, body = account.client.signer.build(message, "safe", nonce=nonce)
    raw = account.client.request("POST", query, body)
    assert raw.status == 200
    reply = xmltodict.parse(raw.text)["xml"]
    assert reply["Nonce"].isascii() and reply["Nonce"].isdigit()
    assert "T1" in account.client.signer.decrypt_reply(raw.body)
    again = account.client.request("POST", query, body)  # WeChat's retry: the same reply
    assert again.status == 200 and "T1" in account.client.signer.decrypt_reply(again.body)


def test_sequential_retries_run_nothing_twice(account: Account) -> None:
    message = wx.text("请问怎么报名志愿者")
    first = account.client.push(message)
    again = [account.client.push(message) for _ in range(2)]
    assert all(r.body == first.body for r in again)
    assert count(account.engine, InboundMessage) == 1
    assert count(account.engine, TicketMessage) == 1


def test_concurrent_retries_get_the_same_reply(account: Account) -> None:
    message = wx.text("并发重试")
    requests = [account.client.signer.build(message, "safe") for _ in range(3)]
    replies: list[str] = []
    barrier = threading.Barrier(len(requests))

    def send(query: dict[str, str], body: bytes) -> None:
        barrier.wait()
        raw = account.client.request("POST", query, body)
        replies.append(account.client.signer.decrypt_reply(raw.body))

    threads = [threading.Thread(target=send, args=r) for r in requests]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    contents = {reply_fields(r)["Content"] for r in replies}
    assert len(replies) == 3 and len(contents) == 1
    assert count(account.engine, TicketMessage) == 1


@pytest.mark.parametrize(("message", "shown", "data"), [
    (wx.image(), "image", {"url": "http://mmbiz.qpic.cn/example.jpg"}),
    (wx.voice(""), "voice", {"recognition": ""}),
    (wx.voice("我想捐款"), "voice", {"recognition": "我想捐款"}),
    (wx.video(), "video", {"media_id": "media_video_1"}),
    (wx.video(short=True), "video", {"media_id": "media_video_1"}),
    (wx.location(), "location", {"label": "广州市天河区", "x": "23.134521", "y": "113.358803"}),
    (wx.link(), "link", {"title": "标题", "url": "https://example.org/a"}),
])
def test_other_messages_go_to_the_queue(account: Account, message: str, shown: str,
                                        data: dict[str, str]) -> None:
    """Kept as one line the queue shows (templates/described.j2, by message type)."""
    reply = account.client.push(message, "safe")
    assert "T1" in reply_fields(reply.text)["Content"]
    with account.engine.connect() as conn:
        kind, content = conn.execute(select(TicketMessage.kind, TicketMessage.content)).one()
    assert content == texts.phrase("described", shown, **data) and kind in message


def test_one_acknowledgement_per_ticket(account: Account) -> None:
    first = account.client.push(wx.text("第一条", msg_id=1))
    second = account.client.push(wx.image(msg_id=2))
    assert "T1" in first.text and second.text == "success"
    assert count(account.engine, ReplyTicket) == 1
    assert count(account.engine, TicketMessage) == 2


def test_complaints_raise_priority(account: Account) -> None:
    account.client.push(wx.text("我要投诉你们的志愿者", msg_id=10))
    account.client.push(wx.text("普通问题", sender="o_other", msg_id=11))
    with account.engine.connect() as conn:
        rows = {s: p for s, p in conn.execute(select(ReplyTicket.summary, ReplyTicket.priority))}
    assert rows == {"我要投诉你们的志愿者": 1, "普通问题": 0}


def test_a_complaint_raises_the_open_ticket_and_a_later_message_keeps_it_raised(
        account: Account) -> None:
    account.client.push(wx.text("请问活动几点开始", msg_id=20))
    account.client.push(wx.text("我要投诉，一直没人回", msg_id=21))
    account.client.push(wx.text("好的谢谢", msg_id=22))
    with account.engine.connect() as conn:
        rows = conn.execute(select(ReplyTicket.summary, ReplyTicket.priority)).all()
    assert [tuple(r) for r in rows] == [("请问活动几点开始", 1)]  # one ticket, raised
    assert count(account.engine, TicketMessage) == 3


def test_out_of_hours_acknowledgement(engine: Engine) -> None:
    away = make_account(engine, WXOPS_OFFICE_HOURS="sun 03:00-03:01")
    text = reply_fields(away.client.push(wx.text("晚上好")).text)["Content"]
    hours = OfficeHours.parse("sun 03:00-03:01").describe()
    assert text == texts.render("ack_away", ticket_id=1, hours=hours)


def test_subscribe_records_the_scene_and_welcomes(account: Account) -> None:
    reply = account.client.push(wx.subscribe("poster_2026"), "safe")
    assert reply_fields(reply.text)["Content"] == texts.render("welcome")
    with account.engine.connect() as conn:
        row = conn.execute(select(Follower.subscribed, Follower.source_scene,
                                  Follower.last_interaction_kind)).one()
    assert tuple(row) == (True, "poster_2026", "event")


def test_padded_cdata_as_in_wechats_own_samples_is_read_as_its_value(
        account: Account) -> None:
    # WeChat's card-event samples put spaces around their CDATA sections.
    padded = (f"<xml><ToUserName> <![CDATA[{wx.ACCOUNT}]]> </ToUserName>\n"
              f"<FromUserName> <![CDATA[{wx.FOLLOWER}]]> </FromUserName>\n"
              f"<CreateTime>{wx.CREATE_TIME}</CreateTime>\n"
              "<MsgType> <![CDATA[event]]> </MsgType>\n"
              "<Event> <![CDATA[subscribe]]> </Event>\n<EventKey> <![CDATA[]]> </EventKey></xml>")
    fields = reply_fields(account.client.push(padded, "safe").text)
    assert fields["Content"] == texts.render("welcome") and fields["ToUserName"] == wx.FOLLOWER
    with account.engine.connect() as conn:
        assert conn.execute(select(Follower.openid)).scalar_one() == wx.FOLLOWER
    assert count(account.engine, ReplyTicket) == 0


@pytest.mark.parametrize("mode", MODES)
def test_a_control_character_wechat_leaves_raw_opens_the_ticket_all_the_same(
        account: Account, mode: wx.Mode) -> None:
    """WeChat puts a follower's U+001D (U+0002, U+0010...) raw inside the CDATA, in
    the clear text and in the ciphertext, though XML 1.0 forbids it (WeRoBot #420):
    a 400 would lose the message, WeChat showing the follower the account as out of
    service after its three tries."""
    reply = account.client.push(wx.text("退款\x1d还没到\x02"), mode)
    assert reply.status == 200 and reply.text != "success"  # acknowledged: a ticket
    with account.engine.connect() as conn:
        assert conn.execute(select(TicketMessage.content)).scalar_one() == "退款还没到"
        assert conn.execute(select(InboundMessage.error)).scalar_one() == ""


def test_unsubscribe_closes_open_tickets(account: Account) -> None:
    account.client.push(wx.text("有问题"))
    assert account.client.push(wx.unsubscribe(create_time=wx.CREATE_TIME + 5)).text == "success"
    with account.engine.connect() as conn:
        assert conn.execute(select(Follower.subscribed)).scalar() is False
        status, resolution = conn.execute(select(ReplyTicket.status,
                                                 ReplyTicket.resolution)).one()
    assert (status, resolution) == ("resolved", "unreachable")


@pytest.mark.parametrize("message", [wx.scan("booth"), wx.view("https://example.org"),
                                     wx.event("LOCATION", Latitude="23.1", Longitude="113.3",
                                              Precision="30.0"),
                                     wx.event("SOME_NEW_EVENT")])
def test_other_events_answer_success(account: Account, message: str) -> None:
    assert account.client.push(message).text == "success"
    assert count(account.engine, InboundMessage) == 1
    assert count(account.engine, ReplyTicket) == 0


@pytest.mark.parametrize(("message", "opens_window"), [
    (wx.scan("booth"), True),
    (wx.event("scancode_push", EventKey="scan_menu"), True),
    (wx.event("scancode_waitmsg", EventKey="scan_menu"), True),
    (wx.view("https://example.org"), False),
    (wx.event("LOCATION", Latitude="23.1", Longitude="113.3", Precision="30.0"), False),
    (wx.event("pic_weixin", EventKey="photo_menu"), False),
])
def test_follower_events_open_a_window_only_where_wechat_does(
        account: Account, message: str, opens_window: bool) -> None:
    """A scan or a scan-code menu opens WeChat's 1-minute window; VIEW, location
    reports and the photo menus do not, and must not reset a window's count."""
    account.client.push(wx.click("MENU_NONE", create_time=wx.CREATE_TIME - 30))
    with account.engine.begin() as conn:
        conn.execute(update(Follower).values(event_window_sent=2))
    account.client.push(message)
    with account.engine.connect() as conn:
        kind, at, event_at, sent = conn.execute(select(
            Follower.last_interaction_kind, Follower.last_interaction_at,
            Follower.last_event_at, Follower.event_window_sent)).one()
    assert kind == "event"
    assert (at == event_at) is opens_window  # the event time moves only with a window
    assert sent == (0 if opens_window else 2)


def test_events_and_messages_record_the_interaction_kind(account: Account) -> None:
    account.client.push(wx.click("MENU_NONE"))
    with account.engine.connect() as conn:
        assert conn.execute(select(Follower.last_interaction_kind)).scalar() == "event"
    account.client.push(wx.text("hi"))
    with account.engine.connect() as conn:
        kind, msg_at, evt_at = conn.execute(select(
            Follower.last_interaction_kind, Follower.last_message_at,
            Follower.last_event_at)).one()
    assert kind == "message" and msg_at is not None and evt_at is not None


def test_a_failing_handler_still_answers_success_and_keeps_the_push(
        account: Account, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(ctx: object, msg: object) -> None:
        raise RuntimeError("bug in a handler")

    monkeypatch.setitem(routing.MESSAGE_ROUTES, "text", broken)
    reply = account.client.push(wx.text("触发错误"))
    assert (reply.status, reply.text) == (200, "success")
    with account.engine.connect() as conn:
        error = conn.execute(select(InboundMessage.error)).scalar()
    assert error == "RuntimeError: bug in a handler"
    assert count(account.engine, ReplyTicket) == 0


def add_rule(account: Account, match_type: MatchType, pattern: str, reply: str) -> None:
    """As an admin adds one (the demo, 规则 添加, wxops rules add)."""
    with account.app.uow() as uow:
        uow.rules.add(NewRule(match_type, pattern, reply), created_by=None, now=utcnow())
        uow.commit()


def test_two_menu_clicks_in_one_second_are_two_pushes(account: Account) -> None:
    for key, reply in (("MENU_A", "甲"), ("MENU_B", "乙")):
        add_rule(account, MatchType.CLICK, key, reply)
    answers = [reply_fields(account.client.push(wx.click(key)).text)["Content"]
               for key in ("MENU_A", "MENU_B", "MENU_A")]  # the last one is A's retry
    assert answers == ["甲", "乙", "甲"]
    assert count(account.engine, InboundMessage) == 2


def test_cdata_terminator_in_a_reply_is_escaped(account: Account) -> None:
    add_rule(account, MatchType.EXACT, "坏", "a]]>b<x/>\x01\x0bc")
    # Control characters XML does not allow are dropped: WeChat could not read the reply.
    assert reply_fields(account.client.push(wx.text("坏")).text)["Content"] == "a]]>b<x/>c"


def test_rows_written_on_the_hot_path_read_back_through_the_orm(account: Account) -> None:
    """storage.raw writes with the driver; the models must read the same values."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy.orm import Session

    before = datetime.now(UTC)
    account.client.push(wx.text("检查类型", msg_id=555))
    with Session(account.engine) as session:
        message = session.scalars(select(InboundMessage)).one()
        follower = session.scalars(select(Follower)).one()
        ticket = session.scalars(select(ReplyTicket)).one()
    assert message.payload["Content"] == "检查类型" and message.msg_id == 555
    assert message.authenticated is False and message.handled_at is not None
    for moment in (message.received_at, follower.last_message_at, ticket.waiting_since):
        assert moment is not None and moment.tzinfo is not None
        assert before - timedelta(seconds=1) <= moment <= datetime.now(UTC)
    assert follower.subscribed is True and follower.message_window_sent == 0
