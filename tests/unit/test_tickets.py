"""Reply tickets as an aggregate (workflow.tickets) and their use cases
(workflow.ticket_cases) over in-memory fakes: no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.unit.fakes import FakeUnitOfWork
from workflow import ticket_cases, tickets
from workflow.effects import SendReply
from workflow.errors import (
    NoteTooLong,
    ReplyEmpty,
    ReplyTooLong,
    ReplyWindowClosed,
    TicketNotFound,
    TicketRefused,
)
from workflow.model import Context
from workflow.reply_queue import (
    COMPLAINT_PRIORITY,
    QUIET_SPELL,
    FollowUpNote,
    Refusal,
    Resolution,
    TicketAction,
    TicketStatus,
)
from workflow.roles import Actor, Role
from workflow.tickets import Arrival, Ticket, Unresolved, arrive
from workflow.window import Closed, Counter, Interactions, Window

NOW = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
AT = Context(now=NOW)
OPEN = Window(Counter.MESSAGE)
WANG, LI, ADMIN = (Actor(2, "王芳", frozenset({Role.CREATOR})),
                   Actor(3, "李雷", frozenset({Role.REVIEWER})),
                   Actor(1, "张敏", frozenset({Role.ADMIN})))


def a_ticket(**changes: object) -> Ticket:
    ticket = Ticket(5, 7, "o_fan", TicketStatus.OPEN, NOW - 20 * MINUTE, summary="几点开始",
                    waiting_since=NOW - 20 * MINUTE)
    return replace(ticket, **changes)  # type: ignore[arg-type]


def refusal_of(error: pytest.ExceptionInfo[TicketRefused]) -> str:
    return error.value.refusal


# --- staff actions, pure -------------------------------------------------------------


def test_a_claim_takes_an_unassigned_ticket() -> None:
    claimed = tickets.claim(a_ticket(), WANG.id)
    assert (claimed.assignee_id, claimed.version) == (WANG.id, 2)


@pytest.mark.parametrize(("ticket", "refusal"), [
    (a_ticket(assignee_id=LI.id), Refusal.TAKEN),
    (a_ticket(assignee_id=WANG.id), Refusal.ALREADY_YOURS),
    (a_ticket(status=TicketStatus.RESOLVED), Refusal.CLOSED),
])
def test_a_claim_is_refused_with_a_code(ticket: Ticket, refusal: Refusal) -> None:
    with pytest.raises(TicketRefused) as refused:
        tickets.claim(ticket, WANG.id)
    assert (refused.value.code, refusal_of(refused)) == ("ticket_refused", refusal)


def test_a_reply_waits_for_the_follower_and_claims_an_unassigned_ticket() -> None:
    decided = tickets.reply(a_ticket(), WANG.id, "  九点开始 ", OPEN, NOW)
    after = decided.ticket
    assert (after.status, after.waiting_since, after.assignee_id, after.first_response_at) == (
        TicketStatus.PENDING, None, WANG.id, NOW)
    assert decided.claimed
    assert decided.effect.payload() == {"ticket_id": 5, "message_id": 0, "openid": "o_fan",
                                        "text": "九点开始", "staff_id": WANG.id}
    assert replace(decided.effect, message_id=9).key == "cs_reply:9"


def test_a_reply_keeps_the_holder_and_the_first_response_time() -> None:
    earlier = NOW - 10 * MINUTE
    decided = tickets.reply(a_ticket(assignee_id=LI.id, first_response_at=earlier), WANG.id,
                            "好的", OPEN, NOW)
    assert (decided.ticket.assignee_id, decided.ticket.first_response_at) == (LI.id, earlier)
    assert not decided.claimed


def test_a_reply_is_refused_closed_then_window_then_length() -> None:
    closed_window = Window(None, Closed.EXPIRED)
    with pytest.raises(TicketRefused) as refused:
        tickets.reply(a_ticket(status=TicketStatus.RESOLVED), WANG.id, "", closed_window, NOW)
    assert refusal_of(refused) == Refusal.CLOSED
    with pytest.raises(ReplyWindowClosed) as outside:
        tickets.reply(a_ticket(), WANG.id, "x" * 700, closed_window, NOW)
    assert (outside.value.code, outside.value.why) == ("reply_window_closed", Closed.EXPIRED)
    with pytest.raises(ReplyTooLong) as long:
        tickets.reply(a_ticket(), WANG.id, "x" * 601, OPEN, NOW)
    assert (long.value.limit, long.value.length) == (tickets.REPLY_LIMIT, 601)
    with pytest.raises(ReplyEmpty):
        tickets.reply(a_ticket(), WANG.id, "   ", OPEN, NOW)


def test_closing_records_the_closer_of_an_unassigned_ticket() -> None:
    closed = tickets.close(a_ticket(status=TicketStatus.SNOOZED, snoozed_until=NOW), LI.id, NOW)
    assert (closed.status, closed.resolution, closed.resolved_at, closed.waiting_since,
            closed.snoozed_until, closed.assignee_id) == (
        TicketStatus.RESOLVED, Resolution.RESOLVED, NOW, None, None, LI.id)
    with pytest.raises(TicketRefused):
        tickets.close(closed, LI.id, NOW)


def test_snooze_sets_aside_until_a_time_and_not_a_closed_ticket() -> None:
    snoozed = tickets.snooze(a_ticket(), WANG.id, NOW + 2 * 60 * MINUTE)
    assert (snoozed.status, snoozed.snoozed_until) == (TicketStatus.SNOOZED,
                                                       NOW + 2 * 60 * MINUTE)
    assert snoozed.waiting_since == a_ticket().waiting_since  # still counts as waiting
    with pytest.raises(TicketRefused):
        tickets.snooze(a_ticket(status=TicketStatus.RESOLVED), WANG.id, NOW)


def test_notes_go_on_closed_tickets_too_within_a_limit() -> None:
    assert tickets.note(a_ticket(status=TicketStatus.RESOLVED), WANG.id, " 已电话联系 ") == \
        "已电话联系"
    with pytest.raises(NoteTooLong) as long:
        tickets.note(a_ticket(), WANG.id, "备" * 1001)
    assert long.value.limit == tickets.NOTE_LIMIT


def test_an_unsubscribed_followers_ticket_closes_as_unreachable() -> None:
    closed = tickets.unreachable(a_ticket(assignee_id=LI.id), NOW)
    assert closed is not None
    assert (closed.status, closed.resolution, closed.assignee_id) == (
        TicketStatus.RESOLVED, Resolution.UNREACHABLE, LI.id)
    assert tickets.unreachable(closed, NOW) is None


# --- a follower's message, pure -------------------------------------------------------


def found(status: TicketStatus = TicketStatus.OPEN, waiting: bool = True, priority: int = 0,
          last: datetime | None = NOW - MINUTE) -> Unresolved:
    return Unresolved(5, status, NOW - 60 * MINUTE if waiting else None, priority, last)


@pytest.mark.parametrize(("ticket", "priority", "expected"), [
    (None, 0, (Arrival.OPENED, None)),
    (found(), 0, (Arrival.JOINED, None)),  # the usual case: one statement
    (found(last=NOW - QUIET_SPELL), 0, (Arrival.JOINED, FollowUpNote.QUIET)),
    (found(last=None), 0, (Arrival.JOINED, FollowUpNote.QUIET)),
    (found(), COMPLAINT_PRIORITY, (Arrival.REOPENED, FollowUpNote.COMPLAINT)),
    (found(priority=COMPLAINT_PRIORITY), COMPLAINT_PRIORITY, (Arrival.JOINED, None)),
    (found(TicketStatus.PENDING, waiting=False), 0, (Arrival.REOPENED, None)),
    (found(TicketStatus.SNOOZED), 0, (Arrival.REOPENED, None)),
    (found(waiting=False), 0, (Arrival.REOPENED, None)),
])
def test_where_a_followers_message_goes(ticket: Unresolved | None, priority: int,
                                        expected: tuple[Arrival, FollowUpNote | None]) -> None:
    assert arrive(ticket, priority, NOW) == expected


def test_a_reopened_ticket_waits_since_it_first_waited_at_the_higher_priority() -> None:
    pending = a_ticket(status=TicketStatus.PENDING, waiting_since=None, priority=1,
                       snoozed_until=NOW)
    again = tickets.reopened(pending, 0, NOW)
    assert (again.status, again.waiting_since, again.priority, again.snoozed_until) == (
        TicketStatus.OPEN, NOW, 1, None)
    assert tickets.reopened(a_ticket(), 1, NOW).waiting_since == a_ticket().waiting_since


def test_what_the_follower_is_told() -> None:
    assert tickets.Arrived(1, Arrival.OPENED).acknowledgement == "ack"
    assert tickets.Arrived(1, Arrival.JOINED).acknowledgement is None
    complaint = tickets.Arrived(1, Arrival.REOPENED, FollowUpNote.COMPLAINT)
    assert (complaint.acknowledgement, complaint.complaint) == ("ack_follow_up", True)
    assert tickets.message_priority("我要投诉", ("投诉",)) == COMPLAINT_PRIORITY
    assert tickets.message_priority("你好", ("投诉",)) == 0


# --- the reply-time reminder, pure ----------------------------------------------------


def test_a_long_wait_reminds_the_holder_or_else_the_admins_once_a_wait() -> None:
    since = NOW - 45 * MINUTE
    held = tickets.reminders(a_ticket(assignee_id=LI.id, waiting_since=since), [ADMIN.id], NOW)
    assert [(r.staff_id, r.key) for r in held] == [(LI.id, f"sla:5:{since.isoformat()}:3")]
    assert held[0].payload() == {"staff_id": LI.id, "template": "ticket_waiting",
                                 "context": {"ticket_id": 5, "minutes": 45,
                                             "summary": "几点开始"}}
    assert [r.staff_id for r in tickets.reminders(a_ticket(waiting_since=since), [1, 4], NOW)] \
        == [1, 4]
    assert tickets.reminders(a_ticket(status=TicketStatus.PENDING), [1], NOW) == []


# --- use cases over fakes -------------------------------------------------------------


@pytest.fixture
def uow() -> FakeUnitOfWork:
    fake = FakeUnitOfWork([ADMIN, WANG, LI])
    fake.tickets.rows[5] = a_ticket()
    fake.interactions.seen["o_fan"] = Interactions(True, last_message_at=NOW - 20 * MINUTE)
    return fake


def test_a_reply_is_logged_and_queued_as_one_send_to_the_follower(uow: FakeUnitOfWork) -> None:
    decided = ticket_cases.reply(uow, WANG, 5, "九点开始", AT)
    assert uow.tickets.rows[5].status is TicketStatus.PENDING
    assert uow.tickets.replies == [(5, WANG.id, "九点开始", NOW)]
    key = decided.effect.key
    assert uow.outbox.rows[key] == ("cs_reply", decided.effect.payload())
    assert uow.outbox.recipients[key] == "o_fan" and uow.commits == 1


def test_the_window_counts_the_sends_already_queued(uow: FakeUnitOfWork) -> None:
    for n in range(5):
        ticket_cases.reply(uow, WANG, 5, f"回复 {n}", AT)
    with pytest.raises(ReplyWindowClosed) as outside:
        ticket_cases.reply(uow, WANG, 5, "第六条", AT)
    assert outside.value.why == Closed.USED_UP
    assert len(uow.outbox.rows) == 5 and len(uow.tickets.replies) == 5


def test_a_refused_reply_leaves_nothing_behind(uow: FakeUnitOfWork) -> None:
    uow.interactions.seen["o_fan"] = Interactions(False)
    with pytest.raises(ReplyWindowClosed):
        ticket_cases.reply(uow, WANG, 5, "九点开始", AT)
    assert uow.outbox.rows == {} and uow.tickets.replies == [] and uow.commits == 0
    assert uow.tickets.rows[5] == a_ticket()
    with pytest.raises(TicketNotFound):
        ticket_cases.reply(uow, WANG, 6, "九点开始", AT)


def test_a_claim_that_loses_a_race_is_refused_as_the_winner_left_it(
        uow: FakeUnitOfWork) -> None:
    uow.tickets.meanwhile = [replace(a_ticket(), assignee_id=LI.id, version=2)]
    with pytest.raises(TicketRefused) as refused:
        ticket_cases.claim(uow, WANG, 5, AT)
    assert (refusal_of(refused), refused.value.raced) == (Refusal.TAKEN, True)
    assert uow.tickets.rows[5].assignee_id == LI.id


def test_a_reply_racing_a_close_queues_nothing(uow: FakeUnitOfWork) -> None:
    closed = tickets.close(a_ticket(), LI.id, NOW)
    uow.tickets.meanwhile = [closed]
    with pytest.raises(TicketRefused) as refused:
        ticket_cases.reply(uow, WANG, 5, "九点开始", AT)
    assert (refusal_of(refused), refused.value.raced) == (Refusal.CLOSED, True)
    assert uow.outbox.rows == {} and uow.tickets.replies == []


def test_a_change_that_raced_something_harmless_is_decided_again(uow: FakeUnitOfWork) -> None:
    uow.tickets.meanwhile = [replace(a_ticket(), priority=1, version=2)]  # a complaint came in
    ticket_cases.close(uow, WANG, 5, AT)
    assert (uow.tickets.rows[5].status, uow.tickets.rows[5].priority) == (
        TicketStatus.RESOLVED, 1)


def test_each_staff_action_is_audited_in_its_transaction(uow: FakeUnitOfWork) -> None:
    """The use cases audit (not the chat handler), so every front door leaves the
    same row: the ticket, the action, who, the status after, the text, the command."""
    until = NOW + 60 * MINUTE
    ticket_cases.claim(uow, WANG, 5, Context(now=NOW, command="接 T5"))
    ticket_cases.reply(uow, WANG, 5, " 九点开始 ", Context(now=NOW, command="回 T5 九点开始"))
    ticket_cases.note(uow, WANG, 5, "已电话联系", AT)
    ticket_cases.snooze(uow, WANG, 5, until, Context(now=NOW, comment="1小时"))
    ticket_cases.close(uow, WANG, 5, AT)
    with pytest.raises(TicketRefused):
        ticket_cases.close(uow, LI, 5, AT)  # refused: nothing audited
    assert [(a.subject, a.event, a.actor_id, a.actor_name, a.at, a.result, a.comment,
             a.command) for a in uow.audit.actions] == [
        ("ticket:5", "claim", WANG.id, "王芳", NOW, "open", "", "接 T5"),
        ("ticket:5", "reply", WANG.id, "王芳", NOW, "pending", "九点开始", "回 T5 九点开始"),
        ("ticket:5", "note", WANG.id, "王芳", NOW, "pending", "已电话联系", ""),
        ("ticket:5", "snooze", WANG.id, "王芳", NOW, f"snoozed until {until.isoformat()}",
         "1小时", ""),
        ("ticket:5", "close", WANG.id, "王芳", NOW, "resolved", "", "")]


def test_a_refused_action_says_how_the_ticket_is_now(uow: FakeUnitOfWork) -> None:
    ticket_cases.claim(uow, LI, 5, AT)
    with pytest.raises(TicketRefused) as taken:
        ticket_cases.claim(uow, WANG, 5, AT)
    assert (taken.value.refusal, taken.value.assignee, taken.value.raced) == (
        Refusal.TAKEN, "李雷", False)
    ticket_cases.close(uow, LI, 5, AT)
    with pytest.raises(TicketRefused) as closed:
        ticket_cases.check(ticket_cases.line(uow, 5), WANG, TicketAction.REPLY)
    assert (closed.value.action, closed.value.refusal, closed.value.resolution) == (
        TicketAction.REPLY, Refusal.CLOSED, Resolution.RESOLVED)


def test_the_queue_leaves_snoozed_tickets_out_until_their_time(uow: FakeUnitOfWork) -> None:
    ticket_cases.snooze(uow, WANG, 5, NOW + 60 * MINUTE, AT)
    page = ticket_cases.queue(uow, NOW, 15)
    assert (page.tickets, page.total, page.snoozed) == ([], 0, 1)
    assert [t.id for t in ticket_cases.queue(uow, NOW + 61 * MINUTE, 15).tickets] == [5]
    assert [t.id for t in ticket_cases.queue(uow, NOW, 15, include_resolved=True).tickets] \
        == [5]


def test_the_reminder_job_queues_each_reminder_once(uow: FakeUnitOfWork) -> None:
    assert ticket_cases.remind_waiting(uow, 15 * MINUTE, NOW) == 1  # the admin: unassigned
    assert ticket_cases.remind_waiting(uow, 15 * MINUTE, NOW + MINUTE) == 0
    (kind, payload), = uow.outbox.rows.values()
    assert (kind, payload["staff_id"], payload["template"]) == ("notify", ADMIN.id,
                                                                "ticket_waiting")


def test_an_unsubscribe_closes_the_followers_tickets(uow: FakeUnitOfWork) -> None:
    assert ticket_cases.follower_left(uow, 7, NOW) == 1
    assert uow.tickets.rows[5].resolution == Resolution.UNREACHABLE
    assert ticket_cases.follower_left(uow, 7, NOW) == 0


# --- a reply's delivery, pure ---------------------------------------------------------


def test_a_reply_given_up_is_marked_and_its_writer_told_with_the_incident() -> None:
    send = SendReply(ticket_id=5, message_id=9, openid="o_fan", text="好", staff_id=2)
    assert SendReply.from_payload(send.payload()) == send
    refused = tickets.given_up(send, 31, "窗口已关闭", unconfirmed=False)
    assert refused.delivery is tickets.Delivery.REFUSED
    assert (refused.notice.staff_id, refused.notice.entry()) == (2, {
        "row_id": 31, "ticket_id": 5, "reason": "窗口已关闭", "unconfirmed": False})
    assert tickets.given_up(send, 31, "", unconfirmed=True).delivery is tickets.Delivery.UNKNOWN
    late = tickets.sent_after_all(send, 31)
    assert (late.key, late.payload()) == ("reply_sent_after_all:31", {
        "staff_id": 2, "template": "reply_sent_after_all", "context": {"ticket_id": 5}})
