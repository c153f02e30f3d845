"""Team, rule and help commands through the real grammar and dispatcher, on both engines.

They assert on what a command answers as data (its template and context,
``commanding.ask``) and on refusals by code and data (``commanding.refusal``);
the last tests render a few answers, for the catalogue's wording."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from handlers import refusals
from handlers.commands.grammar import CommandError
from handlers.replies import TEXT_REPLY_BYTES
from handlers.texts import command_text
from storage import staff
from storage.models import (
    AutoReplyRule,
    ReplyTicket,
    Staff,
)
from storage.uow import SqlUnitOfWork
from tests.integration.commanding import (
    NOW,
    Team,
    ask,
    audit_trail,
    confirmation_code,
    make_team,
    open_ticket,
    refusal,
    say,
)
from workflow import staff_cases
from workflow.autoreply import MatchType, NewRule
from workflow.capabilities import UNVERIFIED_SUBSCRIPTION, Capabilities
from workflow.errors import LastAdmin, MemberNotFound, RuleRefused, WorkflowError
from workflow.model import Context
from workflow.roles import CONSOLE_ACTOR, Role

TODAY = date(2026, 11, 26)


@pytest.fixture
def team(engine: Engine) -> Team:
    return make_team(engine)


def member(engine: Engine, staff_id: int) -> Staff:
    with Session(engine) as session:
        row = session.get(Staff, staff_id)
        assert row is not None
        return row


def refused(error: CommandError | WorkflowError) -> tuple[str, dict[str, Any]]:
    """A refusal's code and data, whichever layer refused."""
    data = error.data if isinstance(error, CommandError) else refusals.data(error)
    return error.code, data


def needs_admin(engine: Engine, who: int, text: str) -> bool:
    """The command is refused for want of the admin role (and only that)."""
    code, data = refused(refusal(engine, who, text))
    return code == "needs_role" and data["roles"] == ["管理员"]


# 成员 邀请 / 绑定

def test_invite_then_bind_makes_a_member(engine: Engine, team: Team) -> None:
    invited = ask(engine, team.admin, "成员 邀请 审核 王小明")
    assert invited.template == "team_invite"
    code = invited.context["code"]
    assert (invited.context["role"], invited.context["invitee"]) == (Role.REVIEWER, "王小明")
    assert invited.context["expires"] == NOW + timedelta(hours=72)

    welcome = ask(engine, "o_newcomer", f"绑定 {code.lower()}")
    assert welcome.template == "team_welcome"
    assert (welcome.context["member"].name, welcome.context["roles"]) == ("王小明",
                                                                         [Role.REVIEWER])
    with Session(engine) as session:
        joined = session.scalars(select(Staff).where(Staff.openid == "o_newcomer")).one()
    assert (joined.name, joined.roles, joined.active) == ("王小明", "reviewer", True)
    assert audit_trail(engine) == [("invite:1", "invite", "张敏"),
                             (f"staff:{joined.id}", "bind", "王小明")]


def test_invite_without_name_binds_under_the_openid(engine: Engine, team: Team) -> None:
    code = ask(engine, team.admin, "staff invite creator").context["code"]
    welcome = ask(engine, "o_anon", f"bind {code}")
    assert (welcome.context["member"].name, welcome.context["roles"]) == ("o_anon",
                                                                         [Role.CREATOR])


def test_bind_refusals(engine: Engine, team: Team) -> None:
    code = ask(engine, team.admin, "成员 邀请 分析").context["code"]
    assert refused(refusal(engine, team.li, f"绑定 {code}")) == ("already_member",
                                                                  {"name": "李雷"})
    assert refused(refusal(engine, "o_x", "绑定 ZZZZZZZZ")) == ("invite_invalid", {})
    late = NOW + timedelta(hours=73)
    assert refusal(engine, "o_x", f"绑定 {code}", now=late).code == "invite_invalid"
    assert ask(engine, "o_x", f"绑定 {code}").template == "team_welcome"
    assert refusal(engine, "o_y", f"绑定 {code}").code == "invite_invalid"  # once only
    missing = refused(refusal(engine, "o_y", "绑定"))
    assert (missing[0], missing[1]["label"]) == ("missing", "邀请码")


