"""The reply queue's rules, pure: a ticket's statuses and when a staff action
on a ticket is refused.

Storage applies each change as one conditional UPDATE whose condition is the
rule stated here (``storage.queue_ops``, ``storage.tickets.reply``), so two
staff members acting on one ticket at once cannot both win; the loser's
command explains itself from the ticket as the winner's commit left it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

#: A ticket's priority once a complaint is in it (complaint words,
#: ``WXOPS_COMPLAINT_WORDS``); the queue lists it first, marked ！.
COMPLAINT_PRIORITY = 1

#: How long a ticket must have been quiet (no message either way) for a
#: follower's new message to it to be acknowledged again.
QUIET_SPELL = timedelta(minutes=30)


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
    #: answered in the official backend: the account cannot reply from wxops, and a
    #: staff member closed it with a note (``结 T5 已在后台回复``)
    ANSWERED_IN_BACKEND = "answered_in_backend"


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
    CHANGED = "changed"  # changed by others again and again while deciding: try again


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


class FollowUpNote(StrEnum):
    """Why a follower's message to their unresolved ticket is acknowledged."""

    QUIET = "quiet"  # the ticket had been quiet for a QUIET_SPELL or longer
    COMPLAINT = "complaint"  # this message raised the ticket's priority: a complaint


@dataclass(frozen=True)
class FollowUp:
    """A follower's new message to their unresolved ticket, before it is logged."""

    last_message_at: datetime | None  # the ticket's newest message, either way
    ticket_priority: int  # the ticket's, before this message
    message_priority: int  # COMPLAINT_PRIORITY for a complaint, otherwise 0


def quiet_since(now: datetime) -> datetime:
    """A ticket with no message after this moment has been quiet long enough."""
    return now - QUIET_SPELL


def follow_up_note(follow_up: FollowUp, now: datetime) -> FollowUpNote | None:
    """The note a follow-up gets, or None for silence.

    One note per quiet spell: a message after a quiet spell, or one that makes
    the ticket a complaint, is told it was added to the open request; the
    messages that follow it in quick succession, complaints included, get
    nothing more (the ticket is no longer quiet, and already a complaint). A
    staff answer counts as a message: a follower answering it is in a
    conversation, not writing into silence.
    """
    if follow_up.message_priority > follow_up.ticket_priority:
        return FollowUpNote.COMPLAINT
    last = follow_up.last_message_at
    if last is None or last <= quiet_since(now):
        return FollowUpNote.QUIET
    return None
