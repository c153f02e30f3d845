"""A push's statements find their rows by key: their cost must not grow with the data.

SQLite's planner has no statistics on a fresh database and can pick an index
that walks a whole range (it once walked every open ticket to find one
follower's). This records the statements a push runs, with their values,
and asks SQLite how it would run each one. PostgreSQL plans from statistics
that these small tables do not have, so the check is SQLite's.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, event, update

from storage.models import TicketMessage
from tests.harness import wechat as wx
from tests.harness.wechat import Mode
from tests.integration.conftest import make_account
from workflow.reply_queue import QUIET_SPELL

# The active rules are read whole, by design: each process caches the list.
READ_WHOLE = ("auto_reply_rules",)
# An index led by a status or state: it finds every row in that status.
_BY_STATUS = re.compile(r"USING (COVERING )?INDEX \w+ \((status|state)\b")


def _record_statements(engine: Engine) -> list[str]:
    """Every statement run on ``engine`` from now on (the connections are new).
    SQLite traces a statement again for each trigger program it runs (the
    re-check marks, migration 0035): those are no statements of their own."""
    seen: list[str] = []

    def _seen(statement: str) -> None:
        if not seen or seen[-1] != statement:
            seen.append(statement)

    @event.listens_for(engine, "connect")
    def _trace(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.set_trace_callback(_seen)  # the SQL with its values bound

    return seen


def _plan(engine: Engine, statement: str) -> list[str]:
    database = engine.url.database
    assert database is not None
    with sqlite3.connect(database) as conn:
        return [str(row[3]) for row in conn.execute(f"EXPLAIN QUERY PLAN {statement}")]


def _full_walks(engine: Engine, statements: list[str]) -> list[tuple[str, str]]:
    found = []
    for statement in statements:
        if not statement.lstrip().upper().startswith(("INSERT", "UPDATE", "SELECT", "DELETE")):
            continue  # BEGIN, COMMIT
        for step in _plan(engine, statement):
            walks = step.startswith("SCAN") or _BY_STATUS.search(step) is not None
            if walks and not any(table in step for table in READ_WHOLE):
                found.append((step, statement[:120]))
    return found


@pytest.mark.parametrize("mode", ["plain", "safe"])
def test_a_follower_message_walks_no_table_or_queue(sqlite_engine: Engine, mode: Mode) -> None:
    statements = _record_statements(sqlite_engine)
    account = make_account(sqlite_engine)
    for n in range(40):  # a queue of open tickets from other followers
        account.client.push(wx.text(f"问题 {n}", sender=f"o_waiting_{n}", msg_id=1000 + n), mode)
    account.client.push(wx.text("第一条", sender="o_asker", msg_id=1), mode)
    statements.clear()
    reply = account.client.push(wx.text("第二条", sender="o_asker", msg_id=2), mode)
    assert reply.text == "success"  # appended to the open ticket
    assert any("reply_tickets" in s for s in statements)
    assert _full_walks(sqlite_engine, statements) == []
    # The sender is recorded once, and that statement also says they are not staff.
    assert len([s for s in statements if s.startswith("INSERT INTO followers")]) == 1
    assert not [s for s in statements if s.startswith("SELECT") and "FROM staff" in s]


def test_a_new_ticket_and_an_event_walk_nothing(sqlite_engine: Engine) -> None:
    statements = _record_statements(sqlite_engine)
    account = make_account(sqlite_engine)
    for n in range(40):
        account.client.push(wx.text(f"问题 {n}", sender=f"o_waiting_{n}", msg_id=1000 + n))
    statements.clear()
    account.client.push(wx.image(sender="o_new", msg_id=1))
    account.client.push(wx.event("VIEW", sender="o_new", EventKey="https://example.org"))
    assert any("INSERT INTO reply_tickets" in s for s in statements)
    assert _full_walks(sqlite_engine, statements) == []


@pytest.mark.parametrize(("mode", "statements"), [("plain", 4), ("safe", 4)])
def test_a_follower_writing_again_soon_takes_one_statement_for_the_ticket(
        sqlite_engine: Engine, mode: Mode, statements: int) -> None:
    """The usual case: the replay guard (every mode: bot.endpoint's _claim), the
    dedupe claim, the sender, and one statement that checks the ticket and logs
    the message."""
    seen = _record_statements(sqlite_engine)
    account = make_account(sqlite_engine)
    account.client.push(wx.text("第一条", sender="o_asker", msg_id=1), mode)
    seen.clear()
    reply = account.client.push(wx.text("第二条", sender="o_asker", msg_id=2), mode)
    assert reply.text == "success"
    run = [s for s in seen if not s.startswith(("BEGIN", "COMMIT"))]
    assert len(run) == statements, run


def test_a_follow_up_after_a_quiet_spell_or_a_complaint_walks_nothing(
        sqlite_engine: Engine) -> None:
    statements = _record_statements(sqlite_engine)
    account = make_account(sqlite_engine)
    for n in range(40):
        account.client.push(wx.text(f"问题 {n}", sender=f"o_waiting_{n}", msg_id=1000 + n))
    account.client.push(wx.text("第一条", sender="o_asker", msg_id=1))
    with sqlite_engine.begin() as conn:
        conn.execute(update(TicketMessage).values(created_at=datetime.now(UTC) - QUIET_SPELL))
    statements.clear()
    quiet = account.client.push(wx.text("还有人吗", sender="o_asker", msg_id=2))
    complaint = account.client.push(wx.text("我要投诉", sender="o_asker", msg_id=3))
    assert "success" not in (quiet.text, complaint.text)  # both noted
    assert any("FROM reply_tickets" in s for s in statements)
    assert _full_walks(sqlite_engine, statements) == []