def test_invite_refusals(engine: Engine, team: Team) -> None:
    assert needs_admin(engine, team.li, "成员 邀请 审核")
    choice = refused(refusal(engine, team.admin, "成员 邀请 厨师"))
    assert (choice[0], choice[1]["token"]) == ("not_a_choice", "厨师")
    assert refused(refusal(engine, team.admin, "成员 邀请 审核 " + "名" * 65)) == (
        "name_too_long", {"limit": 64})
    assert say(engine, team.admin, "成员 邀请 审核", trusted=False) == refusals.say(
        CommandError("untrusted"))


# 成员 / 成员 角色

def test_list_staff_shows_roles_and_binding(engine: Engine, team: Team) -> None:
    with Session(engine) as session:
        unbound = staff.add_staff(session, "吴迪", frozenset({Role.CREATOR, Role.REVIEWER}), NOW)
        session.commit()
    listed = ask(engine, team.admin, "成员")
    assert listed.template == "team_staff"
    members = {m.id: m for m in listed.context["members"]}
    assert len(members) == 7
    admin, newcomer = members[team.admin], members[unbound.id]
    assert (admin.name, admin.roles, admin.openid is not None) == ("张敏", {Role.ADMIN}, True)
    assert (newcomer.name, newcomer.openid) == ("吴迪", None)
    assert listed.context["ordered"](newcomer.roles) == [Role.CREATOR, Role.REVIEWER]
    assert needs_admin(engine, team.wang, "成员")


def test_set_roles(engine: Engine, team: Team) -> None:
    changed = ask(engine, team.admin, f"成员 角色 {team.li} 审核 分析")
    assert changed.template == "team_roles"
    assert {k: changed.context[k] for k in ("member_id", "member_name", "old", "new")} == {
        "member_id": team.li, "member_name": "李雷", "old": [Role.REVIEWER],
        "new": [Role.REVIEWER, Role.ANALYST]}
    assert member(engine, team.li).roles == "analyst,reviewer"
    assert (f"staff:{team.li}", "set_roles", "张敏") in audit_trail(engine)
    assert refused(refusal(engine, team.admin, f"成员 角色 {team.li} 厨师")) == (
        "unknown_role", {"name": "厨师"})
    assert refused(refusal(engine, team.admin, "成员 角色 999 审核")) == (
        "member_not_found", {"ref": 999})
    missing = refused(refusal(engine, team.admin, f"成员 角色 {team.li}"))
    assert (missing[0], missing[1]["label"]) == ("missing", "角色")
    assert needs_admin(engine, team.li, f"成员 角色 {team.li} 管理")


def test_admin_cannot_drop_their_own_admin_role(engine: Engine, team: Team) -> None:
    assert refusal(engine, team.admin, f"成员 角色 {team.admin} 审核").code == "own_admin_role"
    assert member(engine, team.admin).roles == "admin"
    kept = ask(engine, team.admin, f"成员 角色 {team.admin} 管理 审核").context
    assert (kept["old"], kept["new"]) == ([Role.ADMIN], [Role.REVIEWER, Role.ADMIN])
    other = ask(engine, team.admin, f"成员 角色 {team.admin2} 分析").context
    assert (other["old"], other["new"]) == ([Role.ADMIN], [Role.ANALYST])


# 成员 删除 → 确认

def test_remove_staff_needs_the_askers_code_once(engine: Engine, team: Team) -> None:
    asked = ask(engine, team.admin, f"成员 删除 {team.li}")
    assert asked.template == "team_confirm" and asked.context["rule"] is None
    asked_for = asked.context["member"]
    assert (asked_for.id, asked_for.name, asked.context["roles"]) == (team.li, "李雷",
                                                                     [Role.REVIEWER])
    code = asked.context["code"]
    invalid = ("confirmation_refused", {"why": "invalid"})
    assert refused(refusal(engine, team.admin2, f"确认 {code}")) == invalid
    assert member(engine, team.li).active
    removed = ask(engine, team.admin, f"确认 {code}")
    assert removed.template == "team_removed"
    assert (removed.context["member"].id, removed.context["member"].name,
            removed.context["released"]) == (team.li, "李雷", 0)
    gone = member(engine, team.li)
    assert (gone.active, gone.openid) == (False, None)
    assert refused(refusal(engine, team.admin, f"确认 {code}")) == invalid
    assert (f"staff:{team.li}", "remove_staff", "张敏") in audit_trail(engine)
    assert refused(refusal(engine, team.admin, f"成员 删除 {team.li}")) == (
        "member_not_found", {"ref": team.li})


