"""Team and rule commands: join by invite, manage members and auto-reply rules.

Removing a member and deleting a rule ask for 确认 CODE first; the code is
bound to a fingerprint of the row, so any change in between voids it.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Iterable

from sqlalchemy.orm import Session

from handlers.commands.context import CommandContext, Handler, Result, say
from handlers.commands.grammar import Command, CommandError, refused
from handlers.when import format_when
from storage import confirmations, staff
from storage.models import Staff
from storage.repositories import format_roles, parse_roles
from workflow import rule_cases
from workflow.autoreply import MatchType, NewRule, Rule
from workflow.errors import InvalidInput, RuleNotFound
from workflow.roles import STAFF_ROLES, Actor, Role

MAX_NAME = 64  # Staff.name


def ordered(roles: Iterable[Role]) -> list[Role]:
    """Roles in the order people think of them: creator, reviewer, analyst, admin."""
    held = set(roles)
    return [r for r in STAFF_ROLES if r in held]


def fingerprint(*parts: object) -> int:
    """A stable 31-bit number (fits the Integer column) that changes when any part does.

    ``hash()`` is salted per process, and the code is confirmed in another push,
    possibly by another worker: hence CRC-32 of the parts' text.
    """
    text = "\x1f".join(str(p) for p in parts)
    return zlib.crc32(text.encode()) & 0x7FFFFFFF


def member_fingerprint(row: Staff) -> int:
    """Name, roles, active and openid: what a removal decision is based on."""
    return fingerprint(row.id, row.name, row.roles, row.active, row.openid)


def rule_fingerprint(rule: Rule) -> int:
    """What the rule answers and with what: match type, pattern, reply text, articles."""
    return fingerprint(rule.id, rule.match_type.value, rule.pattern, rule.reply_text,
                       rule.articles)


def _require_admin(ctx: CommandContext) -> None:
    # 确认 is open to every member: the asker may have lost admin since asking.
    if not ctx.actor.is_admin:
        raise refused("admin_only")


# --- joining ---------------------------------------------------------------------------

def bind(ctx: CommandContext, cmd: Command) -> Result:
    """绑定 CODE. Also runs for a sender who is not staff yet (placeholder actor, id 0)."""
    if ctx.actor.id:
        raise refused("already_member", name=ctx.actor.name)
    try:
        with ctx.orm() as session:
            member = staff.redeem_invite(session, str(cmd.args["code"]), ctx.openid, ctx.now,
                                         fallback_name=ctx.openid)
    except InvalidInput as exc:
        raise CommandError(exc.message) from None
    joined = dataclasses.replace(ctx, actor=Actor(member.id, member.name, member.roles))
    joined.audit(f"staff:{member.id}", "bind", format_roles(member.roles))
    return say("team_welcome", member=member, roles=ordered(member.roles))


# --- members ---------------------------------------------------------------------------

def list_staff(ctx: CommandContext, cmd: Command) -> Result:
    with ctx.orm() as session:
        members = staff.list_staff(session)
    return say("team_staff", members=members, ordered=ordered)


def invite(ctx: CommandContext, cmd: Command) -> Result:
    role = Role(str(cmd.args["role"]))
    name = str(cmd.args.get("name") or "").strip() or None
    if name and len(name) > MAX_NAME:
        raise refused("name_too_long", limit=MAX_NAME)
    with ctx.orm() as session:
        created = staff.create_invite(session, frozenset({role}), ctx.now, name=name,
                                      created_by=ctx.actor.id)
        code, expires_at, invite_id = created.code, created.expires_at, created.id
    ctx.audit(f"invite:{invite_id}", "invite", role.value, comment=name or "")
    return say("team_invite", code=code, role=role, invitee=name,
               expires=format_when(expires_at, ctx.local_now))


def _active_member(session: Session, member_id: int) -> Staff:
    row = session.get(Staff, member_id)
    if row is None or not row.active:
        raise refused("member_not_found", id=member_id)
    return row


def set_roles(ctx: CommandContext, cmd: Command) -> Result:
    member_id = int(cmd.args["member"])
    new = staff.parse_role_names(str(cmd.args["roles"]).split(" "))
    if member_id == ctx.actor.id and Role.ADMIN not in new:
        raise refused("own_admin_role")
    with ctx.orm() as session:
        row = _active_member(session, member_id)
        old = parse_roles(row.roles)
        row.roles = format_roles(new)
        name = row.name
    ctx.audit(f"staff:{member_id}", "set_roles", f"{format_roles(old)} -> {format_roles(new)}")
    return say("team_roles", member_id=member_id, member_name=name, old=ordered(old),
               new=ordered(new))


def remove_staff(ctx: CommandContext, cmd: Command) -> Result:
    member_id = int(cmd.args["member"])
    if member_id == ctx.actor.id:
        raise refused("remove_self")
    with ctx.orm() as session:
        row = _active_member(session, member_id)
        member = staff.StaffView(row.id, row.name, row.openid, parse_roles(row.roles), True)
        version = member_fingerprint(row)
    code = confirmations.create(ctx.conn, ctx.actor.id, "remove_staff", member_id, version,
                                ctx.text, ctx.now)
    return say("team_confirm", member=member, roles=ordered(member.roles), rule=None, code=code)


def perform_remove_staff(ctx: CommandContext, pending: confirmations.Pending) -> Result:
    """成员 删除, confirmed: only if the member is exactly as they were when asked."""
    _require_admin(ctx)
    with ctx.orm() as session:
        row = session.get(Staff, pending.subject_id)
        if row is None or not row.active or member_fingerprint(row) != pending.subject_version:
            raise refused("member_changed")
        removal = staff.deactivate_staff(session, row.id)
    removed = removal.member
    ctx.audit(f"staff:{removed.id}", "remove_staff", "deactivated", comment=removed.name)
    return say("team_removed", member=removed, released=removal.released_tickets)


# --- rules -----------------------------------------------------------------------------

def list_rules(ctx: CommandContext, cmd: Command) -> Result:
    return say("team_rules", rules=rule_cases.listed(ctx.uow()))


def rule_adder(match_type: MatchType) -> Handler:
    """规则 添加 / 包含 / 正则 / 菜单: a rule of one match type, with a text reply."""
    def add_rule(ctx: CommandContext, cmd: Command) -> Result:
        new = NewRule(match_type, str(cmd.args["pattern"]), reply_text=str(cmd.args["reply"]))
        rule, shadowed_by = rule_cases.add(ctx.uow(), ctx.actor, new, ctx.workflow(),
                                           ctx.local_now.time())
        return say("team_rule_added", rule=rule, shadowed_by=shadowed_by)
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
    code = confirmations.create(ctx.conn, ctx.actor.id, "delete_rule", rule.id,
                                rule_fingerprint(rule), ctx.text, ctx.now)
    return say("team_confirm", member=None, roles=[], rule=rule, code=code)


def perform_delete_rule(ctx: CommandContext, pending: confirmations.Pending) -> Result:
    """规则 删除, confirmed: only if the rule still matches and answers as it did."""
    _require_admin(ctx)
    try:
        rule = rule_cases.get(ctx.uow(), pending.subject_id)
    except RuleNotFound:
        raise refused("rule_gone", id=pending.subject_id) from None
    if rule_fingerprint(rule) != pending.subject_version:
        raise refused("rule_changed", id=rule.id)
    rule_cases.remove(ctx.uow(), ctx.actor, rule.id, ctx.workflow())
    return say("team_rule_deleted", rule=rule)
