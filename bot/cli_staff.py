"""``wxops staff``: members, roles and invite codes."""

from __future__ import annotations

import click

from bot.cli_types import MEMBER
from bot.columns import pad
from bot.timefmt import local
from bot.wiring import App
from storage import staff as staff_store
from storage.uow import utcnow
from workflow.errors import InvalidInput

ROLE_HELP = "角色：creator(创作) reviewer(审核) analyst(分析) admin(管理)，可重复"


@click.group()
def staff() -> None:
    """成员管理 (staff members and invites)."""


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
    with app.uow() as uow:
        member = staff_store.add_staff(uow.session, name, staff_store.parse_role_names(roles),
                                       utcnow(), openid)
        uow.commit()
    click.echo(f"已添加成员 {member.id} {member.name}（{_roles(member)}）")


@staff.command("list")
@click.option("--all", "include_inactive", is_flag=True, help="包括已移除的成员")
@click.pass_obj
def staff_list(app: App, include_inactive: bool) -> None:
    """列出成员 (list staff)."""
    with app.uow() as uow:
        members = staff_store.list_staff(uow.session, include_inactive)
    if not members:
        click.echo("还没有成员。用 `wxops staff invite --role admin` 生成邀请码。")
    for m in members:
        state = "" if m.active else "  [已移除]"
        openid = m.openid or "(未绑定微信)"
        click.echo(f"{m.id:>4}  {pad(m.name, 12)} {pad(_roles(m), 24)} {openid}{state}")


@staff.command("remove")
@click.argument("ref", type=MEMBER)
@click.pass_obj
def staff_remove(app: App, ref: str) -> None:
    """移除成员（按编号、名字或 openid）(deactivate a member)."""
    with app.uow() as uow:
        member = staff_store.find_staff(uow.session, ref)
        if member is None:
            raise InvalidInput(f"找不到成员 {ref}")
        removal = staff_store.deactivate_staff(uow.session, member.id)
        uow.commit()
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
    from datetime import timedelta

    with app.uow() as uow:
        invite = staff_store.create_invite(uow.session, staff_store.parse_role_names(roles),
                                           utcnow(), name=name, ttl=timedelta(hours=hours))
        uow.commit()
    expires = local(invite.expires_at, app.settings.tz)
    click.echo(invite.code)
    click.echo(f"请让对方向公众号发送：绑定 {invite.code}（{expires} 前有效，仅限一次）", err=True)


def _roles(member: staff_store.StaffView) -> str:
    return ",".join(sorted(r.value for r in member.roles))