def test_removing_a_member_puts_their_open_tickets_back_in_the_queue(
        engine: Engine, team: Team) -> None:
    kept, done = open_ticket(engine, "o_f1", None), open_ticket(engine, "o_f2", None)
    assert ask(engine, team.li, f"接 T{kept}").template == "ticket_claimed"
    ask(engine, team.li, f"接 T{done}")
    ask(engine, team.li, f"结 T{done}")
    code = ask(engine, team.admin, f"成员 删除 {team.li}").context["code"]
    removed = ask(engine, team.admin, f"确认 {code}")
    assert (removed.template, removed.context["released"]) == ("team_removed", 1)
    with engine.connect() as conn:
        assignees = {row.id: row.assignee_id for row in
                     conn.execute(select(ReplyTicket.id, ReplyTicket.assignee_id))}
    assert assignees == {kept: None, done: team.li}  # who resolved it stays on record
    assert ask(engine, team.chen, f"接 T{kept}").template == "ticket_claimed"


def test_remove_staff_refusals(engine: Engine, team: Team) -> None:
    assert refused(refusal(engine, team.admin, f"成员 删除 {team.admin}")) == ("remove_self", {})
    assert refused(refusal(engine, team.admin, "成员 删除 999")) == (
        "member_not_found", {"ref": 999})
    assert needs_admin(engine, team.chen, f"成员 删除 {team.li}")


def test_remove_staff_code_expires(engine: Engine, team: Team) -> None:
    code = ask(engine, team.admin, f"staff remove {team.li}").context["code"]
    late = NOW + timedelta(minutes=6)
    assert refused(refusal(engine, team.admin, f"确认 {code}", now=late)) == (
        "confirmation_refused", {"why": "expired"})
    assert member(engine, team.li).active


def test_remove_staff_code_void_once_the_member_changed(engine: Engine, team: Team) -> None:
    code = ask(engine, team.admin, f"成员 删除 {team.li}").context["code"]
    ask(engine, team.admin2, f"成员 角色 {team.li} 审核 分析")
    assert refused(refusal(engine, team.admin, f"确认 {code}")) == (
        "member_changed", {"member_id": team.li})
    assert member(engine, team.li).active


def test_remove_staff_confirmation_needs_admin_still(engine: Engine, team: Team) -> None:
    code = ask(engine, team.admin, f"成员 删除 {team.li}").context["code"]
    ask(engine, team.admin2, f"成员 角色 {team.admin} 审核")
    assert refused(refusal(engine, team.admin, f"确认 {code}")) == (
        "action_denied", {"action": "remove_staff", "roles": frozenset({Role.ADMIN})})
    assert member(engine, team.li).active


# 规则

def _rule(engine: Engine, pattern: str, reply: str, match_type: MatchType = MatchType.EXACT,
          **extra: object) -> int:
    with SqlUnitOfWork(engine) as uow:
        made = uow.rules.add(NewRule(match_type, pattern, reply, **extra),  # type: ignore[arg-type]
                             created_by=None, now=NOW)
        uow.commit()
    return made.id


def _added(engine: Engine, who: int, text: str) -> tuple[int, MatchType, str, str, int | None]:
    """The rule a 规则 command added: id, match type, pattern, reply, and the
    rule that answers the pattern before it (None)."""
    added = ask(engine, who, text)
    assert added.template == "team_rule_added"
    rule, first = added.context["rule"], added.context["shadowed_by"]
    return rule.id, rule.match_type, rule.pattern, rule.reply_text, first and first.id


def _tested(engine: Engine, who: int, text: str, now: datetime = NOW) -> tuple[int | None, str]:
    """Which rule 规则 测试 says would answer (None: the reply queue), and at what time."""
    found = ask(engine, who, text, now=now)
    assert found.template == "team_rule_test"
    rule = found.context["rule"]
    return (rule.id if rule else None), found.context["clock"]


