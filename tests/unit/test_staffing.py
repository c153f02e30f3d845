"""Staff membership decided without a database: workflow.staffing and its use cases on fakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.unit.fakes import FakeUnitOfWork
from workflow import confirm_cases, staff_cases, staffing
from workflow.errors import (
    ActionDenied,
    AlreadyMember,
    InviteInvalid,
    LastAdmin,
    MemberChanged,
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
from workflow.model import Context
from workflow.roles import CONSOLE_ACTOR, Actor, Role
from workflow.staffing import Member

NOW = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
BOSS = Actor(1, "张敏", frozenset({Role.ADMIN}))
LI = Actor(2, "李雷", frozenset({Role.REVIEWER}))
WANG = Actor(3, "王芳", frozenset({Role.CREATOR}))


def ctx(now: datetime = NOW) -> Context:
    return Context(now=now, command="成员 …")


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork([BOSS, LI, WANG])


def test_role_names_in_any_of_three_spellings() -> None:
    assert staffing.parse_role_names(["审核", "analyst", "管理员"]) == \
        {Role.REVIEWER, Role.ANALYST, Role.ADMIN}
    with pytest.raises(UnknownRole) as unknown:
        staffing.parse_role_names(["厨师"])
    assert (unknown.value.code, unknown.value.data) == ("unknown_role", {"name": "厨师"})
    with pytest.raises(NoRole):
        staffing.parse_role_names([])


def test_a_new_member_needs_a_free_name_and_openid() -> None:
    here = [Member(1, "李雷", "o_li", frozenset({Role.REVIEWER}))]
    made = staffing.new_member(" 王芳 ", frozenset({Role.CREATOR}), None, here, None)
    assert (made.name, made.openid, made.active) == ("王芳", None, True)
    with pytest.raises(NameTaken) as taken:
        staffing.new_member("李雷", frozenset({Role.CREATOR}), None, here, None)
    assert taken.value.data == {"name": "李雷", "holder_id": 1}
    with pytest.raises(OpenidTaken):
        staffing.new_member("x", frozenset({Role.CREATOR}), "o_li", here, here[0])
    for bad in ("", "  ", "名" * 65):
        with pytest.raises(MemberNameInvalid):
            staffing.new_member(bad, frozenset({Role.CREATOR}), None, here, None)


def test_free_name_counts_up() -> None:
    assert staffing.free_name("王芳", set()) == "王芳"
    assert staffing.free_name("王芳", {"王芳", "王芳2"}) == "王芳3"
    assert staffing.free_name("名" * 64, {"名" * 64}) == "名" * 60 + "2"


def test_only_one_member_per_name() -> None:
    two = [Member(1, "李雷", None, frozenset()), Member(4, "李雷", None, frozenset())]
    with pytest.raises(NameShared) as shared:
        staffing.only_one("李雷", two)
    assert shared.value.data["ids"] == [1, 4]
    assert staffing.only_one("李雷", two[:1]) == two[0]
    assert staffing.only_one("nobody", []) is None


def test_an_invite_is_redeemed_once_before_it_expires(uow: FakeUnitOfWork) -> None:
    invite = staff_cases.invite(uow, BOSS, frozenset({Role.REVIEWER}), " 王小明 ", ctx())
    assert (invite.name, invite.created_by) == ("王小明", BOSS.id)
    assert invite.expires_at == NOW + timedelta(hours=72) and len(invite.code) == 8
    late = ctx(NOW + timedelta(hours=73))
    with pytest.raises(InviteInvalid):
        staff_cases.bind(uow, invite.code, "o_new", "o_new", late)
    member = staff_cases.bind(uow, invite.code.lower(), "o_new", "o_new", ctx())
    assert (member.name, member.openid) == ("王小明", "o_new")
    assert member.roles == frozenset({Role.REVIEWER})
    with pytest.raises(InviteInvalid):
        staff_cases.bind(uow, invite.code, "o_other", "o_other", ctx())
    with pytest.raises(InviteInvalid):
        staff_cases.bind(uow, "NOPE", "o_other", "o_other", ctx())
    assert [(n.subject, n.event, n.actor_name) for n in uow.audit.actions] == [
        (f"invite:{invite.id}", "invite", "张敏"), (f"staff:{member.id}", "bind", "王小明")]


def test_a_member_cannot_bind_again_and_a_taken_name_is_varied(uow: FakeUnitOfWork) -> None:
    first = staff_cases.invite(uow, BOSS, frozenset({Role.CREATOR}), "李雷", ctx())
    joined = staff_cases.bind(uow, first.code, "o_x", "o_x", ctx())
    assert joined.name == "李雷2"
    again = staff_cases.invite(uow, BOSS, frozenset({Role.CREATOR}), None, ctx())
    with pytest.raises(AlreadyMember) as already:
        staff_cases.bind(uow, again.code, "o_x", "o_x", ctx())
    assert already.value.data == {"name": "李雷2"}
    with pytest.raises(NameTooLong):
        staff_cases.invite(uow, BOSS, frozenset({Role.CREATOR}), "名" * 65, ctx())


def test_only_admins_manage_the_team(uow: FakeUnitOfWork) -> None:
    with pytest.raises(ActionDenied) as denied:
        staff_cases.invite(uow, LI, frozenset({Role.CREATOR}), None, ctx())
    assert denied.value.data["roles"] == {Role.ADMIN}
    with pytest.raises(ActionDenied):
        staff_cases.set_roles(uow, LI, WANG.id, frozenset({Role.REVIEWER}), ctx())
    with pytest.raises(ActionDenied):
        staff_cases.remove(uow, LI, WANG.id, ctx())
    assert uow.audit.actions == [] and uow.staff.invites == {}


def test_role_changes(uow: FakeUnitOfWork) -> None:
    change = staff_cases.set_roles(uow, BOSS, LI.id, frozenset({Role.REVIEWER, Role.ANALYST}),
                                   ctx())
    assert (change.before.roles, change.after.roles) == (
        frozenset({Role.REVIEWER}), frozenset({Role.REVIEWER, Role.ANALYST}))
    assert uow.audit.actions[-1].result == "reviewer -> analyst,reviewer"
    with pytest.raises(OwnAdminRole):
        staff_cases.set_roles(uow, BOSS, BOSS.id, frozenset({Role.REVIEWER}), ctx())
    with pytest.raises(MemberNotFound) as missing:
        staff_cases.set_roles(uow, BOSS, 99, frozenset({Role.REVIEWER}), ctx())
    assert missing.value.data == {"ref": 99}


def test_the_last_admin_keeps_the_role_and_stays(uow: FakeUnitOfWork) -> None:
    """From the console (no member acts), nothing but the rule stops it."""
    with pytest.raises(LastAdmin) as last:
        staff_cases.set_roles(uow, CONSOLE_ACTOR, BOSS.id, frozenset({Role.REVIEWER}), ctx())
    assert last.value.data == {"name": "张敏", "removing": False}
    with pytest.raises(LastAdmin):
        staff_cases.remove(uow, CONSOLE_ACTOR, BOSS.id, ctx())
    staff_cases.set_roles(uow, CONSOLE_ACTOR, LI.id, frozenset({Role.ADMIN}), ctx())
    removal = staff_cases.remove(uow, CONSOLE_ACTOR, BOSS.id, ctx())
    assert (removal.member.active, removal.member.openid) == (False, None)
    assert uow.staff.released == [BOSS.id]


def test_removal_is_never_of_oneself_and_a_confirmed_one_needs_no_change(
        uow: FakeUnitOfWork) -> None:
    with pytest.raises(RemoveSelf):
        confirm_cases.ask_removal(uow, BOSS, BOSS.id, ctx())
    with pytest.raises(MemberNotFound):
        confirm_cases.ask_removal(uow, BOSS, 99, ctx())
    _, asked = confirm_cases.ask_removal(uow, BOSS, LI.id, ctx())
    code = asked.subject_version
    staff_cases.set_roles(uow, BOSS, LI.id, frozenset({Role.ANALYST}), ctx())
    with pytest.raises(MemberChanged):
        staff_cases.remove(uow, BOSS, LI.id, ctx(), expected=code)
    now_seen = confirm_cases.ask_removal(uow, BOSS, LI.id, ctx())[1].subject_version
    assert staff_cases.remove(uow, BOSS, LI.id, ctx(), expected=now_seen).member.id == LI.id
    assert uow.audit.actions[-1].event == "remove_staff"


def test_the_fingerprint_is_the_one_codes_were_issued_with() -> None:
    """A code asked for before this module existed still confirms: same CRC-32 input."""
    member = Member(3, "李雷", "o_li", frozenset({Role.REVIEWER, Role.ANALYST}))
    assert staffing.member_fingerprint(member) == staffing.fingerprint(
        3, "李雷", "analyst,reviewer", True, "o_li")
