"""Helpers for tests that run staff commands through the dispatcher directly."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.orm import Session

from handlers import refusals
from handlers.commands import dispatch
from handlers.commands.context import CommandContext, LinkAddresses, Result
from handlers.commands.grammar import CommandError
from storage import followers, staff, tickets
from storage.models import AuditRow, ReplyTicket, Staff
from storage.repositories import parse_roles
from storage.uow import JoinedUnitOfWork
from workflow.capabilities import FULL, Capabilities
from workflow.errors import WorkflowError
from workflow.roles import Actor, Role

NOW = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)  # Thursday 14:00 in Shanghai
TZ = ZoneInfo("Asia/Shanghai")


def command_context(conn: Connection, actor: Actor, openid: str, text: str,
                    now: datetime = NOW, capabilities: Capabilities = FULL,
                    pages: LinkAddresses | None = None) -> CommandContext:
    """What the endpoint builds for a staff member's text, on ``conn``'s transaction
    (an account of the kind ``capabilities`` says: a verified service account unless
    told; page links made with ``pages``: none unless told)."""
    return CommandContext(now, TZ, actor, openid, text,
                          uow=lambda: JoinedUnitOfWork(conn, clock=lambda: now),
                          capabilities=capabilities, pages=pages)


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


@dataclass(frozen=True)
class Team:
    admin: int
    admin2: int
    wang: int  # creator
    li: int  # reviewer
    chen: int  # reviewer
    zhou: int  # analyst


def make_team(engine: Engine) -> Team:
    """Six members: two admins, a creator, two reviewers and an analyst."""
    people = [("张敏", Role.ADMIN), ("赵强", Role.ADMIN), ("王芳", Role.CREATOR),
              ("李雷", Role.REVIEWER), ("陈静", Role.REVIEWER), ("周平", Role.ANALYST)]
    with Session(engine) as session:
        made = [staff.add_staff(session, name, frozenset({role}), NOW, openid=f"o_staff{i}")
                for i, (name, role) in enumerate(people)]
        session.commit()
    return Team(*(m.id for m in made))


def say(engine: Engine, who: int | str, text: str, now: datetime = NOW,
        trusted: bool = True) -> str:
    """``who``: a staff id, or the openid of somebody who is not staff (yet)."""
    with engine.connect() as conn:
        actor, openid = _actor(conn, who)
    return run_command(engine, actor, openid, text, now, trusted)


def ask(engine: Engine, who: int | str, text: str, now: datetime = NOW,
        trusted: bool = True, capabilities: Capabilities = FULL,
        pages: LinkAddresses | None = None) -> Result:
    """The answer as data (its template and context), for a test that asserts on
    codes and data rather than wording; fails if the command is refused, or if the
    answer cannot be worded (its template needs data the handler did not give)."""
    with engine.connect() as conn:
        actor, openid = _actor(conn, who)
    try:
        with engine.begin() as conn:
            ctx = command_context(conn, actor, openid, text, now, capabilities, pages)
            result = dispatch.answer(ctx, trusted)
    except (CommandError, WorkflowError) as refused:
        raise AssertionError(f"{text!r} was refused: {refused.code} {refused}") from None
    result.render()  # what the staff member reads: raises if the template cannot be filled
    return result


def refusal(engine: Engine, who: int | str, text: str, now: datetime = NOW,
            capabilities: Capabilities = FULL,
            pages: LinkAddresses | None = None) -> CommandError | WorkflowError:
    """The refusal a command meets (its ``code`` and data); fails if the command runs."""
    with engine.connect() as conn:
        actor, openid = _actor(conn, who)
    try:
        with engine.begin() as conn:
            reply = dispatch.perform(command_context(conn, actor, openid, text, now,
                                                     capabilities, pages), True)
    except (CommandError, WorkflowError) as refused:
        refusals.say(refused)  # what the staff member reads: raises if it cannot be worded
        return refused
    raise AssertionError(f"{text!r} ran: {reply}")


def _actor(conn: Connection, who: int | str) -> tuple[Actor, str]:
    if isinstance(who, str):
        return Actor(0, who, frozenset()), who  # what the dispatcher passes for non-staff
    row = conn.execute(select(Staff.name, Staff.roles, Staff.openid).where(Staff.id == who)).one()
    return Actor(who, row.name, parse_roles(row.roles)), row.openid or f"o_gone{who}"


def open_ticket(engine: Engine, openid: str, assignee: int | None, status: str = "open") -> int:
    """A follower's ticket, waiting 90 minutes, with this assignee and status."""
    with engine.begin() as conn:
        follower_id = followers.touch(conn, openid, NOW - timedelta(minutes=90),
                                       "message").follower_id
        ticket_id = tickets.record_inbound(conn, follower_id, "text", f"{openid} 的留言", None,
                                           NOW - timedelta(minutes=90)).ticket_id
        conn.execute(update(ReplyTicket).where(ReplyTicket.id == ticket_id)
                     .values(assignee_id=assignee, status=status))
    return ticket_id
