"""``wxops staff``: members, roles and invite codes (the use cases of workflow.staff_cases)."""

from __future__ import annotations

from datetime import timedelta

import click

from bot.cli_types import MEMBER
from bot.columns import pad
from bot.timefmt import local, utcnow
from bot.wiring import App
from workflow import staff_cases
from workflow.errors import MemberNotFound
from workflow.model import Context
from workflow.roles import CONSOLE_ACTOR
from workflow.staffing import Member, parse_role_names, role_list

ROLE_HELP = "角色：creator(创作) reviewer(审核) analyst(分析) admin(管理)，可重复"


@click.group()
def staff() -> None:
    """成员管理 (staff members and invites)."""


def _ctx(command: str) -> Context:
    return Context(now=utcnow(), command=command)


@staff.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, help=ROLE_HELP)
@click.option("--openid", default=None, help="已知的微信 openid（通常用邀请码绑定）")
@click.pass_obj
def staff_add(app: App, name: str, roles: tuple[str, ...], openid: str | None) -> None:
    """添加成员 (add a staff member)."""
    if openid is not None and (not openid or len(openid) > 64 or
                               any(c.isspace() or not c.isprintable() for c in openid)):
        raise click.BadParameter("openid 应为 1-64 个字符，不含空白（微信的 openid 形如 "
                                 "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o）", param_hint="--openid")
    member = staff_cases.add(app.uow(), CONSOLE_ACTOR, name, parse_role_names(roles),
                             _ctx(f"wxops staff add {name}"), openid)
    click.echo(f"已添加成员 {member.id} {member.name}（{role_list(member.roles)}）")


@staff.command("list")
@click.option("--all", "include_inactive", is_flag=True, help="包括已移除的成员")
@click.pass_obj
def staff_list(app: App, include_inactive: bool) -> None:
    """列出成员 (list staff)."""
    members = staff_cases.members(app.uow(), include_inactive)
    if not members:
        click.echo("还没有成员。用 `wxops staff invite --role admin` 生成邀请码。")
    for m in members:
        click.echo(_line(m))


def _line(m: Member) -> str:
    state = "" if m.active else "  [已移除]"
    openid = m.openid or "(未绑定微信)"
    return f"{m.id:>4}  {pad(m.name, 12)} {pad(role_list(m.roles), 24)} {openid}{state}"


@staff.command("remove")
@click.argument("ref", type=MEMBER)
@click.pass_obj
def staff_remove(app: App, ref: str) -> None:
    """移除成员（按编号、名字或 openid）(deactivate a member)."""
    member = staff_cases.find(app.uow(), ref)
    if member is None:
        raise MemberNotFound(ref)
    removal = staff_cases.remove(app.uow(), CONSOLE_ACTOR, member.id,
                                 _ctx(f"wxops staff remove {ref}"))
    click.echo(f"已移除成员 {member.id} {member.name}")
    if removal.released_tickets:
        click.echo(f"TA 认领的 {removal.released_tickets} 个未结工单已放回队列，等待其他人认领。")


@staff.command("invite")
@click.option("--role", "roles", multiple=True, required=True, help=ROLE_HELP)
@click.option("--name", default=None, help="成员名字（不填则用微信昵称或 openid）")
@click.option("--hours", default=72, show_default=True, type=click.IntRange(1, 24 * 30),
              help="邀请码有效小时数")
@click.pass_obj
def staff_invite(app: App, roles: tuple[str, ...], name: str | None, hours: int) -> None:
    """生成一次性邀请码；对方向公众号发送「绑定 邀请码」即可加入 (one-time invite code)."""
    invite = staff_cases.invite(app.uow(), CONSOLE_ACTOR, parse_role_names(roles), name,
                                _ctx("wxops staff invite"), ttl=timedelta(hours=hours))
    expires = local(invite.expires_at, app.settings.tz)
    click.echo(invite.code)
    click.echo(f"请让对方向公众号发送：绑定 {invite.code}（{expires} 前有效，仅限一次）", err=True)
