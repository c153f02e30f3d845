"""Team and rule commands: join by invite, manage members and auto-reply rules.

Removing a member and deleting a rule ask for 确认 CODE first; the code is
bound to a fingerprint of the row, so any change in between voids it.
"""

from __future__ import annotations

from collections.abc import Iterable

from handlers.commands.context import CommandContext, Handler, Result, say
from handlers.commands.grammar import Command, refused
from workflow import confirm_cases, rule_cases, staff_cases, staffing
from workflow.autoreply import MatchType, NewRule, Rule
from workflow.confirming import Confirmation
from workflow.errors import AlreadyMember, RuleNotFound
from workflow.roles import STAFF_ROLES, Action, Role
from workflow.staffing import fingerprint


def ordered(roles: Iterable[Role]) -> list[Role]:
    """Roles in the order people think of them: creator, reviewer, analyst, admin."""
    held = set(roles)
    return [r for r in STAFF_ROLES if r in held]


def rule_fingerprint(rule: Rule) -> int:
    """What the rule answers and with what: match type, pattern, reply text, articles."""
    return fingerprint(rule.id, rule.match_type.value, rule.pattern, rule.reply_text,
                       rule.articles)


# --- joining ---------------------------------------------------------------------------

def bind(ctx: CommandContext, cmd: Command) -> Result:
    """绑定 CODE. Also runs for a sender who is not staff yet (placeholder actor, id 0)."""
    if ctx.actor.id:
        raise AlreadyMember(ctx.actor.name)
    member = staff_cases.bind(ctx.uow(), str(cmd.args["code"]), ctx.openid,
                              fallback_name=ctx.openid, ctx=ctx.workflow())
    return say("team_welcome", member=member, roles=ordered(member.roles))


# --- members ---------------------------------------------------------------------------

def list_staff(ctx: CommandContext, cmd: Command) -> Result:
    return say("team_staff", members=staff_cases.members(ctx.uow()), ordered=ordered)


def invite(ctx: CommandContext, cmd: Command) -> Result:
    role = Role(str(cmd.args["role"]))
    name = str(cmd.args.get("name") or "").strip() or None
    created = staff_cases.invite(ctx.uow(), ctx.actor, frozenset({role}), name,
                                 ctx.workflow())
    return say("team_invite", code=created.code, role=role, invitee=created.name,
               expires=created.expires_at, now=ctx.local_now)


def set_roles(ctx: CommandContext, cmd: Command) -> Result:
    member_id = int(cmd.args["member"])
    new = staffing.parse_role_names(str(cmd.args["roles"]).split(" "))
    change = staff_cases.set_roles(ctx.uow(), ctx.actor, member_id, new, ctx.workflow())
    return say("team_roles", member_id=member_id, member_name=change.after.name,
               old=ordered(change.before.roles), new=ordered(change.after.roles))


def remove_staff(ctx: CommandContext, cmd: Command) -> Result:
    member, asked = confirm_cases.ask_removal(ctx.uow(), ctx.actor, int(cmd.args["member"]),
                                              ctx.workflow())
    return say("team_confirm", member=member, roles=ordered(member.roles), rule=None,
               code=asked.code)


def perform_remove_staff(ctx: CommandContext, asked: Confirmation) -> Result:
    """成员 删除, confirmed: only if the member is exactly as they were when asked."""
    removal = staff_cases.remove(ctx.uow(), ctx.actor, asked.subject_id, ctx.workflow(),
                                 expected=asked.subject_version)
    return say("team_removed", member=removal.member, released=removal.released_tickets)


# --- rules -----------------------------------------------------------------------------

def list_rules(ctx: CommandContext, cmd: Command) -> Result:
    return say("team_rules", rules=rule_cases.listed(ctx.uow()))


def rule_adder(match_type: MatchType) -> Handler:
    """规则 添加 / 包含 / 正则 / 菜单: a rule of one match type, with a text reply."""
    def add_rule(ctx: CommandContext, cmd: Command) -> Result:
        new = NewRule(match_type, str(cmd.args["pattern"]), reply_text=str(cmd.args["reply"]))
        rule, shadowed_by = rule_cases.add(ctx.uow(), ctx.actor, new, ctx.workflow(),
                                           ctx.local_now.time())
        no_menu = rule_cases.unclickable(match_type, ctx.capabilities)
        return say("team_rule_added", rule=rule, shadowed_by=shadowed_by,
                   no_menu=ctx.capabilities.kind.name if no_menu else "")
    return add_rule


def test_rule(ctx: CommandContext, cmd: Command) -> Result:
    """Which rule would answer now. Reads the rules fresh and counts no hit."""
    text = str(cmd.args["text"])
    found = rule_cases.test(ctx.uow(), ctx.local_now.time(), text=text)
    return say("team_rule_test", text=text, rule=found, clock=f"{ctx.local_now:%H:%M}")


def _rule(ctx: CommandContext, rule_id: int) -> Rule:
    try:
        return rule_cases.get(ctx.uow(), rule_id)
    except RuleNotFound:
        raise refused("rule_not_found", id=rule_id) from None


def remove_rule(ctx: CommandContext, cmd: Command) -> Result:
    rule = _rule(ctx, int(cmd.args["rule"]))
    asked = confirm_cases.ask(ctx.uow(), ctx.actor, Action.DELETE_RULE.value, rule.id,
                              rule_fingerprint(rule), ctx.workflow())
    return say("team_confirm", member=None, roles=[], rule=rule, code=asked.code)


def perform_delete_rule(ctx: CommandContext, pending: Confirmation) -> Result:
    """规则 删除, confirmed: only if the rule still matches and answers as it did."""
    # 确认 is open to every member: the asker may have lost admin since.
    staffing.authorise(ctx.actor, Action.DELETE_RULE)
    try:
        rule = rule_cases.get(ctx.uow(), pending.subject_id)
    except RuleNotFound:
        raise refused("rule_gone", id=pending.subject_id) from None
    if rule_fingerprint(rule) != pending.subject_version:
        raise refused("rule_changed", id=rule.id)
    rule_cases.remove(ctx.uow(), ctx.actor, rule.id, ctx.workflow())
    return say("team_rule_deleted", rule=rule)
