"""The reply-queue command tests' team and helpers: who acts, a follower's ticket."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session

from handlers import refusals
from handlers.commands.context import Result
from handlers.commands.grammar import CommandError
from storage import followers, staff, tickets
from storage.models import OutboxMessage, ReplyTicket
from storage.uow import JoinedUnitOfWork
from tests.integration import commanding
from tests.integration.commanding import NOW, run_command
from workflow import ticket_cases
from workflow.effects import SendReply
from workflow.model import Context
from workflow.roles import Actor, Role


@dataclass(frozen=True)
class Team:
    admin: Actor
    wang: Actor
    li: Actor


def make_team(engine: Engine) -> Team:
    """An admin, a creator and a reviewer: all may work the queue."""
    people = [("张敏", Role.ADMIN), ("王芳", Role.CREATOR), ("李雷", Role.REVIEWER)]
    with Session(engine) as session:
        made = [staff.add_staff(session, name, frozenset({role}), NOW, openid=f"o_staff{i}")
                for i, (name, role) in enumerate(people)]
        session.commit()
    return Team(*(Actor(m.id, m.name, m.roles) for m in made))


def say(engine: Engine, actor: Actor, text: str, now: datetime = NOW) -> str:
    return run_command(engine, actor, f"o_staff_{actor.id}", text, now)


def ask(engine: Engine, actor: Actor, text: str, now: datetime = NOW) -> Result:
    """The answer as data (template and context); fails if the command is refused."""
    return commanding.ask(engine, actor.id, text, now)


def refused(engine: Engine, actor: Actor, text: str,
            now: datetime = NOW) -> tuple[str, dict[str, Any]]:
    """The refusal a command meets, as its code and data; fails if the command runs."""
    error = commanding.refusal(engine, actor.id, text, now)
    if isinstance(error, CommandError):
        return error.code, dict(error.data)
    return error.code, refusals.data(error)


def fan(engine: Engine, openid: str, text: str, at: datetime, priority: int = 0) -> int:
    """A follower's message at ``at``: a ticket waiting since then."""
    with engine.begin() as conn:
        follower_id = followers.touch(conn, openid, at, "message").follower_id
        return tickets.record_inbound(conn, follower_id, "text", text, None, at,
                                      priority).ticket_id


def staff_reply(conn: Connection, ticket_id: int, staff_id: int, text: str,
                now: datetime) -> SendReply:
    """A staff member's answer, as 回 makes it (``ticket_cases.reply``), in the
    caller's transaction: the send it queued."""
    uow = JoinedUnitOfWork(conn, clock=lambda: now)
    actor = Actor(staff_id, f"staff {staff_id}", frozenset())
    effect = ticket_cases.reply(uow, actor, ticket_id, text, Context(now=now)).effect
    assert isinstance(effect, SendReply)  # a follower's message, not a comment
    return effect


def ticket(engine: Engine, ticket_id: int) -> ReplyTicket:
    with Session(engine) as session:
        found = session.get(ReplyTicket, ticket_id)
        assert found is not None
        return found


def outbox_rows(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
