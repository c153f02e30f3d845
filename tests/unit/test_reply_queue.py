"""The reply queue's rules, on plain data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workflow.reply_queue import (
    Refusal,
    TicketAction,
    TicketFacts,
    TicketStatus,
    current_status,
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
