"""Staff use cases: load through the unit of work, decide (workflow.staffing), write.

Chat (成员 …, 绑定) and the CLI (``wxops staff …``) call these. Each is one
transaction, with its audit row; the CLI acts as ``CONSOLE_ACTOR``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from workflow import staffing
from workflow.capabilities import Capabilities, Capability
from workflow.errors import MemberChanged
from workflow.model import ActionEntry, Context
from workflow.ports import UnitOfWork
from workflow.roles import Action, Actor, Role
from workflow.staffing import (
    DEFAULT_INVITE_TTL,
    INVITE_CODE_LENGTH,
    Invite,
    Member,
    member_fingerprint,
    role_list,
)


def _audit(uow: UnitOfWork, actor: Actor, subject: str, event: str, result: str,
           ctx: Context, comment: str = "") -> None:
    uow.audit.record(ActionEntry(subject, event, actor.id, actor.name, ctx.now, result=result,
                                 comment=comment, command=ctx.command))


# --- reading ---------------------------------------------------------------------------

def members(uow: UnitOfWork, include_inactive: bool = False) -> list[Member]:
    with uow:
        return list(uow.staff.members(include_inactive))


def find(uow: UnitOfWork, ref: str) -> Member | None:
    """The active member ``ref`` (a number, openid or exact name) names, or None."""
    with uow:
        return staffing.only_one(ref, uow.staff.matching(ref.strip()))


# --- joining ---------------------------------------------------------------------------

def add(uow: UnitOfWork, actor: Actor, name: str, roles: frozenset[Role], ctx: Context,
        openid: str | None = None) -> Member:
    """Add a member directly (the CLI; chat invites instead)."""
    with uow:
        staffing.authorise(actor, Action.INVITE)
        holder = uow.staff.by_openid(openid) if openid else None
        member = uow.staff.add(staffing.new_member(name, roles, openid,
                                                   uow.staff.members(), holder), ctx.now)
        _audit(uow, actor, f"staff:{member.id}", "add", role_list(member.roles), ctx)
        uow.commit()
        return member


def invite(uow: UnitOfWork, actor: Actor, roles: frozenset[Role], name: str | None,
           ctx: Context, ttl: timedelta = DEFAULT_INVITE_TTL) -> Invite:
    """A one-time code that makes whoever sends ``绑定 CODE`` a member with ``roles``."""
    with uow:
        staffing.authorise(actor, Action.INVITE)
        made = staffing.new_invite(roles, name, actor.id or None, ctx.now,
                                   staffing.new_code(INVITE_CODE_LENGTH), ttl)
        created = uow.staff.add_invite(made)
        _audit(uow, actor, f"invite:{created.id}", "invite", role_list(roles), ctx,
               comment=created.name or "")
        uow.commit()
        return created


def bind(uow: UnitOfWork, code: str, openid: str, fallback_name: str, ctx: Context) -> Member:
    """绑定 CODE: the sender of ``openid`` joins with the invite's roles, once."""
    with uow:
        found = uow.staff.invite(code)
        used, joining = staffing.redeem(found, openid, uow.staff.by_openid(openid),
                                        uow.staff.members(), fallback_name, ctx.now)
        member = uow.staff.add(joining, ctx.now)
        uow.staff.use_invite(used, member.id)
        _audit(uow, member.actor, f"staff:{member.id}", "bind", role_list(member.roles), ctx)
        uow.commit()
        return member


# --- roles and removal -----------------------------------------------------------------

@dataclass(frozen=True)
class RoleChange:
    before: Member
    after: Member


def set_roles(uow: UnitOfWork, actor: Actor, member_id: int, roles: frozenset[Role],
              ctx: Context) -> RoleChange:
    """Give a member exactly ``roles``."""
    with uow:
        staffing.authorise(actor, Action.SET_ROLES)
        before = uow.staff.member(member_id)
        after = staffing.change_roles(before, member_id, roles, actor, _admins(uow))
        assert before is not None  # change_roles refuses a missing member
        if not uow.staff.save(after, before):
            raise MemberChanged(member_id)
        _audit(uow, actor, f"staff:{member_id}", "set_roles",
               f"{role_list(before.roles)} -> {role_list(after.roles)}", ctx)
        uow.commit()
        return RoleChange(before, after)


@dataclass(frozen=True)
class Removal:
    member: Member
    released_tickets: int  # their unresolved tickets, now unassigned and back in the queue


def remove(uow: UnitOfWork, actor: Actor, member_id: int, ctx: Context,
           expected: int | None = None) -> Removal:
    """Remove a member; with ``expected`` (a confirmed removal) only if their
    ``fingerprint`` is still that. The tickets they had claimed and not resolved
    go back to the queue, unassigned, so nobody's follower waits on someone who left."""
    with uow:
        staffing.authorise(actor, Action.REMOVE_STAFF)
        member = uow.staff.member(member_id)
        if expected is not None and (member is None or not member.active
                                     or member_fingerprint(member) != expected):
            raise MemberChanged(member_id)
        member = staffing.may_remove(member, member_id, actor)
        removed = staffing.remove(member, _admins(uow))
        if not uow.staff.save(removed, member):
            raise MemberChanged(member_id)
        released = uow.staff.release_claims(member_id)
        _audit(uow, actor, f"staff:{member_id}", "remove_staff", "deactivated", ctx,
               comment=member.name)
        uow.commit()
        return Removal(removed, released)


def _admins(uow: UnitOfWork) -> Sequence[Member]:
    return [m for m in uow.staff.members() if Role.ADMIN in m.roles]


def told_at_once(capabilities: Capabilities) -> bool:
    """Whether a notice to a member goes at once (a customer-service or template
    message) or waits for their next message to the account (bot/deliveries.py)."""
    return any(capabilities.allows(c)
               for c in (Capability.CUSTOMER_SERVICE, Capability.TEMPLATE_MESSAGE))
