"""Staff records and invite codes (joining by ``绑定 CODE``)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from storage import queue_ops
from storage.models import Staff, StaffInvite
from storage.raw import Raw
from storage.repositories import SqlStaffDirectory, format_roles, parse_roles
from storage.types import MAX_ROW_ID
from workflow.errors import InvalidInput
from workflow.roles import ROLE_WORDS, STAFF_ROLES, Actor, Role

# No 0/O, 1/I/L: codes are read off one screen and typed on a phone.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
DEFAULT_INVITE_TTL = timedelta(hours=72)


def new_code(length: int) -> str:
    """A random code a person can read off one screen and type on a phone."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


@dataclass(frozen=True)
class StaffView:
    id: int
    name: str
    openid: str | None
    roles: frozenset[Role]
    active: bool


def _view(row: Staff) -> StaffView:
    return StaffView(row.id, row.name, row.openid, parse_roles(row.roles), row.active)


def parse_role_names(names: Sequence[str]) -> frozenset[Role]:
    """Roles from English values or Chinese labels; InvalidInput names a bad one."""
    by_name = {r.value: r for r in STAFF_ROLES} | {r.label: r for r in STAFF_ROLES}
    by_name |= {word: role for role, word in ROLE_WORDS.items()}
    roles = set()
    for name in names:
        if name.strip().lower() not in by_name:
            valid = "、".join(ROLE_WORDS[r] for r in STAFF_ROLES)
            raise InvalidInput(f"未知角色“{name}”，可选：{valid}")
        roles.add(by_name[name.strip().lower()])
    if not roles:
        raise InvalidInput("至少需要一个角色")
    return frozenset(roles)


def add_staff(session: Session, name: str, roles: frozenset[Role], now: datetime,
              openid: str | None = None) -> StaffView:
    name = name.strip()
    if not name or len(name) > 64:
        raise InvalidInput("成员名字不能为空，且不超过 64 个字符")
    if openid and session.scalar(select(Staff).where(Staff.openid == openid)):
        raise InvalidInput(f"openid {openid} 已经绑定了成员")
    if (taken := _active_named(session, name)):
        raise InvalidInput(f"已有名为“{name}”的成员（编号 {taken[0].id}）：换一个名字，"
                           "用名字指人时才不会认错")
    row = Staff(name=name, roles=format_roles(roles), openid=openid or None,
                active=True, created_at=now)
    session.add(row)
    session.flush()
    return _view(row)


def list_staff(session: Session, include_inactive: bool = False) -> list[StaffView]:
    stmt = select(Staff).order_by(Staff.id)
    if not include_inactive:
        stmt = stmt.where(Staff.active.is_(True))
    return [_view(r) for r in session.scalars(stmt)]


def find_staff(session: Session, ref: str) -> StaffView | None:
    """By id, openid or exact name (active members only). A name two members
    share (possible in databases from before names were unique) is refused
    rather than taken to mean either of them."""
    stmt = select(Staff).where(Staff.active.is_(True))
    if ref.isascii() and ref.isdigit() and int(ref) <= MAX_ROW_ID:  # a larger one is no id
        row = session.scalar(stmt.where(Staff.id == int(ref)))
        if row:
            return _view(row)
    row = session.scalar(stmt.where(Staff.openid == ref))
    if row:
        return _view(row)
    named = _active_named(session, ref)
    if len(named) > 1:
        ids = "、".join(str(r.id) for r in named)
        raise InvalidInput(f"有 {len(named)} 位成员叫“{ref}”（编号 {ids}）：请用编号")
    return _view(named[0]) if named else None


def _active_named(session: Session, name: str) -> list[Staff]:
    stmt = select(Staff).where(Staff.active.is_(True), Staff.name == name).order_by(Staff.id)
    return list(session.scalars(stmt))


def _free_name(session: Session, name: str) -> str:
    """``name``, or ``name2``, ``name3``… when an active member has it already."""
    candidate, n = name, 1
    while _active_named(session, candidate):
        n += 1
        candidate = f"{name[:60]}{n}"
    return candidate


@dataclass(frozen=True)
class Removal:
    member: StaffView
    released_tickets: int  # their unresolved tickets, now unassigned and back in the queue


def deactivate_staff(session: Session, staff_id: int) -> Removal:
    """Remove a member. Their history stays (audit rows point at them); the
    tickets they had claimed and not resolved go back to the queue, unassigned,
    so nobody's follower waits on someone who has left."""
    row = session.get(Staff, staff_id)
    if row is None or not row.active:
        raise InvalidInput(f"找不到成员 {staff_id}")
    if Role.ADMIN in parse_roles(row.roles) and \
            len(SqlStaffDirectory(session).with_role(Role.ADMIN)) == 1:
        raise InvalidInput(f"{row.name} 是最后一位管理员，不能删除：先添加另一位管理员")
    row.active = False
    row.openid = None  # frees the WeChat account: they are a follower again
    return Removal(_view(row), queue_ops.release_claims(session.connection(), staff_id))


def create_invite(session: Session, roles: frozenset[Role], now: datetime,
                  name: str | None = None, created_by: int | None = None,
                  ttl: timedelta = DEFAULT_INVITE_TTL) -> StaffInvite:
    code = new_code(CODE_LENGTH)
    invite = StaffInvite(code=code, roles=format_roles(roles), name=name,
                         created_by=created_by, created_at=now, expires_at=now + ttl)
    session.add(invite)
    session.flush()
    return invite


def redeem_invite(session: Session, code: str, openid: str, now: datetime,
                  fallback_name: str) -> StaffView:
    """Turn a WeChat user into staff with the invite's roles. One use only."""
    invite = session.scalar(select(StaffInvite).where(StaffInvite.code == code.strip().upper())
                            .with_for_update())
    if invite is None or invite.used_at is not None or invite.expires_at <= now:
        raise InvalidInput("邀请码无效或已过期，请向管理员重新索取")
    if session.scalar(select(Staff).where(Staff.openid == openid)):
        raise InvalidInput("你已经是成员了，无需再次绑定")
    # The invitee cannot choose around a name someone took since the invite was made.
    name = _free_name(session, (invite.name or fallback_name).strip())
    member = add_staff(session, name, parse_roles(invite.roles), now, openid=openid)
    invite.used_at, invite.used_by = now, member.id
    return member


_ACTOR = "SELECT id, name, roles FROM staff WHERE openid = :openid AND active = :active"


def actor_by_openid(conn: Connection, openid: str) -> Actor | None:
    """The active staff member behind a WeChat openid.

    A push asks only when the sender's upsert (``followers.touch``) found
    one, so a follower's push never runs this."""
    row = Raw.of(conn).one(_ACTOR, {"openid": openid, "active": True})
    return Actor(int(row[0]), str(row[1]), parse_roles(str(row[2]))) if row else None
