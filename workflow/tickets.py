"""Reply tickets as an aggregate: what a follower's message, a staff action and
the reply-time reminder do to a ticket, pure.

Each decision takes the ticket as stored, the actor and input, and ``now``; it
returns the ticket as it is to be stored (its version one higher) and any
effects, or raises a ``TicketError`` with a code. ``workflow.ticket_cases``
loads, decides, saves (with a version check) and commits. The statuses and
when an action is refused are ``workflow.reply_queue``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from workflow.comments import CommentStatus, CommentTarget
from workflow.effects import (
    RemindOfTicket,
    ReplyGivenUp,
    ReplyToComment,
    SendReply,
    TellOfTicket,
)
from workflow.errors import (
    CommentGone,
    CommentUnmapped,
    NoteTooLong,
    ReplyEmpty,
    ReplyTooLong,
    ReplyWindowClosed,
    TicketRefused,
)
from workflow.reply_queue import (
    COMPLAINT_PRIORITY,
    FollowUp,
    FollowUpNote,
    Resolution,
    TicketAction,
    TicketFacts,
    TicketStatus,
    follow_up_note,
    refusal,
)
from workflow.window import Window

REPLY_LIMIT = 600  # WeChat's text message limit is about 2048 bytes; keep replies readable
NOTE_LIMIT = 1000
SUMMARY_LENGTH = 60  # a new ticket's summary: the start of the message that opened it


@dataclass(frozen=True)
class Ticket:
    id: int
    follower_id: int
    openid: str
    status: TicketStatus
    opened_at: datetime
    priority: int = 0
    assignee_id: int | None = None
    summary: str = ""
    waiting_since: datetime | None = None  # the follower waits for the team since then
    snoozed_until: datetime | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    resolution: str = ""  # Resolution, once resolved
    version: int = 1

    @property
    def facts(self) -> TicketFacts:
        return TicketFacts(self.status, self.assignee_id, self.snoozed_until)

    def _changed(self, **changes: object) -> Ticket:
        return replace(self, version=self.version + 1, **changes)  # type: ignore[arg-type]


def _check(action: TicketAction, ticket: Ticket, staff_id: int) -> None:
    why = refusal(action, ticket.facts, staff_id)
    if why is not None:
        raise TicketRefused(ticket.id, action, why)


# --- staff actions ---------------------------------------------------------------


def claim(ticket: Ticket, staff_id: int) -> Ticket:
    """Take an unassigned, unresolved ticket."""
    _check(TicketAction.CLAIM, ticket, staff_id)
    return ticket._changed(assignee_id=staff_id)


@dataclass(frozen=True)
class Reply:
    ticket: Ticket
    effect: SendReply | ReplyToComment  # its message_id is known once the answer is logged
    claimed: bool  # the ticket was nobody's: now it is the replier's


def reply(ticket: Ticket, staff_id: int, text: str, window: Window | None, now: datetime,
          comment: CommentTarget | None = None) -> Reply:
    """A staff answer. The ticket then waits for the follower (pending); the first
    answer sets the first-response time, and an unassigned ticket becomes the
    replier's. Refused on a closed ticket, outside the customer-service window,
    and for an empty or overlong text, in that order. A comment's ticket
    (``comment``; ``window`` None) is answered under the comment, with no window,
    and resolved by it."""
    _check(TicketAction.REPLY, ticket, staff_id)
    if window is not None and window.closed_because is not None:
        raise ReplyWindowClosed(ticket.id, window.closed_because)
    text = text.strip()
    if not text:
        raise ReplyEmpty(REPLY_LIMIT)
    if len(text) > REPLY_LIMIT:
        raise ReplyTooLong(REPLY_LIMIT, len(text))
    after = ticket._changed(status=TicketStatus.PENDING, waiting_since=None,
                            assignee_id=ticket.assignee_id or staff_id,
                            first_response_at=ticket.first_response_at or now)
    effect: SendReply | ReplyToComment
    if comment is None:
        effect = SendReply(ticket_id=ticket.id, openid=ticket.openid, text=text,
                           staff_id=staff_id)
    else:  # a comment gets one reply (the platform takes no second): the ticket is done
        effect = comment_reply(ticket.id, comment, text, staff_id)
        after = replace(after, status=TicketStatus.RESOLVED, resolved_at=now,
                        resolution=Resolution.RESOLVED.value)
    return Reply(after, effect, claimed=ticket.assignee_id is None)


def comment_reply(ticket_id: int, comment: CommentTarget, text: str,
                  staff_id: int) -> ReplyToComment:
    if comment.status == CommentStatus.DELETED:
        raise CommentGone(ticket_id)
    if comment.article is None:
        raise CommentUnmapped(comment.item_id)
    return ReplyToComment(ticket_id=ticket_id, msg_data_id=comment.article.msg_data_id,
                          index=comment.article.index, user_comment_id=comment.user_comment_id,
                          text=text, staff_id=staff_id)


def close(ticket: Ticket, staff_id: int, now: datetime,
          resolution: Resolution = Resolution.RESOLVED) -> Ticket:
    """Resolve the ticket; whoever closes an unassigned ticket is recorded as its handler."""
    _check(TicketAction.CLOSE, ticket, staff_id)
    return ticket._changed(status=TicketStatus.RESOLVED, resolution=resolution.value,
                           resolved_at=now, waiting_since=None, snoozed_until=None,
                           assignee_id=ticket.assignee_id or staff_id)


def snooze(ticket: Ticket, staff_id: int, until: datetime) -> Ticket:
    """Set aside until ``until``; a new message from the follower reopens it sooner."""
    _check(TicketAction.SNOOZE, ticket, staff_id)
    return ticket._changed(status=TicketStatus.SNOOZED, snoozed_until=until)


def note(ticket: Ticket, staff_id: int, text: str) -> str:
    """A private note for the team (closed tickets too); returns the text to keep."""
    _check(TicketAction.NOTE, ticket, staff_id)
    text = text.strip()
    if len(text) > NOTE_LIMIT:
        raise NoteTooLong(NOTE_LIMIT)
    return text


def unreachable(ticket: Ticket, now: datetime) -> Ticket | None:
    """The follower unsubscribed: nobody can answer them, so an unresolved ticket
    closes as unreachable (None: it was closed already)."""
    if ticket.status is TicketStatus.RESOLVED:
        return None
    return ticket._changed(status=TicketStatus.RESOLVED, resolved_at=now, waiting_since=None,
                           resolution=Resolution.UNREACHABLE.value)


# --- a follower's message ----------------------------------------------------------


def message_priority(content: str, complaint_words: Sequence[str]) -> int:
    """COMPLAINT_PRIORITY for a message with a complaint word in it, else 0."""
    return COMPLAINT_PRIORITY if any(word in content for word in complaint_words) else 0


class Arrival(StrEnum):
    """What a follower's message does to their tickets."""

    JOINED = "joined"  # logged to the ticket already waiting; the ticket is unchanged
    REOPENED = "reopened"  # back in the queue as open, waiting, at the higher priority
    OPENED = "opened"  # they had no unresolved ticket: a new one


