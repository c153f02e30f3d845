"""Reply-queue operations behind the staff commands: the live queue, one ticket's
history, claim / resolve / snooze / note, and the saved (canned) replies.

The rules are ``workflow.reply_queue``. Every change is one conditional UPDATE
whose condition is that rule, so two staff members acting on one ticket at
once cannot both win: the loser's statement matches no row (on PostgreSQL it
waits for the winner's commit, then re-checks the condition).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from storage.models import CannedReply, Follower, ReplyTicket, Staff, TicketMessage, TicketNote
from workflow.reply_queue import Resolution, TicketFacts, TicketStatus, current_status

RESOLVED, SNOOZED = TicketStatus.RESOLVED.value, TicketStatus.SNOOZED.value


@dataclass(frozen=True)
class TicketState:
    """A ticket as the commands see it; ``status`` is stored, see ``current_status``."""

    id: int
    status: str
    priority: int
    assignee_id: int | None
    assignee: str | None
    openid: str
    preview: str  # the follower's newest message (``newest_follower_message``)
    opened_at: datetime
    waiting_since: datetime | None
    snoozed_until: datetime | None
    resolution: str

    @property
    def facts(self) -> TicketFacts:
        return TicketFacts(TicketStatus(self.status), self.assignee_id, self.snoozed_until)

    def current_status(self, now: datetime) -> str:
        return current_status(self.facts, now).value


def newest_follower_message() -> ColumnElement[str]:
    """What the queue shows of a ticket: the follower's newest message, which says
    what they wait for now (a follow-up, a complaint), not the one that opened it;
    the opening summary for a ticket without one."""
    newest = (select(TicketMessage.content)
              .where(TicketMessage.ticket_id == ReplyTicket.id, TicketMessage.direction == "in")
              .order_by(TicketMessage.id.desc()).limit(1).scalar_subquery())
    return func.coalesce(newest, ReplyTicket.summary)


_TICKET = (
    select(ReplyTicket.id, ReplyTicket.status, ReplyTicket.priority, ReplyTicket.assignee_id,
           Staff.name, Follower.openid, newest_follower_message(), ReplyTicket.opened_at,
           ReplyTicket.waiting_since, ReplyTicket.snoozed_until, ReplyTicket.resolution)
    .join(Follower, Follower.id == ReplyTicket.follower_id)
    .outerjoin(Staff, Staff.id == ReplyTicket.assignee_id)
)


def _state(row: Any) -> TicketState:
    return TicketState(*row)


def find_ticket(conn: Connection, ticket_id: int) -> TicketState | None:
    row = conn.execute(_TICKET.where(ReplyTicket.id == ticket_id)).first()
    return _state(row) if row is not None else None


def _in_queue(now: datetime) -> ColumnElement[bool]:
    """``reply_queue.in_queue`` in SQL: open or answered, or snoozed and due again."""
    return or_(ReplyTicket.status.in_((TicketStatus.OPEN.value, TicketStatus.PENDING.value)),
               and_(ReplyTicket.status == SNOOZED,
                    or_(ReplyTicket.snoozed_until.is_(None), ReplyTicket.snoozed_until <= now)))


def _still_snoozed(now: datetime) -> ColumnElement[bool]:
    return and_(ReplyTicket.status == SNOOZED, ReplyTicket.snoozed_until > now)


@dataclass(frozen=True)
class QueueView:
    tickets: list[TicketState]  # higher priority first, then longest waiting
    total: int  # in the queue, beyond the ones listed too
    snoozed: int  # set aside for now, not listed


def open_queue(conn: Connection, now: datetime, limit: int) -> QueueView:
    rows = conn.execute(
        _TICKET.where(_in_queue(now))
        .order_by(ReplyTicket.priority.desc(), ReplyTicket.waiting_since.asc().nulls_last(),
                  ReplyTicket.id)
        .limit(limit)).all()
    total = conn.scalar(select(func.count()).select_from(ReplyTicket).where(_in_queue(now)))
    snoozed = conn.scalar(select(func.count()).select_from(ReplyTicket)
                          .where(_still_snoozed(now)))
    return QueueView([_state(r) for r in rows], int(total or 0), int(snoozed or 0))


@dataclass(frozen=True)
class MessageLine:
    at: datetime
    direction: str  # in | out
    kind: str
    content: str
    delivery: str  # queued | sent | refused for answers, "" for the follower's
    staff: str | None


@dataclass(frozen=True)
class NoteLine:
    at: datetime
    staff: str
    content: str


def messages(conn: Connection, ticket_id: int) -> list[MessageLine]:
    rows = conn.execute(
        select(TicketMessage.created_at, TicketMessage.direction, TicketMessage.kind,
               TicketMessage.content, TicketMessage.delivery, Staff.name)
        .outerjoin(Staff, Staff.id == TicketMessage.staff_id)
        .where(TicketMessage.ticket_id == ticket_id).order_by(TicketMessage.id)).all()
    return [MessageLine(*r) for r in rows]


def notes(conn: Connection, ticket_id: int) -> list[NoteLine]:
    rows = conn.execute(
        select(TicketNote.created_at, Staff.name, TicketNote.content)
        .join(Staff, Staff.id == TicketNote.staff_id)
        .where(TicketNote.ticket_id == ticket_id).order_by(TicketNote.id)).all()
    return [NoteLine(*r) for r in rows]


def _change(conn: Connection, ticket_id: int, *where: ColumnElement[bool],
            **values: Any) -> bool:
    """One conditional UPDATE that bumps the version; True if it matched the ticket."""
    result = conn.execute(
        update(ReplyTicket).where(ReplyTicket.id == ticket_id, *where)
        .values(version=ReplyTicket.version + 1, **values))
    return bool(result.rowcount)


def claim(conn: Connection, ticket_id: int, staff_id: int) -> bool:
    """Take an unassigned, unresolved ticket (``reply_queue.refusal`` of CLAIM).
    False: it is closed or someone's."""
    return _change(conn, ticket_id, ReplyTicket.assignee_id.is_(None),
                   ReplyTicket.status != RESOLVED, assignee_id=staff_id)


