"""The reply queue: tickets, their message history and private notes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.orm import Session

from storage import outbox
from storage.models import Follower, ReplyTicket, Staff, TicketMessage, TicketNote
from storage.queue_ops import newest_follower_message
from storage.raw import Raw, as_utc
from workflow.errors import InvalidInput
from workflow.reply_queue import (
    UNRESOLVED,
    FollowUp,
    FollowUpNote,
    Resolution,
    TicketStatus,
    follow_up_note,
    quiet_since,
)

OPEN_STATUSES = tuple(status.value for status in UNRESOLVED)
SUMMARY_LENGTH = 60


@dataclass(frozen=True)
class TicketTouch:
    ticket_id: int
    created: bool
    note: FollowUpNote | None = None  # a follow-up's note (reply_queue.follow_up_note)

    @property
    def needs_ack(self) -> bool:
        """The follower is acknowledged when a ticket opens; a follow-up gets a note
        now and then (``note``)."""
        return self.created


# A new follower message puts an unresolved ticket back in the queue as open
# (statuses: workflow.reply_queue), waiting since now unless it was already
# waiting, at the higher of the two priorities. A resolved ticket stays closed:
# the message opens a new one.
#
# The usual case, a follower writing again within a short time to a ticket
# already open, waiting and at this priority or above, changes nothing in the
# ticket and gets no note (reply_queue.follow_up_note: the ticket is not quiet
# and the message raises nothing), so the ticket is only read, and the message
# is logged against it in the same statement: an UPDATE would rewrite the
# ticket's page for nothing. PostgreSQL reads the ticket FOR UPDATE, locking it
# as the UPDATE would, so a staff member resolving it concurrently waits for
# this message or, if first, makes this message open a new ticket. SQLite has
# one writer at a time anyway. Anything else (no waiting ticket, a complaint
# that raises it, a quiet spell) writes nothing there and reads the ticket's
# facts for the rule.
_UNRESOLVED = "follower_id = :follower AND status IN ('open', 'pending', 'snoozed')"
_WAITING_TICKET = "follower_id = :follower AND status = 'open' AND waiting_since IS NOT NULL"
# The ticket's newest message, either way: its id from the ticket_id index, then its row.
_LAST_MESSAGE_AT = (
    "(SELECT created_at FROM ticket_messages WHERE id = (SELECT max(id) FROM ticket_messages"
    " WHERE ticket_id = reply_tickets.id))"
)
_LOG_COLUMNS = "ticket_id, direction, kind, content, inbound_id, delivery, created_at"
_LOG_TO_WAITING = {  # by engine: postgres or not
    postgres: (
        f"WITH waiting AS (SELECT id, priority, {_LAST_MESSAGE_AT} AS last_at"
        f" FROM reply_tickets WHERE {_WAITING_TICKET}{' FOR UPDATE' if postgres else ''})"
        f" INSERT INTO ticket_messages ({_LOG_COLUMNS})"
        " SELECT max(id), 'in', :kind, :content, :inbound, '', :now FROM waiting"
        " HAVING min(priority) >= :priority AND max(last_at) > :quiet_since RETURNING ticket_id")
    for postgres in (False, True)
}
_FACTS = {
    postgres: (
        f"SELECT id, status = 'open' AND waiting_since IS NOT NULL, priority, {_LAST_MESSAGE_AT}"
        f" FROM reply_tickets WHERE {_UNRESOLVED} ORDER BY id DESC LIMIT 1"
        f"{' FOR UPDATE' if postgres else ''}")
    for postgres in (False, True)
}
_REOPEN = (
    "UPDATE reply_tickets SET status = 'open', snoozed_until = NULL,"
    " priority = CASE WHEN priority < :priority THEN :priority ELSE priority END,"
    " waiting_since = COALESCE(waiting_since, :now), version = version + 1"
    " WHERE id = :ticket"
)
_OPEN = (
    "INSERT INTO reply_tickets (follower_id, status, priority, summary,"
    " opened_at, waiting_since, resolution, version)"
    " VALUES (:follower, 'open', :priority, :summary, :now, :now, '', 1) RETURNING id"
)
_LOG = (
    f"INSERT INTO ticket_messages ({_LOG_COLUMNS})"
    " VALUES (:ticket, 'in', :kind, :content, :inbound, '', :now)"
)


def record_inbound(conn: Connection, follower_id: int, kind: str, content: str,
                   inbound_id: int | None, now: datetime, priority: int = 0) -> TicketTouch:
    """Append to the follower's unresolved ticket (back in the queue) or open one; log it.

    Concurrent messages from one follower cannot open two tickets: the
    follower row was upserted earlier in this transaction and stays locked.
    """
    raw = Raw.of(conn)
    params = {"follower": follower_id, "priority": priority, "now": now,
              "quiet_since": quiet_since(now), "kind": kind[:16], "content": content,
              "inbound": inbound_id}
    ticket_id = _log_to_waiting(raw, params)
    if ticket_id is not None:
        return TicketTouch(ticket_id, created=False)
    facts = raw.one(_FACTS[raw.postgres], params)
    if facts is None:
        row = raw.one(_OPEN, {**params, "summary": content[:SUMMARY_LENGTH]})
        assert row is not None
        touch = TicketTouch(int(row[0]), created=True)
    else:
        ticket_id, waiting, ticket_priority, last_at = int(facts[0]), facts[1], facts[2], facts[3]
        if not waiting or ticket_priority < priority:
            raw.run(_REOPEN, {**params, "ticket": ticket_id})
        follow_up = FollowUp(as_utc(last_at), ticket_priority, priority)
        touch = TicketTouch(ticket_id, created=False, note=follow_up_note(follow_up, now))
    raw.run(_LOG, {**params, "ticket": touch.ticket_id})
    return touch


def _log_to_waiting(raw: Raw, params: dict[str, Any]) -> int | None:
    """Log the message to the ticket already waiting at this priority or above and
    not quiet, the usual case; None when there is none, and nothing was written."""
    row = raw.one(_LOG_TO_WAITING[raw.postgres], params)
    return None if row is None else int(row[0])


def close_unreachable(conn: Connection, follower_id: int, now: datetime) -> int:
    """An unsubscribed follower cannot be answered: close their open tickets."""
    result = conn.execute(
        update(ReplyTicket)
        .where(ReplyTicket.follower_id == follower_id, ReplyTicket.status.in_(OPEN_STATUSES))
        .values(status=TicketStatus.RESOLVED.value, resolved_at=now,
                resolution=Resolution.UNREACHABLE.value,
                waiting_since=None, version=ReplyTicket.version + 1)
    )
    return int(result.rowcount or 0)


@dataclass(frozen=True)
class QueueRow:
    id: int
    openid: str
    status: str
    priority: int
    assignee: str | None
    preview: str  # the follower's newest message (queue_ops.newest_follower_message)
    waiting_since: datetime | None
    opened_at: datetime


def queue(session: Session, include_resolved: bool = False, limit: int = 50) -> list[QueueRow]:
    """Tickets oldest-waiting first, higher priority before that."""
    stmt = (
        select(ReplyTicket, Follower.openid, Staff.name, newest_follower_message())
        .join(Follower, Follower.id == ReplyTicket.follower_id)
        .outerjoin(Staff, Staff.id == ReplyTicket.assignee_id)
        .order_by(ReplyTicket.priority.desc(), ReplyTicket.waiting_since.asc().nulls_last(),
                  ReplyTicket.id)
        .limit(limit)
    )
    if not include_resolved:
        stmt = stmt.where(ReplyTicket.status.in_(OPEN_STATUSES))
    return [
        QueueRow(t.id, openid, t.status, t.priority, name, preview, t.waiting_since,
                 t.opened_at)
        for t, openid, name, preview in session.execute(stmt).all()
    ]


@dataclass(frozen=True)
class TicketDetail:
    row: QueueRow
    first_response_at: datetime | None
    messages: list[tuple[datetime, str, str, str]]  # (at, direction, kind, content)
    notes: list[tuple[datetime, str, str]]  # (at, staff name, content)


def ticket_detail(session: Session, ticket_id: int) -> TicketDetail | None:
    found = session.execute(
        select(ReplyTicket, Follower.openid, Staff.name, newest_follower_message())
        .join(Follower, Follower.id == ReplyTicket.follower_id)
        .outerjoin(Staff, Staff.id == ReplyTicket.assignee_id)
        .where(ReplyTicket.id == ticket_id)
    ).first()
    if found is None:
        return None
    t, openid, name, preview = found
    row = QueueRow(t.id, openid, t.status, t.priority, name, preview, t.waiting_since,
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


class TicketClosed(InvalidInput):
    """A reply to a resolved ticket: a new message from the follower opens a new one."""

    def __init__(self, ticket_id: int) -> None:
        super().__init__(f"T{ticket_id} 已结束，不能再回复；粉丝再发消息会开新工单")
        self.ticket_id = ticket_id


REPLY_LIMIT = 600  # WeChat's text message limit is about 2048 bytes; keep replies readable


@dataclass(frozen=True)
class Replied:
    outbox_id: int
    assignee_id: int  # the replier, unless the ticket was someone else's already


def reply(conn: Connection, ticket_id: int, staff_id: int, text: str, now: datetime) -> Replied:
    """A staff answer: logged on the ticket and queued for delivery in one transaction.

    The ticket then waits for the follower (pending); the first answer sets the
    first-response time, and an unassigned ticket becomes the replier's.
    """
    text = text.strip()
    if not text or len(text) > REPLY_LIMIT:
        raise InvalidInput(f"回复内容不能为空，且不超过 {REPLY_LIMIT} 字")
    openid = conn.scalar(
        select(Follower.openid)
        .join(ReplyTicket, Follower.id == ReplyTicket.follower_id)
        .where(ReplyTicket.id == ticket_id))
    if openid is None:
        raise InvalidInput(f"找不到工单 T{ticket_id}")
    # Guarded like every queue change (reply_queue.refusal): a ticket closed
    # meanwhile stays closed, and nothing is logged or queued. The assignee is
    # settled in the same statement, so a claim committed meanwhile is kept.
    assignee_id = conn.scalar(
        update(ReplyTicket)
        .where(ReplyTicket.id == ticket_id, ReplyTicket.status != TicketStatus.RESOLVED.value)
        .values(status=TicketStatus.PENDING.value, waiting_since=None,
                assignee_id=func.coalesce(ReplyTicket.assignee_id, staff_id),
                first_response_at=func.coalesce(ReplyTicket.first_response_at, now),
                version=ReplyTicket.version + 1)
        .returning(ReplyTicket.assignee_id))
    if assignee_id is None:
        raise TicketClosed(ticket_id)
    message_id = conn.execute(insert(TicketMessage).values(
        ticket_id=ticket_id, direction="out", kind="text", content=text, staff_id=staff_id,
        delivery="queued", created_at=now)).inserted_primary_key[0]  # type: ignore[index]
    payload = {"ticket_id": ticket_id, "message_id": int(message_id), "openid": openid,
               "text": text, "staff_id": staff_id}
    row_id = outbox.add(conn, "cs_reply", payload, f"cs_reply:{message_id}", now,
                        recipient=openid)
    assert row_id is not None
    return Replied(row_id, int(assignee_id))


@dataclass(frozen=True)
class Waiting:
    id: int
    assignee_id: int | None
    summary: str
    waiting_since: datetime


def waiting_since_before(conn: Connection, limit: datetime) -> list[Waiting]:
    """Open tickets whose follower has waited since before ``limit``."""
    rows = conn.execute(
        select(ReplyTicket.id, ReplyTicket.assignee_id, ReplyTicket.summary,
               ReplyTicket.waiting_since)
        .where(ReplyTicket.status == "open", ReplyTicket.waiting_since < limit)
        .order_by(ReplyTicket.waiting_since))
    return [Waiting(r.id, r.assignee_id, r.summary, r.waiting_since) for r in rows]
