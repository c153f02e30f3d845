"""What a command handler gets, and what it returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from handlers import texts
from handlers.commands.grammar import Command
from workflow.capabilities import FULL, Capabilities
from workflow.model import ActionEntry, Context
from workflow.pages import PageLink
from workflow.ports import UnitOfWork
from workflow.recheck import DEFAULT_INTERVALS, RecheckDays
from workflow.roles import Actor


class LinkAddresses(Protocol):
    """How a page link is given to people (``bot/links.PageAddresses``)."""

    @property
    def lifetime(self) -> timedelta:
        """How long a preview link lives."""
        ...

    @property
    def report_lifetime(self) -> timedelta:
        """How long a report's link lives."""
        ...

    def url(self, link: PageLink) -> str: ...


@dataclass
class CommandContext:
    """One staff command inside the push's transaction."""

    now: datetime  # UTC
    tz: ZoneInfo
    actor: Actor
    openid: str
    text: str
    uow: Callable[[], UnitOfWork]  # a unit of work joined to the push's transaction
    reply_sla_minutes: int = 30
    recheck_days: RecheckDays = DEFAULT_INTERVALS  # WXOPS_RECHECK_DAYS (workflow.recheck)
    capabilities: Capabilities = FULL  # what the account may call (the settings' kind)
    pages: LinkAddresses | None = None  # None: no web address (WXOPS_PUBLIC_URL) is set

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(self.tz)

    def workflow(self, comment: str = "", when: datetime | None = None) -> Context:
        """A workflow context that carries the command text into the audit log."""
        return Context(now=self.now, comment=comment, command=self.text, when=when,
                       capabilities=self.capabilities)

    def record(self, subject: str, event: str, result: str, comment: str = "") -> None:
        """Audit a change that is not a content-item transition (canned replies,
        ticket actions), in the push's transaction."""
        with self.uow() as uow:
            uow.audit.record(ActionEntry(subject, event, self.actor.id, self.actor.name,
                                         self.now, result=result, comment=comment,
                                         command=self.text))
            uow.commit()


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