def release_claims(conn: Connection, staff_id: int) -> int:
    """Put everything ``staff_id`` claimed and has not resolved back in the queue,
    unassigned (they are leaving). Returns how many tickets went back."""
    result = conn.execute(
        update(ReplyTicket)
        .where(ReplyTicket.assignee_id == staff_id, ReplyTicket.status != RESOLVED)
        .values(assignee_id=None, version=ReplyTicket.version + 1))
    return int(result.rowcount or 0)


def resolve(conn: Connection, ticket_id: int, staff_id: int, now: datetime) -> bool:
    """Close the ticket; whoever closes an unassigned ticket is recorded as its handler."""
    return _change(conn, ticket_id, ReplyTicket.status != RESOLVED, status=RESOLVED,
                   resolution=Resolution.RESOLVED.value, resolved_at=now, waiting_since=None,
                   snoozed_until=None,
                   assignee_id=func.coalesce(ReplyTicket.assignee_id, staff_id))


def snooze(conn: Connection, ticket_id: int, until: datetime) -> bool:
    """Set aside until ``until``; a new message from the follower reopens it sooner."""
    return _change(conn, ticket_id, ReplyTicket.status != RESOLVED, status=SNOOZED,
                   snoozed_until=until)


def add_note(conn: Connection, ticket_id: int, staff_id: int, text: str, now: datetime) -> int:
    result = conn.execute(insert(TicketNote).values(
        ticket_id=ticket_id, staff_id=staff_id, content=text, created_at=now))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


@dataclass(frozen=True)
class Canned:
    shortcut: str
    body: str


def canned_replies(conn: Connection) -> list[Canned]:
    rows = conn.execute(select(CannedReply.shortcut, CannedReply.body)
                        .order_by(CannedReply.shortcut)).all()
    return [Canned(*r) for r in rows]


def canned_body(conn: Connection, shortcut: str) -> str | None:
    return conn.scalar(select(CannedReply.body).where(CannedReply.shortcut == shortcut))


def save_canned(conn: Connection, shortcut: str, body: str, staff_id: int,
                now: datetime) -> bool:
    """Add or overwrite a saved reply; True if it is new."""
    existed = canned_body(conn, shortcut) is not None
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    values = {"body": body, "updated_by": staff_id, "updated_at": now}
    stmt = dialect.insert(CannedReply).values(shortcut=shortcut, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=[CannedReply.shortcut], set_=values))
    return not existed


def delete_canned(conn: Connection, shortcut: str) -> bool:
    result = conn.execute(delete(CannedReply).where(CannedReply.shortcut == shortcut))
    return bool(result.rowcount)
