"""Sends whose outcome the worker could not record: an answer that never came, or
a worker that died after the platform accepted the call. Nothing is sent twice,
and what was delivered is not reported otherwise. Both engines."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from bot.sender import Delivery, Outcome, Sender
from bot.wechat_errors import OutcomeUnknown, TransportError
from handlers import texts
from storage import outbox
from storage.models import Follower, OutboxMessage, TicketMessage, TicketNote
from tests.integration.queueing import staff_reply
from tests.integration.test_outbox import (
    NOW,
    FakeGateway,
    follower_ticket,
    interacted,
    make_sender,
    queue_notify,
    staff_member,
    status_of,
)

LATER = NOW + timedelta(minutes=5)
READ_TIMEOUT = "ReadTimeout: HTTPSConnectionPool(host='api.weixin.qq.com'): Read timed out."


def test_an_unknown_outcome_parks_a_reply_for_a_person(engine: Engine) -> None:
    ticket_id = follower_ticket(engine, "o_fan", NOW - timedelta(hours=1))
    with engine.begin() as conn:
        staff_reply(conn, ticket_id, 1, "上午九点开始", NOW)
    gateway = FakeGateway()
    gateway.fail_with = [OutcomeUnknown(None, READ_TIMEOUT)]
    make_sender(engine, gateway).run_once()
    status, error = status_of(engine)[0]  # the reply; then the notice to its writer
    with engine.connect() as conn:
        parked = outbox.get(conn, 1)
    assert status == "dead" and parked is not None and parked.in_doubt
    assert parked.dead_at == NOW
    assert "wxops outbox retry 1 --force" in error  # never resent without --force
    make_sender(engine, gateway, now=LATER).drain()
    assert len(gateway.calls) == 1  # never sent again by itself
    with engine.connect() as conn:  # nobody is left thinking it is on its way
        delivery = conn.scalar(select(TicketMessage.delivery)
                               .where(TicketMessage.direction == "out"))
        note = conn.scalar(select(TicketNote.content))
        told = [p for k, p in conn.execute(select(OutboxMessage.kind, OutboxMessage.payload))
                if k == "notify"]
    assert delivery == "unknown" and note is not None
    # the ticket's note says the reply may not have arrived (whatever the reason given)
    before, after = texts.phrase("outbox", "reply_note", reason="\0", unconfirmed=True).split("\0")
    assert note.startswith(before) and note.endswith(after)
    assert [(p["staff_id"], p["template"]) for p in told] == [(1, "replies_undelivered")]
    assert [(r["row_id"], r["ticket_id"], r["unconfirmed"]) for r in
            told[0]["context"]["replies"]] == [(1, ticket_id, True)]


def test_a_call_that_never_reached_wechat_is_retried(engine: Engine) -> None:
    ticket_id = follower_ticket(engine, "o_fan", NOW - timedelta(hours=1))
    with engine.begin() as conn:
        staff_reply(conn, ticket_id, 1, "上午九点开始", NOW)
    gateway = FakeGateway()
    gateway.fail_with = [TransportError(None, "ConnectionError: connection refused")]
    make_sender(engine, gateway).run_once()
    assert status_of(engine)[0][0] == "pending"
    make_sender(engine, gateway, now=LATER).run_once()
    assert status_of(engine)[0] == ("sent", "") and len(gateway.calls) == 2


def test_a_kind_the_platform_dedupes_is_retried_on_an_unknown_outcome(engine: Engine) -> None:
    def mass_send(d: Delivery) -> Outcome:
        raise OutcomeUnknown(None, READ_TIMEOUT)

    with engine.begin() as conn:
        outbox.add(conn, "sendall", {"item_id": 1}, "sendall:1:v1", NOW)
    Sender(engine, FakeGateway(), {"sendall": mass_send}, "w",  # type: ignore[arg-type]
           clock=lambda: NOW).run_once()
    assert status_of(engine)[0][0] == "pending"


class Died(BaseException):
    """The worker process ending between the platform's answer and the record."""


def crash_after_the_call(engine: Engine, gateway: FakeGateway, template_id: str = "") -> None:
    sender = make_sender(engine, gateway, template_id)

    def die(*_args: object) -> None:
        raise Died

    sender._record = die  # type: ignore[method-assign,assignment]
    with pytest.raises(Died):
        sender.run_once()


def test_a_notice_delivered_before_a_crash_is_not_held_after_its_window_closed(
        engine: Engine) -> None:
    staff_id = staff_member(engine)
    interacted(engine, "o_staff", NOW - timedelta(seconds=20), "event")  # 3 in 1 minute
    queue_notify(engine, staff_id)
    gateway = FakeGateway()
    crash_after_the_call(engine, gateway)
    assert outbox.recover_stale(engine, LATER, timedelta(minutes=2)) == (1, 0)
    make_sender(engine, gateway, now=LATER).run_once()  # the 1-minute window has closed
    assert len(gateway.calls) == 1 and status_of(engine) == [("sent", "")]
    with engine.connect() as conn:
        assert conn.scalar(select(Follower.event_window_sent)) == 1  # counted once
        assert outbox.held_for(conn, "o_staff") == []


def test_a_reply_delivered_before_a_crash_is_not_refused_after_48_hours(
        engine: Engine) -> None:
    ticket_id = follower_ticket(engine, "o_fan", NOW - timedelta(hours=47, minutes=58))
    with engine.begin() as conn:
        staff_reply(conn, ticket_id, 1, "上午九点开始", NOW)
    gateway = FakeGateway()
    crash_after_the_call(engine, gateway)
    assert outbox.recover_stale(engine, LATER, timedelta(minutes=2)) == (1, 0)
    make_sender(engine, gateway, now=LATER).drain()  # 48 h have passed
    assert len(gateway.calls) == 1 and status_of(engine) == [("sent", "")]
    with engine.connect() as conn:
        assert conn.scalar(select(TicketMessage.delivery).where(
            TicketMessage.direction == "out")) == "sent"
        assert conn.scalar(select(TicketNote.content)) is None
        assert conn.execute(select(OutboxMessage.kind)).scalars().all() == ["cs_reply"]
        assert conn.scalar(select(Follower.message_window_sent)) == 1
