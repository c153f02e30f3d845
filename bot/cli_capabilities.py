"""``wxops capabilities``: what the account may call, by the capability table for
its kind (the settings) and what the platform refused (48001) although the table
grants it; ``reset`` forgets a capability learnt missing once the account has it."""

from __future__ import annotations

import click

from bot.cli import warn_about_environment
from bot.cli_text import CliBadParameter, echo
from bot.startup import require_current_schema
from bot.timefmt import local
from bot.wiring import App
from workflow.capabilities import Capability, granted


def _capability(ctx: click.Context, param: click.Parameter, value: str) -> Capability:
    try:
        return Capability(value)
    except ValueError:
        raise CliBadParameter("unknown_capability", param=param, ctx=ctx, value=value,
                              known=", ".join(c.value for c in Capability)) from None


@click.group("capabilities", invoke_without_command=True)
@click.pass_context
def capabilities_group(ctx: click.Context) -> None:
    """公众号接口权限：按账号类型的权限表，以及微信拒绝过（48001）的
    (the account's capabilities: the table for its kind, less what the platform refused)."""
    if ctx.invoked_subcommand is not None:
        return
    app: App = ctx.obj
    warn_about_environment()
    require_current_schema(app.engine)
    kind, tz = app.settings.kind, app.settings.tz
    missing = app.learnt_capabilities().missing()
    echo("capabilities", "kind", type=kind.type.value, verified=kind.verified)
    for cap in Capability:
        how = missing.get(cap)
        echo("capabilities", "line", capability=cap.value, granted=granted(kind, cap),
             missing=how is not None, since=local(how.since, tz) if how else "",
             errcode=how.errcode if how else None, call=how.call if how else "")


@capabilities_group.command("reset")
@click.argument("capability", callback=_capability)
@click.pass_obj
def capabilities_reset(app: App, capability: Capability) -> None:
    """忘记一项被微信拒绝过的权限，公众号已获得它时使用 (forget a capability learnt missing)."""
    warn_about_environment()
    require_current_schema(app.engine)
    forgotten = app.learnt_capabilities().forget(capability)
    echo("capabilities", "reset", capability=capability.value, forgotten=forgotten)


def register(cli: click.Group) -> None:
    if capabilities_group.name not in cli.commands:
        cli.add_command(capabilities_group)
