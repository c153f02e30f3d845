"""Replies the outbox could not send, told apart and told once (issue 18, points 2
and 5): what cannot have reached WeChat is retried; what may have is parked in
doubt; a burst of either is one notice per writer; and a row parked while its
worker stalled, which then turns out delivered, takes its warnings back. Both
engines, with a recording fake of the gateway."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, update

from bot import deliveries
from bot.sender import Delivery, Outcome, Sender
from bot.wechat_errors import OutcomeUnknown, TransportError
from handlers import notices, texts
from storage import followers, incidents, tickets
from storage import staff as staff_store
from storage.db import write_lock
from storage.models import OutboxMessage, TicketMessage, TicketNote
from storage.uow import SqlUnitOfWork
from tests.integration.queueing import staff_reply
from tests.integration.test_outbox import NOW, FakeGateway, staff_member
from workflow.roles import Role

LEASE = timedelta(minutes=2)
INCIDENT = timedelta(seconds=60)
HTTP_502 = OutcomeUnknown(None, "HTTP 502 from an intermediary", cause="http", status=502)
HTTP_503 = TransportError(None, "HTTP 503 from an intermediary", cause="http", status=503)


def sender(engine: Engine, gateway: FakeGateway, name: str = "w1", now: datetime = NOW) -> Sender:
    """As the worker wires it."""
    return Sender(engine, gateway, deliveries.handlers("", INCIDENT), name,  # type: ignore[arg-type]
                  clock=lambda: now, dead_ends=deliveries.dead_ends(INCIDENT),
                  sent_after_all=deliveries.sent_after_all())


def replies(engine: Engine, count: int, by: int = 1, first: int = 0) -> list[int]:
    """``count`` followers each write and get a reply from staff ``by``: their tickets."""
    made = []
    for n in range(first, first + count):
        ticket_id = ticket_for(engine, f"o_fan{n}")
        with engine.begin() as conn:
            staff_reply(conn, ticket_id, by, f"回复 {n}", NOW)
        made.append(ticket_id)
    return made


def ticket_for(engine: Engine, openid: str) -> int:
    with engine.begin() as conn:
        follower_id = followers.touch(conn, openid, NOW - timedelta(hours=1), "message").follower_id
        return tickets.record_inbound(conn, follower_id, "text", "在吗", None,
                                      NOW - timedelta(hours=1)).ticket_id


def rows(engine: Engine, kind: str) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(OutboxMessage).where(OutboxMessage.kind == kind)
                                 .order_by(OutboxMessage.id)))


def notes(engine: Engine) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        return [(r.ticket_id, r.content) for r in
                conn.execute(select(TicketNote).order_by(TicketNote.id))]


def deliveries_of(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(TicketMessage.delivery).where(
            TicketMessage.direction == "out").order_by(TicketMessage.id)))


def told(engine: Engine) -> dict[int, list[list[int]]]:
    """Per staff member, the reply rows each notice about undelivered replies lists."""
    by_person: dict[int, list[list[int]]] = {}
    for row in rows(engine, "notify"):
        if row.payload["template"] == incidents.TEMPLATE and row.status != "cancelled":
            by_person.setdefault(row.payload["staff_id"], []).append(
                [r["row_id"] for r in row.payload["context"]["replies"]])
    return by_person


def test_a_503_never_reached_wechat_and_is_retried(engine: Engine) -> None:
    staff_member(engine)
    replies(engine, 1)
    gateway = FakeGateway()
    gateway.fail_with = [HTTP_503]
    sender(engine, gateway).run_once()
    [row] = rows(engine, "cs_reply")
    assert (row.status, row.in_doubt) == ("pending", False)
    assert "503" in row.last_error and "None" not in row.last_error
    sender(engine, gateway, now=NOW + timedelta(minutes=5)).run_once()
    assert [r.status for r in rows(engine, "cs_reply")] == ["sent"] and len(gateway.calls) == 2
    assert rows(engine, "notify") == [] and notes(engine) == []


def test_a_502_may_have_arrived_and_says_what_happened(engine: Engine) -> None:
    staff_member(engine)
    replies(engine, 1)
    gateway = FakeGateway()
    gateway.fail_with = [HTTP_502]
    sender(engine, gateway).run_once()
    [row] = rows(engine, "cs_reply")
    assert (row.status, row.in_doubt, row.dead_at) == ("dead", True, NOW)
    assert "HTTP 502" in row.last_error and "None" not in row.last_error
    [(_, note)] = notes(engine)
    assert "502" in note and "超时" not in note  # an answer came: it was no timeout


def test_a_burst_is_one_notice_per_writer_listing_every_reply(engine: Engine) -> None:
    """Replies of two writers die in several batches of two workers: each writer
    gets one notice listing theirs; every ticket still gets its own note."""
    staff_member(engine, "o_staff1")
    with SqlUnitOfWork(engine) as uow:
        staff_store.add_staff(uow.session, "李雷", frozenset({Role.REVIEWER}), NOW, "o_staff2")
        uow.commit()
    first = replies(engine, 5, by=1)
    second = replies(engine, 3, by=2, first=5)
    gateway = FakeGateway()
    gateway.fail_with = [HTTP_502] * 8
    for n in range(4):  # batches of 2, alternating workers, over 30 seconds
        sender(engine, gateway, f"w{n % 2}", NOW + timedelta(seconds=10 * n)).run_once(2)
    reply_rows = {r.payload["ticket_id"]: r.id for r in rows(engine, "cs_reply")}
    assert told(engine) == {1: [[reply_rows[t] for t in first]],
                            2: [[reply_rows[t] for t in second]]}
    assert sorted(t for t, _ in notes(engine)) == sorted(first + second)
    # Each notice waits the incident's window from its writer's first reply given
    # up (the second writer's at 20 s), then goes once.
    staff_gateway = FakeGateway()
    for person in ("o_staff1", "o_staff2"):
        with engine.begin() as conn:
            followers.touch(conn, person, NOW, "message")
    for seconds, told_by_then in ((59, []), (60, ["o_staff1"]), (80, ["o_staff1", "o_staff2"])):
        sender(engine, staff_gateway, now=NOW + timedelta(seconds=seconds)).run_once()
        assert [openid for _, (openid, _text) in staff_gateway.calls] == told_by_then


def test_a_reply_given_up_after_the_notice_went_opens_a_new_incident(engine: Engine) -> None:
    staff_member(engine)
    replies(engine, 2)
    gateway = FakeGateway()
    gateway.fail_with = [HTTP_502]
    sender(engine, gateway).run_once(1)
    with engine.begin() as conn:  # the notice was claimed by a worker
        conn.execute(update(OutboxMessage).where(OutboxMessage.kind == "notify")
                     .values(status="sending"))
    gateway.fail_with = [HTTP_502]
    sender(engine, gateway, now=NOW + timedelta(minutes=2)).run_once()
    assert [len(listed) for listed in told(engine)[1]] == [1, 1]


def test_writers_of_one_burst_on_two_workers_at_once_get_one_notice(engine: Engine) -> None:
    staff_member(engine)
    tickets_ = replies(engine, 1)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def give_up(worker: int) -> None:
        start.wait()
        try:
            for n in range(10):
                with write_lock(engine), engine.begin() as conn:
                    incidents.tell(conn, 1, {"row_id": 100 * worker + n, "ticket_id": tickets_[0],
                                             "reason": "x", "unconfirmed": True}, NOW, INCIDENT)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=give_up, args=(w,)) for w in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    [listed] = told(engine)[1]
    assert sorted(listed) == sorted([100 + n for n in range(10)] + [200 + n for n in range(10)])


def test_the_notice_lists_a_burst_in_a_few_lines(engine: Engine) -> None:
    staff_member(engine)
    replies(engine, 30)
    gateway = FakeGateway()
    gateway.fail_with = [HTTP_502] * 30
    sender(engine, gateway).run_once(30)
    [notice] = rows(engine, "notify")
    [text] = notices.show([notice.payload], {})
    assert "30" in text and "T1、T2" in text and "None" not in text
    assert text.count("HTTP 502") == 1 and len(text) < 600


def stalled(engine: Engine, gateway: FakeGateway) -> Sender:
    """Worker w1, whose call outlives its lease: worker w2 recovers the row
    meanwhile (its clock past the lease), then w1's call returns."""
    rescuer = sender(engine, FakeGateway(), "w2", now=NOW + LEASE + timedelta(seconds=1))

    def recovered_meanwhile(_calls: int) -> None:
        rescuer.recover(LEASE)

    gateway.on_call = recovered_meanwhile
    return sender(engine, gateway, "w1")


