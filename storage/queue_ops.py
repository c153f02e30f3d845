"""The reply queue's read view (``workflow.ports.QueueView``): the queue, one
ticket's line, messages and notes; and the saved (canned) replies. Queries
only: ``workflow.tickets`` decides, ``workflow.queue_view`` is what is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from storage.literal import constant
from storage.models import (
    CannedReply,
    CommentTicketRow,
    Follower,
    ReplyTicket,
    Staff,
    TicketMessage,
    TicketNote,
)
from storage.upsert import conflict_insert
from workflow.queue_view import MessageLine, NoteLine, QueueLine, QueuePage, SavedReply
from workflow.reply_queue import TicketStatus

RESOLVED, SNOOZED = TicketStatus.RESOLVED.value, TicketStatus.SNOOZED.value


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
           ReplyTicket.waiting_since, ReplyTicket.snoozed_until, ReplyTicket.resolution,
           select(CommentTicketRow.item_id).where(CommentTicketRow.ticket_id == ReplyTicket.id)
           .scalar_subquery())
    .join(Follower, Follower.id == ReplyTicket.follower_id)
    .outerjoin(Staff, Staff.id == ReplyTicket.assignee_id)
)


def _line(row: Any) -> QueueLine:
    return QueueLine(*row)


def _in_queue(now: datetime) -> ColumnElement[bool]:
    """``reply_queue.in_queue`` in SQL: open or answered, or snoozed and due again.
    (Not resolved, said first: what the queue's partial index holds.)"""
    waiting = ReplyTicket.status.in_((TicketStatus.OPEN.value, TicketStatus.PENDING.value))
    due_again = and_(ReplyTicket.status == SNOOZED, or_(ReplyTicket.snoozed_until.is_(None),
                                                        ReplyTicket.snoozed_until <= now))
    return and_(ReplyTicket.status != constant(RESOLVED), or_(waiting, due_again))


def _still_snoozed(now: datetime) -> ColumnElement[bool]:
    return and_(ReplyTicket.status == SNOOZED, ReplyTicket.snoozed_until > now)


_ORDER = (ReplyTicket.priority.desc(), ReplyTicket.waiting_since.asc().nulls_last(),
          ReplyTicket.id)


class SqlQueueView:
    """Implements ``workflow.ports.QueueView``."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def listing(self, now: datetime, limit: int, include_resolved: bool = False) -> QueuePage:
        listed = _in_queue(now) if not include_resolved else ReplyTicket.id.is_not(None)
        rows = self.session.execute(_TICKET.where(listed).order_by(*_ORDER).limit(limit)).all()
        total, snoozed = self._counts(listed, now, include_resolved)
        return QueuePage([_line(r) for r in rows], total, snoozed)

    def _counts(self, listed: ColumnElement[bool], now: datetime,
                include_resolved: bool) -> tuple[int, int]:
        """How many are ``listed`` and how many are still snoozed, in one read: of
        the unresolved tickets only, from their index alone (migration 0036),
        unless the resolved are listed too."""
        counts = select(func.count().filter(listed), func.count().filter(_still_snoozed(now)))
        if not include_resolved:
            counts = counts.where(ReplyTicket.status != constant(RESOLVED))
        total, snoozed = self.session.execute(counts.select_from(ReplyTicket)).one()
        return int(total or 0), int(snoozed or 0)

    def line(self, ticket_id: int) -> QueueLine | None:
        row = self.session.execute(_TICKET.where(ReplyTicket.id == ticket_id)).first()
        return _line(row) if row is not None else None

    def messages(self, ticket_id: int) -> Sequence[MessageLine]:
        rows = self.session.execute(
            select(TicketMessage.created_at, TicketMessage.direction, TicketMessage.kind,
                   TicketMessage.content, TicketMessage.delivery, Staff.name)
            .outerjoin(Staff, Staff.id == TicketMessage.staff_id)
            .where(TicketMessage.ticket_id == ticket_id).order_by(TicketMessage.id)).all()
        return [MessageLine(*r) for r in rows]

    def notes(self, ticket_id: int) -> Sequence[NoteLine]:
        rows = self.session.execute(
            select(TicketNote.created_at, Staff.name, TicketNote.content)
            .join(Staff, Staff.id == TicketNote.staff_id)
            .where(TicketNote.ticket_id == ticket_id).order_by(TicketNote.id)).all()
        return [NoteLine(*r) for r in rows]


def release_claims(conn: Connection, staff_id: int) -> int:
    """Put everything ``staff_id`` claimed and has not resolved back in the queue,
    unassigned (they are leaving). Returns how many tickets went back."""
    result = conn.execute(
        update(ReplyTicket)
        .where(ReplyTicket.assignee_id == staff_id, ReplyTicket.status != RESOLVED)
        .values(assignee_id=None, version=ReplyTicket.version + 1))
    return int(result.rowcount or 0)


class SqlCannedReplies:
    """Implements ``workflow.ports.CannedReplies``."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def all(self) -> Sequence[SavedReply]:
        rows = self.session.execute(select(CannedReply.shortcut, CannedReply.body)
                                    .order_by(CannedReply.shortcut)).all()
        return [SavedReply(*r) for r in rows]

    def body(self, code: str) -> str | None:
        return self.session.scalar(select(CannedReply.body).where(CannedReply.shortcut == code))

    def save(self, code: str, body: str, staff_id: int, now: datetime) -> bool:
        existed = self.body(code) is not None
        values = {"body": body, "updated_by": staff_id, "updated_at": now}
        stmt = conflict_insert(self.session.get_bind().dialect.name, CannedReply).values(
            shortcut=code, **values)
        self.session.execute(stmt.on_conflict_do_update(index_elements=[CannedReply.shortcut],
                                                        set_=values))
        return not existed

    def delete(self, code: str) -> bool:
        result = self.session.execute(delete(CannedReply).where(CannedReply.shortcut == code))
        return bool(result.rowcount)  # type: ignore[attr-defined]
