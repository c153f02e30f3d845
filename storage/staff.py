"""Staff members and invite codes, persisted and queried (``workflow.ports.StaffRepository``).

What may be done with them (names, roles, invites, the last admin) is decided
in ``workflow/staffing.py``; the use cases are ``workflow/staff_cases.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, select, update
from sqlalchemy.orm import Session

from storage import queue_ops
from storage.models import Staff, StaffInvite
from storage.raw import Raw
from storage.repositories import SqlStaffDirectory, format_roles, member_of, parse_roles
from workflow.roles import Actor, Role
from workflow.staffing import Invite, Member


def _invite_of(row: StaffInvite) -> Invite:
    return Invite(row.id, row.code, parse_roles(row.roles), row.name, row.created_by,
                  row.created_at, row.expires_at, row.used_at, row.used_by)


class SqlStaffRepository(SqlStaffDirectory):
    """Implements ``workflow.ports.StaffRepository`` on one session."""

    def member(self, staff_id: int) -> Member | None:
        row = self.session.get(Staff, staff_id, populate_existing=True)
        return member_of(row) if row else None

    def members(self, include_inactive: bool = False) -> Sequence[Member]:
        stmt = select(Staff).order_by(Staff.id)
        if not include_inactive:
            stmt = stmt.where(Staff.active.is_(True))
        return [member_of(r) for r in self.session.scalars(stmt)]

    def by_openid(self, openid: str) -> Member | None:
        row = self.session.scalar(select(Staff).where(Staff.openid == openid))
        return member_of(row) if row else None

    def add(self, member: Member, now: datetime) -> Member:
        row = Staff(name=member.name, roles=format_roles(member.roles), openid=member.openid,
                    active=member.active, created_at=now)
        self.session.add(row)
        self.session.flush()
        return member_of(row)

    def save(self, member: Member, expected: Member) -> bool:
        """A conditional update: two admins changing one member at once, one wins."""
        done = self.session.execute(
            update(Staff)
            .where(Staff.id == member.id, Staff.name == expected.name,
                   Staff.roles == format_roles(expected.roles),
                   Staff.active.is_(expected.active), _openid_is(expected.openid))
            .values(name=member.name, roles=format_roles(member.roles), openid=member.openid,
                    active=member.active)
            .execution_options(synchronize_session=False))
        return bool(done.rowcount == 1)  # type: ignore[attr-defined]

    def release_claims(self, staff_id: int) -> int:
        return queue_ops.release_claims(self.session.connection(), staff_id)

    def invite(self, code: str) -> Invite | None:
        row = self.session.scalar(select(StaffInvite)
                                  .where(StaffInvite.code == code.strip().upper())
                                  .with_for_update())
        return _invite_of(row) if row else None

    def add_invite(self, invite: Invite) -> Invite:
        row = StaffInvite(code=invite.code, roles=format_roles(invite.roles), name=invite.name,
                          created_by=invite.created_by, created_at=invite.created_at,
                          expires_at=invite.expires_at)
        self.session.add(row)
        self.session.flush()
        return _invite_of(row)

    def use_invite(self, invite: Invite, used_by: int) -> None:
        self.session.execute(update(StaffInvite).where(StaffInvite.id == invite.id)
                             .values(used_at=invite.used_at, used_by=used_by)
                             .execution_options(synchronize_session=False))


def _openid_is(openid: str | None) -> ColumnElement[bool]:
    return Staff.openid.is_(None) if openid is None else Staff.openid == openid


def add_staff(session: Session, name: str, roles: frozenset[Role], now: datetime,
              openid: str | None = None) -> Member:
    """Insert a member as given: for seeding (the demo, tests). What may be added
    is decided by ``staff_cases.add``, which chat and the CLI call."""
    return SqlStaffRepository(session).add(Member(0, name, openid, roles), now)


_ACTOR = "SELECT id, name, roles FROM staff WHERE openid = :openid AND active = :active"


def actor_by_openid(conn: Connection, openid: str) -> Actor | None:
    """The active staff member behind a WeChat openid.

    A push asks only when the sender's upsert (``followers.touch``) found
    one, so a follower's push never runs this."""
    row = Raw.of(conn).one(_ACTOR, {"openid": openid, "active": True})
    return Actor(int(row[0]), str(row[1]), parse_roles(str(row[2]))) if row else None