def test_add_and_list_rules(engine: Engine, team: Team) -> None:
    assert ask(engine, team.admin, "规则").context["rules"] == []
    assert _added(engine, team.admin, "规则 添加 地址 社区中心在幸福路 8 号") == (
        1, MatchType.EXACT, "地址", "社区中心在幸福路 8 号", None)
    _rule(engine, "活动", "周六上午九点", MatchType.CONTAINS, priority=2,
          active_from=time(9), active_until=time(18))
    listed = ask(engine, team.admin, "rules")
    assert listed.template == "team_rules"
    assert [(r.id, r.match_type, r.pattern, r.reply_text, r.priority, r.active_from,
             r.active_until, r.hits) for r in listed.context["rules"]] == [
        (2, MatchType.CONTAINS, "活动", "周六上午九点", 2, time(9), time(18), 0),
        (1, MatchType.EXACT, "地址", "社区中心在幸福路 8 号", 0, None, None, 0)]
    assert ("rule:1", "rule_add", "张敏") in audit_trail(engine)
    assert needs_admin(engine, team.wang, "规则")


@pytest.mark.parametrize("text", [
    "分配 1 " + "长" * 3000, "成员 角色 2 " + "长" * 3000, "规则 测试 " + "长" * 3000,
    "规则 添加 " + "长" * 200 + " " + "回" * 666,
])
def test_what_a_long_text_is_answered_fits_in_one_reply(engine: Engine, team: Team,
                                                        text: str) -> None:
    """A long word is repeated only in part: WeChat shows no reply over 2,047 bytes
    (the sender would see only 该公众号暂时无法提供服务)."""
    say(engine, team.admin, "选题 很长的输入")
    assert len(say(engine, team.admin, text).encode()) <= TEXT_REPLY_BYTES


def test_add_rule_refusals_and_shadowing(engine: Engine, team: Team) -> None:
    missing = refused(refusal(engine, team.admin, "规则 添加 地址"))
    assert (missing[0], missing[1]["label"]) == ("missing", "回复")
    too_long = refusal(engine, team.admin, "规则 添加 地址 " + "长" * 2001)
    assert isinstance(too_long, RuleRefused)
    assert (too_long.problem, too_long.limit) == ("reply_long", 2000)
    # Counted in UTF-8 bytes, as WeChat does: 700 Chinese characters are 2,100, and
    # a follower would see only 该公众号暂时无法提供服务.
    over = refusal(engine, team.admin, "规则 添加 地址 " + "长" * 667)
    assert isinstance(over, RuleRefused) and over.problem == "reply_long"
    assert _added(engine, team.admin, "规则 添加 地点 " + "长" * 666)[3] == "长" * 666
    assert needs_admin(engine, team.li, "规则 添加 地址 幸福路")
    first = _rule(engine, "地", "请留言", MatchType.CONTAINS, priority=5)
    assert _added(engine, team.admin, "规则 添加 地址 幸福路 8 号")[4] == first


def test_contains_rule_by_chat_answers_any_message_with_the_word(engine: Engine,
                                                                 team: Team) -> None:
    assert _added(engine, team.admin, "规则 包含 报名 报名请点菜单“志愿者”") == (
        1, MatchType.CONTAINS, "报名", "报名请点菜单“志愿者”", None)
    assert _tested(engine, team.admin, "规则 测试 我想报名当志愿者")[0] == 1
    assert ("rule:1", "rule_add", "张敏") in audit_trail(engine)
    assert needs_admin(engine, team.li, "规则 包含 报名 幸福路")


def test_regex_rule_by_chat_keeps_the_pattern_as_typed(engine: Engine, team: Team) -> None:
    added = _added(engine, team.admin, r"规则 正则 ^(几点|什么时候)\s*开门 周一至周五 9:00-17:00")
    assert added == (1, MatchType.REGEX, r"^(几点|什么时候)\s*开门", "周一至周五 9:00-17:00", None)
    assert _tested(engine, team.admin, "规则 测试 什么时候 开门？")[0] == 1
    assert _tested(engine, team.admin, "规则 测试 明天开门吗")[0] is None
    # Full-width letters are not folded: the rule matches what the author typed.
    ask(engine, team.admin, r"规则 正则 ＶＩＰ\d+ 会员请联系小王")
    with Session(engine) as session:
        assert session.get(AutoReplyRule, 2).pattern == r"ＶＩＰ\d+"  # type: ignore[union-attr]
    broken = refusal(engine, team.admin, "规则 正则 (未闭合 回复")
    assert isinstance(broken, RuleRefused) and broken.problem == "regex"
    assert len(rules_in(engine)) == 2


