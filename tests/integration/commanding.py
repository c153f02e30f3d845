"""Helpers for tests that run staff commands through the dispatcher directly."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, select

from handlers.commands import dispatch
from handlers.commands.context import CommandContext
from storage.models import AuditRow
from storage.uow import JoinedUnitOfWork
from workflow.roles import Actor

NOW = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)  # Thursday 14:00 in Shanghai
TZ = ZoneInfo("Asia/Shanghai")


def command_context(conn: Connection, actor: Actor, openid: str, text: str,
                    now: datetime = NOW) -> CommandContext:
    """What the endpoint builds for a staff member's text, on ``conn``'s transaction."""
    return CommandContext(conn, now, TZ, actor, openid, text,
                          uow=lambda: JoinedUnitOfWork(conn, clock=lambda: now))


def run_command(engine: Engine, actor: Actor, openid: str, text: str, now: datetime = NOW,
                trusted: bool = True) -> str:
    """One command in its own transaction, as the endpoint runs it; returns the reply."""
    with engine.begin() as conn:
        return dispatch.run(command_context(conn, actor, openid, text, now), trusted=trusted)


def audit_trail(engine: Engine) -> list[tuple[str, str, str]]:
    """(subject, event, actor name) of every audit row, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(select(AuditRow.subject, AuditRow.event, AuditRow.actor_name)
                            .order_by(AuditRow.id)).all()
    return [(r[0], r[1], r[2]) for r in rows]


def confirmation_code(reply: str, word: str = "确认") -> str:
    """The code a reply asks to be sent back (确认 CODE, 绑定 CODE)."""
    found = re.search(word + r" ([A-Z0-9]{6,8})", reply)
    assert found, reply
    return found.group(1)
