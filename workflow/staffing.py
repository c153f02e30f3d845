"""Staff membership, decided: joining by invite, names, roles, removal, the last admin.

Pure: each function takes what storage loaded (members, an invite), the actor
and ``now``, and returns the new state or raises a ``StaffRefusal`` with a code
and its data. ``workflow/staff_cases.py`` loads, decides and writes.
"""

from __future__ import annotations

import secrets
import zlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from workflow.errors import (
    ActionDenied,
    AlreadyMember,
    InviteInvalid,
    LastAdmin,
    MemberNameInvalid,
    MemberNotFound,
    NameShared,
    NameTaken,
    NameTooLong,
    NoRole,
    OpenidTaken,
    OwnAdminRole,
    RemoveSelf,
    UnknownRole,
)
from workflow.roles import ROLE_WORDS, STAFF_ROLES, Action, Actor, Role, action_roles, may

MAX_NAME = 64  # what a member's name may be (the staff.name column)
# No 0/O, 1/I/L: codes are read off one screen and typed on a phone.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
INVITE_CODE_LENGTH = 8
DEFAULT_INVITE_TTL = timedelta(hours=72)


def new_code(length: int) -> str:
    """A random code a person can read off one screen and type on a phone."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


@dataclass(frozen=True)
class Member:
    id: int
    name: str
    openid: str | None
    roles: frozenset[Role]
    active: bool = True

    @property
    def actor(self) -> Actor:
        return Actor(self.id, self.name, self.roles)


@dataclass(frozen=True)
class Invite:
    id: int
    code: str
    roles: frozenset[Role]
    name: str | None
    created_by: int | None
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    used_by: int | None = None


def role_list(roles: frozenset[Role]) -> str:
    """``analyst,reviewer``: how roles read in the audit log (and are stored)."""
    return ",".join(sorted(r.value for r in roles))


def fingerprint(*parts: object) -> int:
    """A stable 31-bit number (fits the Integer column) that changes when any part does.

    ``hash()`` is salted per process, and the code is confirmed in another push,
    possibly by another worker: hence CRC-32 of the parts' text.
    """
    text = "\x1f".join(str(p) for p in parts)
    return zlib.crc32(text.encode()) & 0x7FFFFFFF


def member_fingerprint(member: Member) -> int:
    """Name, roles, active and openid: what a removal is decided on. A confirmation
    keeps it, so any change in between voids the code."""
    return fingerprint(member.id, member.name, role_list(member.roles), member.active,
                       member.openid)


def authorise(actor: Actor, action: Action) -> None:
    """Raise ActionDenied unless ``actor`` may do ``action``."""
    if not may(actor, action):
        raise ActionDenied(action.value, action_roles(action) or frozenset({Role.ADMIN}))


def parse_role_names(names: Sequence[str]) -> frozenset[Role]:
    """Roles from English values, Chinese labels or the short words (审核)."""
    by_name = {r.value: r for r in STAFF_ROLES} | {r.label: r for r in STAFF_ROLES}
    by_name |= {word: role for role, word in ROLE_WORDS.items()}
    roles = set()
    for name in names:
        if name.strip().lower() not in by_name:
            raise UnknownRole(name)
        roles.add(by_name[name.strip().lower()])
    if not roles:
        raise NoRole()
    return frozenset(roles)


def checked_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise MemberNameInvalid(MAX_NAME)
    return name


def only_one(ref: str, found: Sequence[Member]) -> Member | None:
    """The member ``ref`` names, from what it matched (``StaffDirectory.matching``):
    a name two members share is refused rather than taken to mean either."""
    if len(found) > 1:
        raise NameShared(ref, [m.id for m in found])
    return found[0] if found else None


def new_member(name: str, roles: frozenset[Role], openid: str | None,
               active: Sequence[Member], openid_holder: Member | None) -> Member:
    """A member to add (id 0 until stored). Names are unique among active
    members, so that naming someone never names two people."""
    name = checked_name(name)
    if not roles:
        raise NoRole()
    if openid and openid_holder is not None:
        raise OpenidTaken(openid)
    taken = [m for m in active if m.name == name]
    if taken:
        raise NameTaken(name, taken[0].id)
    return Member(0, name, openid or None, roles)


def free_name(name: str, taken: Collection[str]) -> str:
    """``name``, or ``name2``, ``name3``… when an active member has it already."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name[:60]}{n}"
    return candidate


def new_invite(roles: frozenset[Role], name: str | None, created_by: int | None,
               now: datetime, code: str, ttl: timedelta = DEFAULT_INVITE_TTL) -> Invite:
    name = (name or "").strip() or None
    if name and len(name) > MAX_NAME:
        raise NameTooLong(MAX_NAME)
    if not roles:
        raise NoRole()
    return Invite(0, code, roles, name, created_by, now, now + ttl)


def redeem(invite: Invite | None, openid: str, openid_holder: Member | None,
           active: Sequence[Member], fallback_name: str, now: datetime) -> tuple[Invite, Member]:
    """Turn a WeChat user into a member with the invite's roles. One use only;
    the invitee cannot choose around a name someone took since the invite was made."""
    if invite is None or invite.used_at is not None or invite.expires_at <= now:
        raise InviteInvalid()
    if openid_holder is not None:
        raise AlreadyMember(openid_holder.name)
    name = free_name((invite.name or fallback_name).strip(), {m.name for m in active})
    member = new_member(name, invite.roles, openid, active, None)
    return replace(invite, used_at=now), member


def change_roles(member: Member | None, member_id: int, roles: frozenset[Role],
                 actor: Actor, admins: Sequence[Member]) -> Member:
    """``member`` with exactly ``roles``. Nobody drops their own admin role (another
    admin does it), and the last admin keeps theirs."""
    if member_id == actor.id and Role.ADMIN not in roles:
        raise OwnAdminRole()
    if member is None or not member.active:
        raise MemberNotFound(member_id)
    if Role.ADMIN not in roles:
        _not_last_admin(member, admins, removing=False)
    return replace(member, roles=roles)


def may_remove(member: Member | None, member_id: int, actor: Actor) -> Member:
    """The member a removal is asked for: never oneself, only an active member."""
    if member_id == actor.id:
        raise RemoveSelf()
    if member is None or not member.active:
        raise MemberNotFound(member_id)
    return member


def remove(member: Member, admins: Sequence[Member]) -> Member:
    """The member, removed. Their history stays (audit rows point at them); the
    WeChat account is freed (they are a follower again)."""
    _not_last_admin(member, admins, removing=True)
    return replace(member, active=False, openid=None)


def _not_last_admin(member: Member, admins: Sequence[Member], removing: bool) -> None:
    if Role.ADMIN in member.roles and [a.id for a in admins] == [member.id]:
        raise LastAdmin(member.name, removing)
