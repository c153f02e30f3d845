"""The reply queue's rules, pure: a ticket's statuses and when a staff action
on a ticket is refused.

Storage applies each change as one conditional UPDATE whose condition is the
rule stated here (``storage.queue_ops``, ``storage.tickets.reply``), so two
staff members acting on one ticket at once cannot both win; the loser's
command explains itself from the ticket as the winner's commit left it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class TicketStatus(StrEnum):
    OPEN = "open"  # the follower waits for an answer
    PENDING = "pending"  # answered; waiting for the follower
    SNOOZED = "snoozed"  # set aside until a time, or until the follower writes again
    RESOLVED = "resolved"  # closed; a new message from the follower opens a new ticket


UNRESOLVED: tuple[TicketStatus, ...] = (TicketStatus.OPEN, TicketStatus.PENDING,
                                        TicketStatus.SNOOZED)


class Resolution(StrEnum):
    RESOLVED = "resolved"  # a staff member closed it
    UNREACHABLE = "unreachable"  # the follower unsubscribed: nobody can answer them


class TicketAction(StrEnum):
    CLAIM = "claim"
    REPLY = "reply"
    SNOOZE = "snooze"
    CLOSE = "close"
    NOTE = "note"


class Refusal(StrEnum):
    """Why an action cannot be taken; the commands phrase these in Chinese."""

    CLOSED = "closed"  # the ticket is resolved
    TAKEN = "taken"  # someone else has claimed it
    ALREADY_YOURS = "already_yours"  # a claim of one's own ticket: nothing to do


@dataclass(frozen=True)
class TicketFacts:
    """What the rules look at."""

    status: TicketStatus
    assignee_id: int | None
    snoozed_until: datetime | None = None

    @property
    def closed(self) -> bool:
        return self.status is TicketStatus.RESOLVED


def current_status(ticket: TicketFacts, now: datetime) -> TicketStatus:
    """A snooze that has run out puts the ticket back in the queue as open."""
    if ticket.status is TicketStatus.SNOOZED and (ticket.snoozed_until is None
                                                   or ticket.snoozed_until <= now):
        return TicketStatus.OPEN
    return ticket.status


def in_queue(ticket: TicketFacts, now: datetime) -> bool:
    """Listed in the staff queue: open or answered, or snoozed and due again."""
    return current_status(ticket, now) in (TicketStatus.OPEN, TicketStatus.PENDING)


def refusal(action: TicketAction, ticket: TicketFacts, staff_id: int) -> Refusal | None:
    """None when ``staff_id`` may take ``action`` on ``ticket`` now.

    Notes may be added to a closed ticket (they are for the team); everything
    else on a closed ticket is refused. Only an unassigned ticket can be
    claimed. Replying to an unassigned ticket claims it for the one replying.
    """
    if ticket.closed and action is not TicketAction.NOTE:
        return Refusal.CLOSED
    if action is TicketAction.CLAIM and ticket.assignee_id is not None:
        return Refusal.ALREADY_YOURS if ticket.assignee_id == staff_id else Refusal.TAKEN
    return None
