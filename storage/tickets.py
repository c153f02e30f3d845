"""The reply queue: tickets, their message history and private notes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.orm import Session

from storage.models import Follower, ReplyTicket, Staff, TicketMessage, TicketNote

OPEN_STATUSES = ("open", "pending", "snoozed")
SUMMARY_LENGTH = 60


@dataclass(frozen=True)
class TicketTouch:
    ticket_id: int
    created: bool
    needs_ack: bool  # the follower has not been acknowledged on this ticket yet


def record_inbound(session: Session, follower_id: int, kind: str, content: str,
                   inbound_id: int | None, now: datetime, priority: int = 0) -> TicketTouch:
    """Open a ticket, or append to the follower's open one, and log the message.

    Concurrent messages from one follower cannot open two tickets: the
    follower row was upserted earlier in this transaction and stays locked.
    """
    ticket = session.execute(
        select(ReplyTicket.id, ReplyTicket.acknowledged, ReplyTicket.priority)
        .where(ReplyTicket.follower_id == follower_id, ReplyTicket.status.in_(OPEN_STATUSES))
        .order_by(ReplyTicket.id.desc()).limit(1)
    ).first()
    if ticket is None:
        ticket_id = _open(session, follower_id, content, now, priority)
        created, acknowledged = True, False
    else:
        ticket_id, acknowledged, created = ticket.id, ticket.acknowledged, False
        _reopen(session, ticket_id, now, max(priority, ticket.priority))
    session.execute(insert(TicketMessage).values(
        ticket_id=ticket_id, direction="in", kind=kind, content=content,
        inbound_id=inbound_id, delivery="", created_at=now))
    if not acknowledged:
        session.execute(update(ReplyTicket).where(ReplyTicket.id == ticket_id)
                        .values(acknowledged=True))
    return TicketTouch(ticket_id, created, needs_ack=not acknowledged)


def _open(session: Session, follower_id: int, content: str, now: datetime,
          priority: int) -> int:
    stmt = insert(ReplyTicket).values(
        follower_id=follower_id, status="open", priority=priority,
        summary=content[:SUMMARY_LENGTH], acknowledged=False, opened_at=now,
        waiting_since=now, resolution="", version=1,
    ).returning(ReplyTicket.id)
    return int(session.execute(stmt).scalar_one())


def _reopen(session: Session, ticket_id: int, now: datetime, priority: int) -> None:
    """A new follower message puts the ticket back in the queue, waiting since now
    unless it was already waiting."""
    session.execute(
        update(ReplyTicket).where(ReplyTicket.id == ticket_id).values(
            status="open", priority=priority, snoozed_until=None,
            waiting_since=_coalesce(ReplyTicket.waiting_since, now),
            version=ReplyTicket.version + 1,
        )
    )


def _coalesce(column: Any, value: datetime) -> Any:
    return func.coalesce(column, literal(value, ReplyTicket.waiting_since.type))


def close_unreachable(session: Session, follower_id: int, now: datetime) -> int:
    """An unsubscribed follower cannot be answered: close their open tickets."""
    result = session.execute(
        update(ReplyTicket)
        .where(ReplyTicket.follower_id == follower_id, ReplyTicket.status.in_(OPEN_STATUSES))
        .values(status="resolved", resolved_at=now, resolution="unreachable",
                waiting_since=None, version=ReplyTicket.version + 1)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class QueueRow:
    id: int
    openid: str
    status: str
    priority: int
    assignee: str | None
    summary: str
    waiting_since: datetime | None
    opened_at: datetime


def queue(session: Session, include_resolved: bool = False, limit: int = 50) -> list[QueueRow]:
    """Tickets oldest-waiting first, higher priority before that."""
    stmt = (
        select(ReplyTicket, Follower.openid, Staff.name)
        .join(Follower, Follower.id == ReplyTicket.follower_id)
        .outerjoin(Staff, Staff.id == ReplyTicket.assignee_id)
        .order_by(ReplyTicket.priority.desc(), ReplyTicket.waiting_since.asc().nulls_last(),
                  ReplyTicket.id)
        .limit(limit)
    )
    if not include_resolved:
        stmt = stmt.where(ReplyTicket.status.in_(OPEN_STATUSES))
    return [
        QueueRow(t.id, openid, t.status, t.priority, name, t.summary, t.waiting_since,
                 t.opened_at)
        for t, openid, name in session.execute(stmt).all()
    ]


@dataclass(frozen=True)
class TicketDetail:
    row: QueueRow
    first_response_at: datetime | None
    messages: list[tuple[datetime, str, str, str]]  # (at, direction, kind, content)
    notes: list[tuple[datetime, str, str]]  # (at, staff name, content)


def ticket_detail(session: Session, ticket_id: int) -> TicketDetail | None:
    found = session.execute(
        select(ReplyTicket, Follower.openid, Staff.name)
        .join(Follower, Follower.id == ReplyTicket.follower_id)
        .outerjoin(Staff, Staff.id == ReplyTicket.assignee_id)
        .where(ReplyTicket.id == ticket_id)
    ).first()
    if found is None:
        return None
    t, openid, name = found
    row = QueueRow(t.id, openid, t.status, t.priority, name, t.summary, t.waiting_since,
                   t.opened_at)
    messages = session.execute(
        select(TicketMessage.created_at, TicketMessage.direction, TicketMessage.kind,
               TicketMessage.content)
        .where(TicketMessage.ticket_id == ticket_id).order_by(TicketMessage.id)).all()
    notes = session.execute(
        select(TicketNote.created_at, Staff.name, TicketNote.content)
        .join(Staff, Staff.id == TicketNote.staff_id)
        .where(TicketNote.ticket_id == ticket_id).order_by(TicketNote.id)).all()
    return TicketDetail(row, t.first_response_at,
                        [(m[0], m[1], m[2], m[3]) for m in messages],
                        [(n[0], n[1], n[2]) for n in notes])