def test_a_reply_recovered_in_doubt_then_delivered_takes_its_warning_back(
        engine: Engine) -> None:
    staff_member(engine)
    [ticket_id] = replies(engine, 1)
    gateway = FakeGateway()
    stalled(engine, gateway).run_once()
    assert len(gateway.calls) == 1
    [row] = rows(engine, "cs_reply")
    assert (row.status, row.in_doubt, row.delivered_at is not None) == ("sent", False, True)
    assert deliveries_of(engine) == ["sent"]
    assert [t for t, _ in notes(engine)] == [ticket_id, ticket_id]  # the warning, then its end
    assert notes(engine)[-1][1] == texts.phrase("outbox", "reply_sent_note")
    [notice] = rows(engine, "notify")  # never shown, now cancelled: it would be untrue
    assert notice.status == "cancelled"
    sender(engine, gateway, now=NOW + timedelta(hours=1)).drain()
    assert len(gateway.calls) == 1


def test_a_notice_already_shown_is_corrected(engine: Engine) -> None:
    staff_member(engine)
    [ticket_id] = replies(engine, 1)
    gateway = FakeGateway()
    rescuer = sender(engine, FakeGateway(), "w2", now=NOW + LEASE + timedelta(seconds=1))

    def recovered_and_told(_calls: int) -> None:
        rescuer.recover(LEASE)
        with engine.begin() as conn:  # the notice went out while w1 stalled
            conn.execute(update(OutboxMessage).where(OutboxMessage.kind == "notify")
                         .values(status="sent"))

    gateway.on_call = recovered_and_told
    sender(engine, gateway, "w1").run_once()
    corrections = [r.payload for r in rows(engine, "notify")
                   if r.payload["template"] == "reply_sent_after_all"]
    assert corrections == [{"staff_id": 1, "template": "reply_sent_after_all",
                            "context": {"ticket_id": ticket_id}}]