def test_menu_rule_by_chat_answers_the_click_and_reports_shadowing(engine: Engine,
                                                                   team: Team) -> None:
    first = _rule(engine, "CONTACT", "请留言", MatchType.CLICK, priority=5)
    assert _added(engine, team.admin, "规则 菜单 CONTACT 电话 010-12345678") == (
        2, MatchType.CLICK, "CONTACT", "电话 010-12345678", first)
    missing = refused(refusal(engine, team.admin, "规则 菜单 CONTACT"))
    assert (missing[0], missing[1]["label"]) == ("missing", "回复")
    assert "不会被触发" not in say(engine, team.admin, "规则 菜单 HOURS 9:00-17:00")


def test_menu_rule_on_an_account_without_menus_says_no_one_can_click_it(
        engine: Engine, team: Team) -> None:
    small = Capabilities(UNVERIFIED_SUBSCRIPTION)
    shown = ask(engine, team.admin, "规则 菜单 CONTACT 电话 010-12345678",
                capabilities=small).render()
    assert shown.startswith("已添加规则 1：粉丝点击 key 为“CONTACT”的菜单时")  # still kept
    assert "注意：本公众号（未认证的订阅号）没有「自定义菜单」接口" in shown
    assert "这条规则现在不会被触发" in shown
    keyword = ask(engine, team.admin, "规则 添加 地址 幸福路 8 号", capabilities=small)
    assert "不会被触发" not in keyword.render()


def rules_in(engine: Engine) -> list[AutoReplyRule]:
    with Session(engine) as session:
        return list(session.scalars(select(AutoReplyRule)))


def test_rule_test_respects_hours_and_counts_no_hit(engine: Engine, team: Team) -> None:
    rule_id = _rule(engine, "值班", "工作人员在线", active_from=time(9), active_until=time(12))
    assert _tested(engine, team.admin, "规则 测试 值班") == (None, "14:00")
    morning = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    assert _tested(engine, team.admin, "规则 测试 值班", now=morning) == (rule_id, "10:00")
    with Session(engine) as session:
        assert session.get(AutoReplyRule, rule_id).hits == 0  # type: ignore[union-attr]


def test_delete_rule_with_confirmation(engine: Engine, team: Team) -> None:
    rule_id = _rule(engine, "地址", "幸福路 8 号")
    asked = ask(engine, team.admin, f"规则 删除 {rule_id}")
    assert asked.template == "team_confirm" and asked.context["member"] is None
    assert (asked.context["rule"].id, asked.context["rule"].pattern) == (rule_id, "地址")
    code = asked.context["code"]
    invalid = ("confirmation_refused", {"why": "invalid"})
    assert refused(refusal(engine, team.admin2, f"确认 {code}")) == invalid
    deleted = ask(engine, team.admin, f"确认 {code}")
    assert (deleted.template, deleted.context["rule"].id) == ("team_rule_deleted", rule_id)
    assert refused(refusal(engine, team.admin, f"确认 {code}")) == invalid
    assert ask(engine, team.admin, "规则").context["rules"] == []
    assert (f"rule:{rule_id}", "rule_delete", "张敏") in audit_trail(engine)
    assert refused(refusal(engine, team.admin, "规则 删除 99")) == ("rule_not_found", {"id": 99})


def test_delete_rule_code_void_after_change_expiry_or_deletion(engine: Engine, team: Team) -> None:
    rule_id = _rule(engine, "地址", "幸福路 8 号")
    stale = ask(engine, team.admin, f"规则 删除 {rule_id}").context["code"]
    with engine.begin() as conn:
        conn.execute(update(AutoReplyRule).where(AutoReplyRule.id == rule_id)
                     .values(reply_text="新地址：和平路 1 号"))
    assert refused(refusal(engine, team.admin, f"确认 {stale}")) == ("rule_changed",
                                                                      {"id": rule_id})
    late = ask(engine, team.admin, f"规则 删除 {rule_id}").context["code"]
    assert refused(refusal(engine, team.admin, f"确认 {late}", now=NOW + timedelta(minutes=5))) \
        == ("confirmation_refused", {"why": "expired"})
    first, second = (ask(engine, team.admin, f"规则 删除 {rule_id}").context["code"]
                     for _ in range(2))
    assert ask(engine, team.admin, f"确认 {first}").template == "team_rule_deleted"
    assert refused(refusal(engine, team.admin, f"确认 {second}")) == ("rule_gone", {"id": rule_id})


# 帮助

