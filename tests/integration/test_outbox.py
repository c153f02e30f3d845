"""The outbox and its sender on both engines, with a recording fake of the gateway.

(The real gateway against the emulator over sockets is in test_gateway.py and
the end-to-end tests.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, update

from bot import deliveries
from bot.sender import Sender, backoff
from bot.wechat_errors import OutsideReplyWindow, RateLimited
from handlers import texts
from storage import followers, outbox, tickets
from storage import staff as staff_store
from storage.models import ContentItemRow, Follower, OutboxMessage, TicketMessage, TicketNote
from storage.uow import SqlUnitOfWork
from tests.integration.queueing import staff_reply
from workflow.roles import Role
from workflow.window import Closed
from workflow.window import window as service_window

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


class FakeGateway:
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.fail_with: list[Exception] = []
        self.on_call: Callable[[int], None] = lambda n: None

    def _record(self, name: str, *args: Any) -> dict[str, Any]:
        self.calls.append((name, args))
        self.on_call(len(self.calls))
        if self.fail_with:
            raise self.fail_with.pop(0)
        return {"errcode": 0, "msgid": len(self.calls)}

    def send_text(self, openid: str, content: str) -> dict[str, Any]:
        return self._record("send_text", openid, content)

    def send_template(self, openid: str, template_id: str, data: dict[str, Any],
                      url: str | None = None) -> dict[str, Any]:
        return self._record("send_template", openid, template_id)


def make_sender(engine: Engine, gateway: FakeGateway, template_id: str = "",
                now: datetime = NOW) -> Sender:
    return Sender(engine, gateway, deliveries.handlers(template_id), "test-worker",  # type: ignore[arg-type]
                  clock=lambda: now, backoff_base=timedelta(seconds=5),
                  dead_ends=deliveries.dead_ends(),  # as the worker wires it
                  sent_after_all=deliveries.sent_after_all())


def staff_member(engine: Engine, openid: str = "o_staff") -> int:
    with SqlUnitOfWork(engine) as uow:
        member = staff_store.add_staff(uow.session, "王芳", frozenset({Role.REVIEWER}), NOW,
                                       openid)
        uow.commit()
    return member.id


def interacted(engine: Engine, openid: str, when: datetime, kind: str = "message") -> None:
    with engine.begin() as conn:
        followers.touch(conn, openid, when, kind)  # type: ignore[arg-type]


def queue_notify(engine: Engine, staff_id: int, key: str = "n1") -> None:
    with engine.begin() as conn:
        outbox.add(conn, "notify", {"staff_id": staff_id, "template": "item_submitted",
                                    "context": {"item_id": 7, "title": "义诊", "by": "小李"}},
                   key, NOW - timedelta(seconds=1))


def status_of(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [(r.status, r.last_error) for r in
                conn.execute(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_notice_inside_the_window_is_sent_and_counted(engine: Engine) -> None:
    staff_id = staff_member(engine)
    interacted(engine, "o_staff", NOW - timedelta(hours=1))
    gateway = FakeGateway()
    queue_notify(engine, staff_id)
    assert make_sender(engine, gateway).run_once() == 1
    assert gateway.calls[0][0] == "send_text" and "义诊" in gateway.calls[0][1][1]
    assert status_of(engine) == [("sent", "")]
    with engine.connect() as conn:
        assert conn.scalar(select(Follower.message_window_sent)) == 1


def test_window_counts_run_out_after_five(engine: Engine) -> None:
    staff_id = staff_member(engine)
    interacted(engine, "o_staff", NOW - timedelta(hours=47))
    for i in range(6):
        queue_notify(engine, staff_id, key=f"n{i}")
    gateway = FakeGateway()
    make_sender(engine, gateway).drain()
    assert [s for s, _ in status_of(engine)] == ["sent"] * 5 + ["held"]
    assert len(gateway.calls) == 5


def test_notice_outside_the_window_is_held_or_sent_as_template(engine: Engine) -> None:
    staff_id = staff_member(engine)
    interacted(engine, "o_staff", NOW - timedelta(hours=49))
    queue_notify(engine, staff_id, "held")
    gateway = FakeGateway()
    make_sender(engine, gateway).run_once()
    assert gateway.calls == [] and status_of(engine)[0][0] == "held"
    queue_notify(engine, staff_id, "templated")
    make_sender(engine, gateway, template_id="TPL-1").run_once()
    assert [c[0] for c in gateway.calls] == ["send_template"]


def test_a_notice_sent_after_its_item_moved_on_says_so(engine: Engine) -> None:
    """The worker may send late (a backlog, a retry): "please review" then comes
    with the item's state now, as a held notice does. A change that left the
    state as it was (the draft synced) is no news; a notice recorded before
    states were kept goes by the version."""
    staff_id = staff_member(engine)
    with SqlUnitOfWork(engine) as uow:
        item = ContentItemRow(title="义诊", author_id=staff_id, state="final_review", version=3,
                              created_at=NOW, updated_at=NOW)
        uow.session.add(item)
        uow.commit()
        item_id = item.id
    described = [(3, None), (2, None), (2, "final_review"), (2, "in_review")]
    with engine.begin() as conn:
        for n, (version, state) in enumerate(described):
            about = {"item_version": version} | ({"item_state": state} if state else {})
            outbox.add(conn, "notify", {"staff_id": staff_id, "template": "item_submitted",
                                        **about, "context": {"item_id": item_id, "title": "义诊",
                                                             "by": "小李"}},
                       f"n{n}", NOW - timedelta(seconds=1))
    interacted(engine, "o_staff", NOW - timedelta(hours=1))
    gateway = FakeGateway()
    make_sender(engine, gateway).drain()
    shown = [call[1][1] for call in gateway.calls]
    assert all("义诊" in text for text in shown)
    moved_on = "（此后已有变化，现在：终审中）"
    assert [text.endswith(moved_on) for text in shown] == [False, True, False, True]


def test_transient_errors_back_off_then_die(engine: Engine) -> None:
    staff_id = staff_member(engine)
    interacted(engine, "o_staff", NOW)
    queue_notify(engine, staff_id)
    gateway = FakeGateway()
    gateway.fail_with = [RateLimited(45009, "reach max api daily quota limit")] * 20
    now = NOW
    for _ in range(8):
        make_sender(engine, gateway, now=now).run_once()
        now += timedelta(hours=1)
    assert status_of(engine)[0][0] == "dead" and "45009" in status_of(engine)[0][1]
    assert len(gateway.calls) == 8


def test_a_delivered_row_is_never_sent_again(engine: Engine) -> None:
    """What a worker that died after the API call left behind: delivered, still sending."""
    staff_id = staff_member(engine)
    interacted(engine, "o_staff", NOW)
    queue_notify(engine, staff_id)
    [row] = outbox.claim_due(engine, "dead-worker", NOW)
    outbox.mark_delivered(engine, row.id, {"errcode": 0}, NOW)
    assert outbox.recover_stale(engine, NOW + timedelta(minutes=5), timedelta(minutes=2)) == (1, 0)
    gateway = FakeGateway()
    make_sender(engine, gateway, now=NOW + timedelta(minutes=5)).run_once()
    assert gateway.calls == [] and status_of(engine) == [("sent", "")]


def test_an_undelivered_stale_claim_is_surfaced_not_resent(engine: Engine) -> None:
    staff_id = staff_member(engine)
    queue_notify(engine, staff_id)
    [row] = outbox.claim_due(engine, "dead-worker", NOW)
    assert outbox.start_attempt(engine, row.id, "dead-worker", NOW)  # then it died
    later = NOW + timedelta(minutes=5)
    assert make_sender(engine, FakeGateway(), now=later).recover(timedelta(minutes=2)) == (0, 1)
    with engine.connect() as conn:
        parked = outbox.get(conn, row.id)
    assert parked is not None and (parked.status, parked.in_doubt, parked.dead_at) == \
        ("dead", True, later)
    assert "--force" in parked.last_error  # never resent without it


def test_claimed_rows_never_attempted_are_resumed_not_dead(engine: Engine) -> None:
    """A worker killed with a batch claimed: only the row it had started on is in doubt."""
    staff_id = staff_member(engine)
    interacted(engine, "o_staff", NOW)
    for i in range(3):
        queue_notify(engine, staff_id, key=f"n{i}")
    first, *_ = outbox.claim_due(engine, "dead-worker", NOW)
    assert outbox.start_attempt(engine, first.id, "dead-worker", NOW)
    assert outbox.recover_stale(engine, NOW + timedelta(minutes=5), timedelta(minutes=2)) == (2, 1)
    with engine.connect() as conn:
        rows = [outbox.get(conn, i) for i in (1, 2, 3)]
    assert [(r.status, r.attempts, r.attempt_started_at) for r in rows if r] == [
        ("dead", 1, NOW), ("pending", 0, None), ("pending", 0, None)]
    gateway = FakeGateway()
    make_sender(engine, gateway, now=NOW + timedelta(minutes=5)).drain()
    assert len(gateway.calls) == 2 and [s for s, _ in status_of(engine)] == ["dead", "sent", "sent"]


def test_a_slow_batch_whose_lease_ran_out_is_not_sent_by_two_workers(engine: Engine) -> None:
    """Recovery took back a row the first worker had claimed but not reached yet; the
    first worker must then leave it to whoever claims it next."""
    staff_id = staff_member(engine)
    queue_notify(engine, staff_id)
    [row] = outbox.claim_due(engine, "slow-worker", NOW)
    assert outbox.recover_stale(engine, NOW + timedelta(minutes=5), timedelta(minutes=2)) == (1, 0)
    assert outbox.claim_due(engine, "other-worker", NOW + timedelta(minutes=5))
    assert not outbox.start_attempt(engine, row.id, "slow-worker", NOW + timedelta(minutes=5))


def test_a_stopping_sender_finishes_the_row_in_flight_and_releases_the_rest(
        engine: Engine) -> None:
    staff_id = staff_member(engine)
    interacted(engine, "o_staff", NOW)
    for i in range(5):
        queue_notify(engine, staff_id, key=f"n{i}")
    gateway = FakeGateway()
    sender = make_sender(engine, gateway)
    gateway.on_call = lambda n: sender.stopping.set() if n == 2 else None  # SIGTERM
    assert sender.drain() == 5
    assert len(gateway.calls) == 2
    with engine.connect() as conn:
        rows = conn.execute(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(r.status, r.attempts, r.claimed_by) for r in rows] == \
        [("sent", 1, "test-worker")] * 2 + [("pending", 0, "")] * 3
    assert outbox.recover_stale(engine, NOW + timedelta(hours=1), timedelta(minutes=2)) == (0, 0)
    make_sender(engine, gateway).drain()
    assert len(gateway.calls) == 5 and {s for s, _ in status_of(engine)} == {"sent"}


def test_concurrent_claims_never_share_a_row(engine: Engine) -> None:
    with engine.begin() as conn:
        for i in range(60):
            outbox.add(conn, "notify", {"n": i}, f"k{i}", NOW)
    claimed: list[list[int]] = [[], [], []]
    start = threading.Barrier(3)

    def claim(slot: int) -> None:
        start.wait()
        for _ in range(10):
            claimed[slot] += [r.id for r in outbox.claim_due(engine, f"w{slot}", NOW, 5)]

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    every = [i for ids in claimed for i in ids]
    assert len(every) == len(set(every)) == 60


def follower_ticket(engine: Engine, openid: str, last_message: datetime) -> int:
    staff_member(engine)
    with engine.begin() as conn:
        follower_id = followers.touch(conn, openid, last_message, "message").follower_id
        touched = tickets.record_inbound(conn, follower_id, "text", "请问几点开始", None,
                                         last_message)
    return touched.ticket_id


def test_a_reply_inside_the_window_is_delivered(engine: Engine) -> None:
    ticket_id = follower_ticket(engine, "o_fan", NOW - timedelta(hours=2))
    with engine.begin() as conn:
        staff_reply(conn, ticket_id, 1, "上午九点开始", NOW)
    gateway = FakeGateway()
    make_sender(engine, gateway).run_once()
    assert gateway.calls == [("send_text", ("o_fan", "上午九点开始"))]
    with engine.connect() as conn:
        assert conn.scalar(select(TicketMessage.delivery).where(
            TicketMessage.direction == "out")) == "sent"


def test_a_reply_after_48_hours_is_refused_with_the_reason(engine: Engine) -> None:
    """Queued while the window was open (回 refuses a reply outside it), sent after it closed."""
    ticket_id = follower_ticket(engine, "o_fan", NOW - timedelta(hours=49))
    with engine.begin() as conn:
        staff_reply(conn, ticket_id, 1, "抱歉回复晚了", NOW - timedelta(hours=48, minutes=1))
    gateway = FakeGateway()
    make_sender(engine, gateway).run_once()
    assert gateway.calls == []
    reason = texts.render("window_closed", why=Closed.EXPIRED)  # 48 hours without a word
    assert status_of(engine)[0] == ("refused", reason)
    with engine.connect() as conn:
        note = conn.scalar(select(TicketNote.content))
        kinds = conn.execute(select(OutboxMessage.kind, OutboxMessage.status)).all()
    assert note == texts.phrase("outbox", "reply_note", reason=reason, unconfirmed=False)
    assert ("notify", "pending") in [tuple(k) for k in kinds]  # the staff member is told


def test_the_platform_closing_the_window_also_refuses(engine: Engine) -> None:
    ticket_id = follower_ticket(engine, "o_fan", NOW - timedelta(hours=1))
    with engine.begin() as conn:
        staff_reply(conn, ticket_id, 1, "回复", NOW)
    gateway = FakeGateway()
    gateway.fail_with = [OutsideReplyWindow(45015, "response out of time limit")]
    make_sender(engine, gateway).run_once()
    assert status_of(engine)[0][0] == "refused"


def test_backoff_grows_and_is_capped() -> None:
    low = [backoff(n, rng=lambda: 0.0).total_seconds() for n in range(1, 6)]
    assert low == [2.5, 5.0, 10.0, 20.0, 40.0]
    assert backoff(50, rng=lambda: 1.0) == timedelta(minutes=15) * 1.5


def test_unsubscribed_people_get_nothing(engine: Engine) -> None:
    interacted(engine, "o_gone", NOW)
    with engine.begin() as conn:
        conn.execute(update(Follower).values(subscribed=False))
        window = service_window(followers.interactions(conn, "o_gone"), NOW)
    assert not window.open and window.closed_because is Closed.UNSUBSCRIBED
    assert deliveries.closed_reason(window) == texts.render("window_closed",
                                                           why=Closed.UNSUBSCRIBED)