@dataclass(frozen=True)
class Unresolved:
    """The follower's unresolved ticket, as a message to it finds it."""

    id: int
    status: TicketStatus
    waiting_since: datetime | None
    priority: int
    last_message_at: datetime | None  # its newest message, either way

    @property
    def waiting(self) -> bool:
        return self.status is TicketStatus.OPEN and self.waiting_since is not None


@dataclass(frozen=True)
class Arrived:
    """A follower's message, recorded: the ticket it went to and what they are told."""

    ticket_id: int
    arrival: Arrival
    note: FollowUpNote | None = None  # a follow-up's note (reply_queue.follow_up_note)

    @property
    def acknowledgement(self) -> str | None:
        """The text the follower gets as a passive reply (its out-of-hours variant
        is ``…_away``), or None: a new ticket is acknowledged with its number; a
        follow-up now and then (docs/reply-queue.md)."""
        if self.arrival is Arrival.OPENED:
            return "ack"
        return None if self.note is None else "ack_follow_up"

    @property
    def complaint(self) -> bool:
        return self.note is FollowUpNote.COMPLAINT


def arrive(found: Unresolved | None, priority: int,
           now: datetime) -> tuple[Arrival, FollowUpNote | None]:
    """The rule ``storage.tickets.record_inbound`` applies, in SQL for the usual case.

    A follower has at most one unresolved ticket. A message to one already
    waiting at this priority or above changes nothing in it (JOINED); to one
    not waiting, or at a lower priority, puts it back in the queue as open,
    waiting since now unless it was already, at the higher of the two
    priorities (REOPENED: ``reopened``). Without one, the message opens a
    ticket. A follow-up gets the note ``follow_up_note`` gives it. The usual
    case, JOINED with no note, is the hot path's one statement.
    """
    if found is None:
        return Arrival.OPENED, None
    note = follow_up_note(FollowUp(found.last_message_at, found.priority, priority), now)
    if found.waiting and found.priority >= priority:
        return Arrival.JOINED, note
    return Arrival.REOPENED, note


