"""The reply queue's rules, on plain data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workflow.reply_queue import (
    COMPLAINT_PRIORITY,
    QUIET_SPELL,
    FollowUp,
    FollowUpNote,
    Refusal,
    TicketAction,
    TicketFacts,
    TicketStatus,
    current_status,
    follow_up_note,
    in_queue,
    refusal,
)

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
ME, OTHER = 7, 8


def facts(status: TicketStatus, assignee: int | None = None,
          snoozed_until: datetime | None = None) -> TicketFacts:
    return TicketFacts(status, assignee, snoozed_until)


def test_a_snooze_that_ran_out_is_open_again() -> None:
    later = facts(TicketStatus.SNOOZED, snoozed_until=NOW + timedelta(minutes=1))
    due = facts(TicketStatus.SNOOZED, snoozed_until=NOW)
    assert current_status(later, NOW) is TicketStatus.SNOOZED and not in_queue(later, NOW)
    assert current_status(due, NOW) is TicketStatus.OPEN and in_queue(due, NOW)


@pytest.mark.parametrize(("status", "listed"), [
    (TicketStatus.OPEN, True), (TicketStatus.PENDING, True), (TicketStatus.RESOLVED, False)])
def test_the_queue_lists_open_and_answered_tickets(status: TicketStatus, listed: bool) -> None:
    assert in_queue(facts(status), NOW) is listed


@pytest.mark.parametrize("action", [TicketAction.CLAIM, TicketAction.REPLY,
                                    TicketAction.SNOOZE, TicketAction.CLOSE])
def test_a_closed_ticket_refuses_everything_but_notes(action: TicketAction) -> None:
    closed = facts(TicketStatus.RESOLVED, assignee=ME)
    assert refusal(action, closed, ME) is Refusal.CLOSED
    assert refusal(TicketAction.NOTE, closed, ME) is None


def test_only_an_unassigned_ticket_can_be_claimed() -> None:
    assert refusal(TicketAction.CLAIM, facts(TicketStatus.OPEN), ME) is None
    assert refusal(TicketAction.CLAIM, facts(TicketStatus.OPEN, OTHER), ME) is Refusal.TAKEN
    assert refusal(TicketAction.CLAIM, facts(TicketStatus.OPEN, ME), ME) is Refusal.ALREADY_YOURS


@pytest.mark.parametrize("action", [TicketAction.REPLY, TicketAction.SNOOZE,
                                    TicketAction.CLOSE, TicketAction.NOTE])
def test_anyone_on_the_team_may_act_on_someone_elses_open_ticket(action: TicketAction) -> None:
    assert refusal(action, facts(TicketStatus.PENDING, OTHER), ME) is None


MINUTE = timedelta(minutes=1)


@pytest.mark.parametrize(("quiet_for", "note"), [
    (MINUTE, None),
    (QUIET_SPELL - MINUTE, None),
    (QUIET_SPELL, FollowUpNote.QUIET),
    (timedelta(days=2), FollowUpNote.QUIET),
])
def test_a_follow_up_is_noted_once_the_ticket_has_been_quiet(quiet_for: timedelta,
                                                            note: FollowUpNote | None) -> None:
    follow_up = FollowUp(last_message_at=NOW - quiet_for, ticket_priority=0, message_priority=0)
    assert follow_up_note(follow_up, NOW) is note


def test_a_ticket_without_a_logged_message_counts_as_quiet() -> None:
    assert follow_up_note(FollowUp(None, 0, 0), NOW) is FollowUpNote.QUIET


def test_a_complaint_that_raises_the_ticket_is_noted_however_recent() -> None:
    raised = FollowUp(NOW - MINUTE, ticket_priority=0, message_priority=COMPLAINT_PRIORITY)
    assert follow_up_note(raised, NOW) is FollowUpNote.COMPLAINT


@pytest.mark.parametrize("message_priority", [0, COMPLAINT_PRIORITY])
def test_messages_in_quick_succession_to_a_complaint_get_nothing_more(
        message_priority: int) -> None:
    again = FollowUp(NOW - MINUTE, COMPLAINT_PRIORITY, message_priority)
    assert follow_up_note(again, NOW) is None
    quiet = FollowUp(NOW - QUIET_SPELL, COMPLAINT_PRIORITY, message_priority)
    assert follow_up_note(quiet, NOW) is FollowUpNote.QUIET
