"""The inbound hot path's SQL (storage.tickets.record_inbound, and on PostgreSQL
the one-statement push's wxops_ticket_arrive) and the rule it implements
(workflow.tickets.arrive, reopened, opened) agree on every case, on both
engines: where the message goes, what the ticket becomes, the note."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import Connection, Engine, func, insert, select, text
from sqlalchemy.orm import Session

from storage import followers, tickets
from storage.models import ReplyTicket, TicketMessage
from storage.uow import SqlUnitOfWork
from tests.integration.commanding import NOW
from workflow import tickets as rules
from workflow.reply_queue import (
    COMPLAINT_PRIORITY,
    QUIET_SPELL,
    FollowUpNote,
    TicketStatus,
    quiet_since,
)
from workflow.tickets import Arrival, Arrived, Ticket, Unresolved

MINUTE = timedelta(minutes=1)
STATES = [("open", True), ("open", False), ("pending", False), ("snoozed", True),
          ("resolved", False), (None, False)]  # (status, waiting); None: no ticket
LAST = [MINUTE, QUIET_SPELL, QUIET_SPELL + MINUTE, None]  # the newest message, that long ago
PRIORITIES = [0, COMPLAINT_PRIORITY]
CASES = list(itertools.product(STATES, PRIORITIES, PRIORITIES, LAST))


def stored(engine: Engine, ticket_id: int) -> Ticket:
    with SqlUnitOfWork(engine) as uow:
        found = uow.tickets.get(ticket_id)
    assert found is not None
    return found


def record_inbound(conn: Connection, follower_id: int, priority: int,
                   one_statement: bool) -> Arrived:
    """The message logged by storage.tickets, or by PostgreSQL's one statement
    (``wxops_ticket_arrive``, migration 0030, which ``wxops_push`` runs)."""
    if not one_statement:
        return tickets.record_inbound(conn, follower_id, "text", "在吗", None, NOW, priority)
    row = conn.execute(text(
        "SELECT * FROM wxops_ticket_arrive(:f, 'text', '在吗', NULL, :now, :p, :quiet)"),
        {"f": follower_id, "now": NOW, "p": priority, "quiet": quiet_since(NOW)}).one()
    return Arrived(int(row[0]), Arrival(row[1]), None if row[2] is None else FollowUpNote(row[2]))


@pytest.mark.parametrize(("state", "ticket_priority", "priority", "last"), CASES)
def test_the_sql_applies_the_rule(engine: Engine, state: tuple[str | None, bool],
                                  ticket_priority: int, priority: int,
                                  last: timedelta | None) -> None:
    check_the_rule(engine, state, ticket_priority, priority, last, one_statement=False)


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
@pytest.mark.parametrize(("state", "ticket_priority", "priority", "last"), CASES)
def test_the_one_statement_applies_the_rule(engine: Engine, state: tuple[str | None, bool],
                                            ticket_priority: int, priority: int,
                                            last: timedelta | None) -> None:
    check_the_rule(engine, state, ticket_priority, priority, last, one_statement=True)


def check_the_rule(engine: Engine, state: tuple[str | None, bool], ticket_priority: int,
                   priority: int, last: timedelta | None, one_statement: bool) -> None:
    status, waiting = state
    with engine.begin() as conn:
        follower_id = followers.touch(conn, "o_fan", NOW, "message").follower_id
        ticket_id = None
        if status is not None:
            ticket_id = conn.execute(insert(ReplyTicket).values(
                follower_id=follower_id, status=status, priority=ticket_priority,
                summary="你好", opened_at=NOW - 60 * MINUTE, resolution="", version=3,
                waiting_since=NOW - 50 * MINUTE if waiting else None,
                snoozed_until=NOW + 60 * MINUTE if status == "snoozed" else None,
            )).inserted_primary_key[0]  # type: ignore[index]
            if last is not None:
                conn.execute(insert(TicketMessage).values(
                    ticket_id=ticket_id, direction="in", kind="text", content="你好",
                    delivery="", created_at=NOW - last))
    before = stored(engine, ticket_id) if ticket_id is not None else None
    unresolved = None
    if before is not None and before.status is not TicketStatus.RESOLVED:
        last_at = NOW - last if last is not None else None
        unresolved = Unresolved(before.id, before.status, before.waiting_since,
                                before.priority, last_at)
    arrival, note = rules.arrive(unresolved, priority, NOW)

    with engine.begin() as conn:
        arrived = record_inbound(conn, follower_id, priority, one_statement)

    assert (arrived.arrival, arrived.note) == (arrival, note)
    after = stored(engine, arrived.ticket_id)
    if arrival is Arrival.OPENED:
        assert arrived.ticket_id != ticket_id
        expected = rules.opened(follower_id, "o_fan", "在吗", priority, NOW)
        assert after == Ticket(**{**expected.__dict__, "id": arrived.ticket_id})
    elif arrival is Arrival.JOINED:
        assert after == before  # not even the version: the row was only read
    else:
        assert before is not None and after == rules.reopened(before, priority, NOW)
    with Session(engine) as session:
        logged = session.scalar(select(func.max(TicketMessage.id)))
        message = session.get(TicketMessage, logged)
        assert message is not None and message.ticket_id == arrived.ticket_id