def reopened(ticket: Ticket, priority: int, now: datetime) -> Ticket:
    """A REOPENED ticket as it is stored after the message."""
    return ticket._changed(status=TicketStatus.OPEN, snoozed_until=None,
                           priority=max(ticket.priority, priority),
                           waiting_since=ticket.waiting_since or now)


def opened(follower_id: int, openid: str, content: str, priority: int,
           now: datetime) -> Ticket:
    """A new ticket (id 0 until stored)."""
    return Ticket(0, follower_id, openid, TicketStatus.OPEN, now, priority=priority,
                  summary=content[:SUMMARY_LENGTH], waiting_since=now)


# --- the reply-time reminder -------------------------------------------------------


def reminders(ticket: Ticket, holders: Sequence[int], now: datetime) -> list[RemindOfTicket]:
    """A ticket whose follower has waited too long (``WXOPS_REPLY_SLA``): its holder
    is told, or, when nobody took it, ``holders`` (the admins). Once per person
    per wait: the key holds when the wait began."""
    if ticket.status is not TicketStatus.OPEN or ticket.waiting_since is None:
        return []
    people = [ticket.assignee_id] if ticket.assignee_id is not None else list(holders)
    minutes = int((now - ticket.waiting_since).total_seconds() // 60)
    return [RemindOfTicket(staff_id=staff_id, ticket_id=ticket.id, minutes=minutes,
                           summary=ticket.summary, waiting_since=ticket.waiting_since)
            for staff_id in people]



# --- a reply's delivery --------------------------------------------------------------


class Delivery(StrEnum):
    """What a staff answer's history says of its send (``ticket_messages.delivery``)."""

    QUEUED = "queued"
    SENT = "sent"
    REFUSED = "refused"
    UNKNOWN = "unknown"  # sent, and no answer came: it may have arrived


@dataclass(frozen=True)
class GivenUp:
    delivery: Delivery
    notice: ReplyGivenUp


def given_up(reply: SendReply, row_id: int, reason: str, unconfirmed: bool) -> GivenUp:
    """A reply refused for good, or sent with no answer: its history says so and
    its writer is told, with the others given up in the same incident."""
    delivery = Delivery.UNKNOWN if unconfirmed else Delivery.REFUSED
    return GivenUp(delivery, ReplyGivenUp(staff_id=reply.staff_id, row_id=row_id,
                                          ticket_id=reply.ticket_id, reason=reason,
                                          unconfirmed=unconfirmed))


def sent_after_all(reply: SendReply, row_id: int) -> TellOfTicket:
    """A reply given up as perhaps undelivered arrived after all: whoever was
    already told otherwise hears so, once."""
    return TellOfTicket(staff_id=reply.staff_id, template="reply_sent_after_all",
                        ticket_id=reply.ticket_id, occasion=str(row_id))