def test_help_lists_what_the_roles_allow(engine: Engine, team: Team) -> None:
    creator = say(engine, team.wang, "帮助")
    assert creator.startswith("你可以用的命令")
    assert "【我的】\n帮助 [命令] — 列出你可以用的命令" in creator
    assert "选题 标题 [截止 日期] — 新建选题" in creator and "接 工单编号 — 认领工单" in creator
    assert "截止 稿件编号 日期|无 — " in creator and "分配 稿件编号" not in creator
    for hidden in ("发布 稿件编号", "通过 稿件编号", "成员 邀请", "规则 添加", "绑定 邀请码",
                   "【团队与规则】"):
        assert hidden not in creator, hidden
    reviewer = say(engine, team.li, "帮助")
    assert "终审 稿件编号 [意见] — 终审通过" in reviewer and "稿件 [状态] — " in reviewer
    assert "复查 稿件编号 正常|更新|删除 [说明] — 定期复查已发布文章" in reviewer
    assert "排期 稿件编号" not in reviewer
    admin = say(engine, team.admin, "help", trusted=False)  # reading needs no safe mode
    assert "【团队与规则】" in admin and "\n成员 删除 成员编号\n" in admin
    assert "\n发布 稿件编号\n" in admin and "成员 邀请 创作|审核|分析|管理 [名字]" in admin
    assert "绑定 邀请码" not in admin
    # Every command is listed for an admin, so the summaries go: WeChat drops >2048 bytes.
    assert len(admin.encode()) <= TEXT_REPLY_BYTES < 2048 and " — " not in admin
    assert "\n绑定 邀请码 — 用邀请码加入团队" in say(engine, "o_stranger", "帮助")


def test_help_for_one_command(engine: Engine, team: Team) -> None:
    """What 帮助 says of one command: its spec, who may use it, and whether the
    asker may (the wording of one page is rendered once)."""
    def topic(who: int, text: str) -> tuple[str, list[Role], bool]:
        found = ask(engine, who, text)
        assert found.template == "me_help_topic"
        return found.context["spec"].name, found.context["roles"], found.context["allowed"]

    assert say(engine, team.li, "帮助 通过").splitlines() == [
        "通过 稿件编号 [意见]", "初审通过", "例如：通过 12 写得很好", "也可以用：approve",
        "权限：审核员、管理员", "需要确认：否"]
    assert topic(team.wang, "help publish") == ("publish", [Role.ADMIN], False)
    publish = ask(engine, team.wang, "help publish").context["spec"]
    assert publish.confirm and not command_text(publish.name).confirm_when
    # 复查 alone lists what is due (every member); 复查 12 … answers one, and only
    # its 删除 verdict asks for 确认
    rechecks = ask(engine, team.li, "帮助 复查").context["spec"]
    recheck = rechecks.forms[0]
    assert (rechecks.name, rechecks.roles) == ("rechecks", frozenset())
    assert (recheck.name, recheck.confirm, bool(command_text(recheck.name).confirm_when)) == (
        "recheck", False, True)
    page = say(engine, team.li, "帮助 复查")
    assert "（权限：审核员、数据分析员、管理员）" in page
    assert f"（{command_text('recheck').confirm_when}时需要确认）" in page
    assert topic(team.admin, "帮助 成员 删除") == ("remove", [Role.ADMIN], True)
    assert "staff remove" in ask(engine, team.admin, "帮助 成员 删除").context["spec"].words
    assert topic(team.wang, "帮助 我的") == ("todo", [], True)  # every member


def test_help_for_an_unknown_command_suggests_the_closest(engine: Engine, team: Team) -> None:
    close = refused(refusal(engine, team.wang, "帮助 统记"))
    assert (close[0], close[1]["word"], close[1]["spec"].name) == ("unknown_command", "统记",
                                                                   "stats")
    assert refused(refusal(engine, team.wang, "帮助 xyzzy")) == (
        "unknown_command", {"word": "xyzzy", "spec": None})


