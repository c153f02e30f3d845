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
    StaffRefusal,
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


@pytest.mark.parametrize(("refusal", "words"), [
    (UnknownRole("厨师"), "未知角色“厨师”，可选：创作、审核、分析、管理"),
    (NoRole(), "至少需要一个角色"),
    (MemberNameInvalid(64), "成员名字不能为空，且不超过 64 个字符"),
    (NameTooLong(64), "名字不能超过 64 个字符"),
    (NameTaken("王芳", 3), "已有名为“王芳”的成员（编号 3）：换一个名字，用名字指人时才不会认错"),
    (NameShared("王芳", [3, 7]), "有 2 位成员叫“王芳”（编号 3、7）：请用编号"),
    (OpenidTaken("o_x"), "openid o_x 已经绑定了成员"),
    (MemberNotFound(99), "找不到成员 99（发送「成员」或 wxops staff list 查看成员编号）"),
    (LastAdmin("张敏", removing=True), "张敏 是最后一位管理员，不能删除：先添加另一位管理员"),
    (LastAdmin("张敏", removing=False),
     "张敏 是最后一位管理员，不能去掉管理员角色：先添加另一位管理员"),
    (OwnAdminRole(), "不能去掉你自己的管理员角色。请让另一位管理员来改。"),
    (RemoveSelf(), "不能移除你自己。请让另一位管理员来操作。"),
    (InviteInvalid(), "邀请码无效或已过期，请向管理员重新索取"),
    (AlreadyMember(), "你已经是成员了，无需再次绑定"),
    (AlreadyMember("李雷"), "你已经是成员（李雷）了，无需再次绑定"),
    (MemberChanged(2), "成员信息已变化，确认码作废。请发送「成员」查看后重新发起。"),
    (ActionDenied("remove_staff", frozenset({Role.ADMIN})), "这个操作需要管理员权限"),
    (ActionDenied("read", frozenset({Role.ANALYST, Role.ADMIN})),
     "这个操作需要数据分析员、管理员权限"),
])
def test_a_staff_refusal_is_worded_once_by_the_catalogue(refusal: Exception, words: str) -> None:
    """errors.j2 words each from its code and data, for chat and the CLI alike."""
    from handlers import refusals

    assert isinstance(refusal, StaffRefusal)
    assert str(refusal) == refusal.code  # no words of its own: a code and data
    assert refusals.say(refusal) == words
