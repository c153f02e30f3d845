"""What a command handler gets, and what it returns."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, insert
from sqlalchemy.orm import Session

from handlers import texts
from handlers.commands.grammar import Command
from storage.models import AuditRow
from workflow.model import Context
from workflow.ports import UnitOfWork
from workflow.roles import Actor


@dataclass
class CommandContext:
    """One staff command inside the push's transaction."""

    conn: Connection
    now: datetime  # UTC
    tz: ZoneInfo
    actor: Actor
    openid: str
    text: str
    uow: Callable[[], UnitOfWork]  # a unit of work joined to the push's transaction
    reply_sla_minutes: int = 30

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(self.tz)

    def workflow(self, comment: str = "", when: datetime | None = None) -> Context:
        """A workflow context that carries the command text into the audit log."""
        return Context(now=self.now, comment=comment, command=self.text, when=when)

    @contextmanager
    def orm(self) -> Iterator[Session]:
        """An ORM session for storage helpers that take one, inside the push's
        transaction (a savepoint): kept if the block ends normally."""
        session = Session(bind=self.conn, join_transaction_mode="create_savepoint",
                          expire_on_commit=False)
        try:
            yield session
            session.commit()
        finally:
            session.close()

    def audit(self, subject: str, event: str, result: str, comment: str = "") -> None:
        """Audit a change that is not a content-item transition (tickets, rules, staff)."""
        self.conn.execute(insert(AuditRow).values(
            item_id=None, subject=subject, actor_id=self.actor.id, actor_name=self.actor.name,
            event=event, from_state="", to_state="", revision=None, comment=comment[:2000],
            command=self.text, result=result[:2000], at=self.now))


@dataclass(frozen=True)
class Result:
    """A handler's answer: a template under handlers/templates/cmd/ and its data."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)

    def render(self) -> str:
        return texts.render(f"cmd/{self.template}", **self.context)


def say(template: str, **context: Any) -> Result:
    return Result(template, context)


Handler = Callable[[CommandContext, Command], Result]  # what a command runs
