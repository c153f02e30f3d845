"""Reply tickets: the repository behind ``workflow.ports.TicketRepository``, and
the inbound hot path's statements (``record_inbound``), which apply
``workflow.tickets.arrive`` in SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, insert, select, update
from sqlalchemy.orm import Session

from storage import comments
from storage.models import Follower, ReplyTicket, TicketMessage, TicketNote
from storage.raw import Raw, as_utc
from workflow.comments import CommentTarget
from workflow.errors import StaleTicket
from workflow.reply_queue import UNRESOLVED, TicketStatus, quiet_since
from workflow.tickets import (
    SUMMARY_LENGTH,
    Arrival,
    Arrived,
    Ticket,
    Unresolved,
    arrive,
)

OPEN_STATUSES = tuple(status.value for status in UNRESOLVED)


# workflow.tickets.arrive, in SQL (tests/integration/test_arrivals.py checks the
# two agree on every case): a new follower message puts an unresolved ticket
# back in the queue as open (REOPENED: workflow.tickets.reopened), waiting since
# now unless it was already waiting, at the higher of the two priorities. A
# resolved ticket stays closed: the message opens a new one (OPENED).
#
# The usual case, a follower writing again within a short time to a ticket
# already open, waiting and at this priority or above, changes nothing in the
# ticket and gets no note (arrive gives JOINED with no note: the ticket is not
# quiet and the message raises nothing), so the ticket is only read, and the message
# is logged against it in the same statement: an UPDATE would rewrite the
# ticket's page for nothing. PostgreSQL reads the ticket FOR UPDATE, locking it
# as the UPDATE would, so a staff member resolving it concurrently waits for
# this message or, if first, makes this message open a new ticket. SQLite has
# one writer at a time anyway. Anything else (no waiting ticket, a complaint
# that raises it, a quiet spell) writes nothing there and reads the ticket's
# facts for the rule.
# A comment's ticket (comment_tickets) is answered on the article, never joined by a message.
_NOT_COMMENT = (" AND NOT EXISTS (SELECT 1 FROM comment_tickets"
                " WHERE comment_tickets.ticket_id = reply_tickets.id)")
_UNRESOLVED = ("follower_id = :follower AND status IN ('open', 'pending', 'snoozed')"
               + _NOT_COMMENT)
_WAITING_TICKET = ("follower_id = :follower AND status = 'open' AND waiting_since IS NOT NULL"
                   + _NOT_COMMENT)
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
        f"SELECT id, status, waiting_since, priority, {_LAST_MESSAGE_AT}"
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
                   inbound_id: int | None, now: datetime, priority: int = 0) -> Arrived:
    """Log the message to the follower's tickets as ``workflow.tickets.arrive`` says.

    Concurrent messages from one follower cannot open two tickets: the
    follower row was upserted earlier in this transaction and stays locked.
    """
    raw = Raw.of(conn)
    params = {"follower": follower_id, "priority": priority, "now": now,
              "quiet_since": quiet_since(now), "kind": kind[:16], "content": content,
              "inbound": inbound_id}
    ticket_id = _log_to_waiting(raw, params)
    if ticket_id is not None:
        return Arrived(ticket_id, Arrival.JOINED)
    facts = raw.one(_FACTS[raw.postgres], params)
    if facts is None:
        row = raw.one(_OPEN, {**params, "summary": content[:SUMMARY_LENGTH]})
        assert row is not None
        arrived = Arrived(int(row[0]), Arrival.OPENED)
    else:
        found = Unresolved(int(facts[0]), TicketStatus(facts[1]), as_utc(facts[2]),
                           int(facts[3]), as_utc(facts[4]))
        arrival, note = arrive(found, priority, now)
        if arrival is Arrival.REOPENED:
            raw.run(_REOPEN, {**params, "ticket": found.id})
        arrived = Arrived(found.id, arrival, note)
    raw.run(_LOG, {**params, "ticket": arrived.ticket_id})
    return arrived


def _log_to_waiting(raw: Raw, params: dict[str, Any]) -> int | None:
    """Log the message to the ticket already waiting at this priority or above and
    not quiet, the usual case; None when there is none, and nothing was written."""
    row = raw.one(_LOG_TO_WAITING[raw.postgres], params)
    return None if row is None else int(row[0])


def _ticket(row: ReplyTicket, openid: str) -> Ticket:
    return Ticket(row.id, row.follower_id, openid, TicketStatus(row.status), row.opened_at,
                  priority=row.priority, assignee_id=row.assignee_id, summary=row.summary,
                  waiting_since=row.waiting_since, snoozed_until=row.snoozed_until,
                  first_response_at=row.first_response_at, resolved_at=row.resolved_at,
                  resolution=row.resolution, version=row.version)


_TICKETS = select(ReplyTicket, Follower.openid).join(Follower,
                                                     Follower.id == ReplyTicket.follower_id)
_STORED = ("status", "priority", "assignee_id", "summary", "waiting_since", "snoozed_until",
           "first_response_at", "resolved_at", "resolution", "version")


class SqlTicketRepository:
    """Implements ``workflow.ports.TicketRepository``."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _all(self, stmt: Select[tuple[ReplyTicket, str]]) -> list[Ticket]:
        return [_ticket(t, openid) for t, openid in
                self.session.execute(stmt.execution_options(populate_existing=True)).all()]

    def get(self, ticket_id: int) -> Ticket | None:
        found = self._all(_TICKETS.where(ReplyTicket.id == ticket_id))
        return found[0] if found else None

    def save(self, ticket: Ticket, expected_version: int) -> None:
        values = {name: getattr(ticket, name) for name in _STORED}
        values["status"] = ticket.status.value
        changed = self.session.execute(
            update(ReplyTicket)
            .where(ReplyTicket.id == ticket.id, ReplyTicket.version == expected_version)
            .values(**values).execution_options(synchronize_session=False))
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleTicket(ticket.id)

    def unresolved_of(self, follower_id: int) -> list[Ticket]:
        return self._all(_TICKETS.where(ReplyTicket.follower_id == follower_id,
                                        ReplyTicket.status.in_(OPEN_STATUSES))
                         .order_by(ReplyTicket.id))

    def waiting_since_before(self, limit: datetime) -> list[Ticket]:
        return self._all(_TICKETS.where(ReplyTicket.status == TicketStatus.OPEN.value,
                                        ReplyTicket.waiting_since < limit)
                         .order_by(ReplyTicket.waiting_since, ReplyTicket.id))

    def log_reply(self, ticket_id: int, staff_id: int, text: str, now: datetime) -> int:
        result = self.session.execute(insert(TicketMessage).values(
            ticket_id=ticket_id, direction="out", kind="text", content=text,
            staff_id=staff_id, delivery="queued", created_at=now))
        return int(result.inserted_primary_key[0])  # type: ignore[attr-defined]

    def add_note(self, ticket_id: int, staff_id: int, text: str, now: datetime) -> int:
        result = self.session.execute(insert(TicketNote).values(
            ticket_id=ticket_id, staff_id=staff_id, content=text, created_at=now))
        return int(result.inserted_primary_key[0])  # type: ignore[attr-defined]

    def comment_of(self, ticket_id: int) -> CommentTarget | None:
        return comments.comment_ticket(self.session.connection(), ticket_id)

    def set_comment_status(self, ticket_id: int, status: str) -> None:
        comments.set_status(self.session.connection(), ticket_id, status)


class RawTicketInbox:
    """Implements ``workflow.ports.TicketInbox`` on the push's connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def record(self, follower_id: int, kind: str, content: str, inbound_id: int | None,
               now: datetime, priority: int) -> Arrived:
        return record_inbound(self.conn, follower_id, kind, content, inbound_id, now, priority)
