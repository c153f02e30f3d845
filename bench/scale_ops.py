"""The five reads that must stay fast at scale, each through the code wxops runs
for it: a staff member's 队列, 查看 N, 统计 30天 and 复查 through the chat
command dispatcher (what the endpoint runs for them, reply rendered), and the
worker's due-publish scan (``storage.platform.scheduled_due``, as
``bot.worker.Jobs.due_publishes`` calls it). Shared by bench/scale.py and the
plan test (tests/integration/test_plans_at_scale.py), which records the
statements each one runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, event, func, select

from handlers.commands import dispatch
from handlers.commands.context import CommandContext
from storage import platform
from storage.models import AuditRow, Staff
from storage.repositories import parse_roles
from storage.uow import JoinedUnitOfWork
from workflow.roles import Actor

CHINA = ZoneInfo("Asia/Shanghai")
#: The operations, by name, in the order they are reported.
NAMES = ("队列", "查看", "统计 30天", "due-publish scan", "复查")

Operation = Callable[[], object]


def admin(engine: Engine) -> tuple[Actor, str]:
    """The first admin, who may run every one of them."""
    with engine.connect() as conn:
        row = conn.execute(select(Staff).where(Staff.roles.contains("admin"))
                           .order_by(Staff.id).limit(1)).one()
    return Actor(row.id, row.name, parse_roles(row.roles)), str(row.openid)


def history_item(engine: Engine) -> int:
    """The item with the longest audit trail: 查看 reads its history."""
    with engine.connect() as conn:
        return int(conn.scalar(select(AuditRow.item_id).where(AuditRow.item_id.is_not(None))
                               .group_by(AuditRow.item_id).order_by(func.count().desc(),
                                                                    AuditRow.item_id)
                               .limit(1)) or 0)


def chat(engine: Engine, actor: Actor, openid: str, text: str) -> str:
    """One staff command in its own transaction, as the endpoint runs it."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        ctx = CommandContext(now, CHINA, actor, openid, text,
                             uow=lambda: JoinedUnitOfWork(conn, clock=lambda: now))
        return dispatch.perform(ctx, trusted=True)  # a refusal raises: never timed as fast


def due_publishes(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return platform.scheduled_due(conn, datetime.now(UTC))


def operations(engine: Engine, item_id: int) -> dict[str, Operation]:
    """Each operation as a call; ``item_id`` is the item 查看 shows."""
    actor, openid = admin(engine)
    texts = {"队列": "队列", "查看": f"查看 {item_id}", "统计 30天": "统计 30天", "复查": "复查"}
    found: dict[str, Operation] = {name: _said(engine, actor, openid, said)
                                   for name, said in texts.items()}
    found["due-publish scan"] = lambda: due_publishes(engine)
    return {name: found[name] for name in NAMES}


def _said(engine: Engine, actor: Actor, openid: str, text: str) -> Operation:
    return lambda: chat(engine, actor, openid, text)


@contextmanager
def recorded(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The statements run on ``engine`` meanwhile, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any,
               _context: Any, _many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