def test_a_notice_for_several_replies_forgets_only_the_one_delivered(engine: Engine) -> None:
    staff_member(engine)
    replies(engine, 2)
    gateway = FakeGateway()
    gateway.fail_with = [HTTP_502]
    sender(engine, gateway).run_once(1)  # the first reply is parked in doubt
    stalled(engine, gateway).run_once()  # the second stalls, is parked, then delivered
    [first, _second] = rows(engine, "cs_reply")
    assert told(engine) == {1: [[first.id]]}


def test_a_worker_that_stalled_before_the_call_does_not_make_it(engine: Engine) -> None:
    """Recovered while it stalled, the row may be re-driven by a person: the
    stalled worker must not send it as well."""
    staff_member(engine)
    replies(engine, 1)
    rescuer = sender(engine, FakeGateway(), "w2", now=NOW + LEASE + timedelta(seconds=1))
    gateway = FakeGateway()

    def stall_then_send(d: Delivery) -> Outcome:
        rescuer.recover(LEASE)
        d.call_once(lambda: d.gateway.send_text("o_fan0", "回复 0"))
        return Outcome("sent")

    Sender(engine, gateway, {"cs_reply": stall_then_send}, "w1",  # type: ignore[arg-type]
           clock=lambda: NOW, dead_ends=deliveries.dead_ends(INCIDENT)).run_once()
    assert gateway.calls == []
    [row] = rows(engine, "cs_reply")
    assert (row.status, row.in_doubt) == ("dead", True)
    assert len(notes(engine)) == 1 and len(rows(engine, "notify")) == 1


def test_a_stalled_worker_whose_call_then_fails_adds_no_second_warning(
        engine: Engine) -> None:
    staff_member(engine)
    replies(engine, 1)
    gateway = FakeGateway()
    gateway.fail_with = [OutcomeUnknown(None, "ReadTimeout", cause="timeout")]
    stalled(engine, gateway).run_once()
    [row] = rows(engine, "cs_reply")
    assert (row.status, row.in_doubt) == ("dead", True)
    assert len(notes(engine)) == 1 and told(engine) == {1: [[row.id]]}
