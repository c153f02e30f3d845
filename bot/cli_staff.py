"""``wxops staff``: members, roles and invite codes (the use cases of workflow.staff_cases)."""

from __future__ import annotations

from datetime import timedelta

import click

from bot.cli_text import CliBadParameter, echo, helptext, say
from bot.cli_types import MEMBER
from bot.columns import pad
from bot.timefmt import local, utcnow
from bot.wiring import App
from workflow import staff_cases
from workflow.errors import MemberNotFound
from workflow.model import Context
from workflow.roles import CONSOLE_ACTOR
from workflow.staffing import Member, parse_role_names, role_list


@click.group()
def staff() -> None:
    """成员管理 (staff members and invites)."""


def _ctx(command: str) -> Context:
    return Context(now=utcnow(), command=command)


@staff.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, help=helptext("role"))
@click.option("--openid", default=None, help=helptext("openid"))
@click.pass_obj
def staff_add(app: App, name: str, roles: tuple[str, ...], openid: str | None) -> None:
    """添加成员 (add a staff member)."""
    if openid is not None and (not openid or len(openid) > 64 or
                               any(c.isspace() or not c.isprintable() for c in openid)):
        raise CliBadParameter("bad_openid", param_hint="--openid")
    member = staff_cases.add(app.uow(), CONSOLE_ACTOR, name, parse_role_names(roles),
                             _ctx(f"wxops staff add {name}"), openid)
    echo("staff", "added", member=member, roles=role_list(member.roles))


@staff.command("list")
@click.option("--all", "include_inactive", is_flag=True, help=helptext("staff_all"))
@click.pass_obj
def staff_list(app: App, include_inactive: bool) -> None:
    """列出成员 (list staff)."""
    members = staff_cases.members(app.uow(), include_inactive)
    if not members:
        echo("staff", "empty")
    for m in members:
        click.echo(_line(m))


def _line(m: Member) -> str:
    return say("staff", "row", member=m, name=pad(m.name, 12),
               roles=pad(role_list(m.roles), 24))


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
    echo("staff", "removed", member=member, released=removal.released_tickets)


@staff.command("invite")
@click.option("--role", "roles", multiple=True, required=True, help=helptext("role"))
@click.option("--name", default=None, help=helptext("member_name"))
@click.option("--hours", default=72, show_default=True, type=click.IntRange(1, 24 * 30),
              help=helptext("invite_hours"))
@click.pass_obj
def staff_invite(app: App, roles: tuple[str, ...], name: str | None, hours: int) -> None:
    """生成一次性邀请码；对方向公众号发送「绑定 邀请码」即可加入 (one-time invite code)."""
    invite = staff_cases.invite(app.uow(), CONSOLE_ACTOR, parse_role_names(roles), name,
                                _ctx("wxops staff invite"), ttl=timedelta(hours=hours))
    expires = local(invite.expires_at, app.settings.tz)
    click.echo(invite.code)
    echo("staff", "invited", code=invite.code, expires=expires, err=True)


def register(cli: click.Group) -> None:
    """``staff`` joins the CLI; safe to call again."""
    if "staff" not in cli.commands:
        cli.add_command(staff)