def test_chat_and_console_staff_changes_share_one_use_case_and_its_audit(
        engine: Engine, team: Team) -> None:
    """The console acts through staff_cases like chat does: the same refusals (by
    code) and an audit row for each change, which the console never wrote before."""
    assert refusal(engine, team.admin, f"成员 角色 {team.admin} 审核").code == "own_admin_role"
    assert refusal(engine, team.admin, f"成员 删除 {team.admin}").code == "remove_self"
    missing = refusal(engine, team.admin, "成员 角色 999 审核")
    assert isinstance(missing, MemberNotFound)  # the workflow's, worded once for both
    assert (missing.code, missing.data) == ("member_not_found", {"ref": 999})
    with pytest.raises(LastAdmin):  # two admins: the console may demote one, not both
        for admin in (team.admin, team.admin2):
            staff_cases.set_roles(SqlUnitOfWork(engine), CONSOLE_ACTOR, admin,
                                  frozenset({Role.REVIEWER}), Context(now=NOW))
    added = staff_cases.add(SqlUnitOfWork(engine), CONSOLE_ACTOR, "吴迪",
                            frozenset({Role.CREATOR}), Context(now=NOW, command="wxops staff add"))
    assert audit_trail(engine)[-2:] == [(f"staff:{team.admin}", "set_roles", "cli"),
                                        (f"staff:{added.id}", "add", "cli")]


# How the answers read: a few renderings of the catalogue's words

def test_invite_and_welcome_read_as_before(engine: Engine, team: Team) -> None:
    reply = say(engine, team.admin, "成员 邀请 审核 王小明")
    code = confirmation_code(reply, "绑定")
    assert "审核员，王小明" in reply
    assert "11月29日（周日）14:00 前有效" in reply  # 72 hours, in Shanghai time
    assert f"让对方向公众号发送：绑定 {code}" in reply
    welcome = say(engine, "o_newcomer", f"绑定 {code}")
    assert welcome.startswith("欢迎加入，王小明！你的角色：审核员。")
    assert "发送「帮助」" in welcome
    assert "你已经是成员（李雷）了" in say(engine, team.li, f"绑定 {code}")


def test_staff_refusals_read_the_same_in_chat(engine: Engine, team: Team) -> None:
    assert say(engine, team.admin, f"成员 角色 {team.li} 厨师") == \
        "未知角色“厨师”，可选：创作、审核、分析、管理"
    assert say(engine, team.admin, "成员 删除 999").startswith("找不到成员 999")
    assert say(engine, team.admin, f"成员 删除 {team.admin}") == \
        "不能移除你自己。请让另一位管理员来操作。"
    code = confirmation_code(say(engine, team.admin, f"成员 删除 {team.li}"))
    say(engine, team.admin2, f"成员 角色 {team.admin} 审核")
    assert say(engine, team.admin, f"确认 {code}") == "这个操作需要管理员权限"
    assert say(engine, team.admin2, f"确认 {code}").startswith("确认码无效或已使用")


def test_removal_and_rules_read_as_before(engine: Engine, team: Team) -> None:
    open_ticket(engine, "o_f1", team.li)
    asked = say(engine, team.admin, f"成员 删除 {team.li}")
    assert f"确认要移除成员 {team.li} 李雷（审核员）吗？" in asked
    assert say(engine, team.admin, f"确认 {confirmation_code(asked)}") == (
        f"已移除成员 {team.li} 李雷。TA 的微信号已解绑，历史记录保留。\n"
        "TA 认领的 1 个未结工单已放回队列，等待其他人认领。")
    assert say(engine, team.admin, "规则").startswith("还没有自动回复规则")
    added = say(engine, team.admin, "规则 添加 地址 社区中心在幸福路 8 号")
    assert added == "已添加规则 1：粉丝发送“地址”时自动回复：\n社区中心在幸福路 8 号"
    _rule(engine, "活动", "周六上午九点", MatchType.CONTAINS, priority=2,
          active_from=time(9), active_until=time(18))
    listed = say(engine, team.admin, "rules")
    assert listed.startswith("自动回复规则（2，按匹配顺序）：")
    assert "2. 包含“活动” → 周六上午九点 · 优先级 2 · 09:00-18:00 · 命中 0 次" in listed
    assert "1. 完全匹配“地址” → 社区中心在幸福路 8 号 · 命中 0 次" in listed
    assert say(engine, team.admin, "规则 测试 值班").startswith(
        "“值班”现在（14:00）不会命中任何规则，会进入留言队列等人工回复。")
    asked = say(engine, team.admin, "规则 删除 1")
    assert "确认要删除规则 1（完全匹配“地址”）吗？" in asked
    assert say(engine, team.admin, f"确认 {confirmation_code(asked)}") == \
        "已删除规则 1（完全匹配“地址”）。"
