"""``wxops inbound``: pushes whose handling failed, and handling them again."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from bot.cli_text import CliError, CliUsageError, echo, helptext, say
from bot.cli_types import ROW_ID
from bot.seams import LoggedPush
from bot.startup import require_current_schema
from bot.timefmt import local
from bot.wiring import App
from bot.wiring import inbound_log as inbound

if TYPE_CHECKING:  # the handlers load only for a replay
    from bot.inbound_replay import Replayer


@click.group("inbound")
def inbound_group() -> None:
    """收到的消息 (pushes from WeChat)."""


@inbound_group.command("errors")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True,
              help=helptext("inbound_limit"))
@click.pass_obj
def inbound_errors(app: App, limit: int) -> None:
    """列出处理失败的消息，最新的在前 (pushes whose handling failed)."""
    require_current_schema(app.engine)
    with app.engine.connect() as conn:
        rows = inbound.failures(conn, limit)
        total, retrying = inbound.failed_counts(conn)
    echo("inbound", "failed", total=total, retrying=retrying)
    for row in rows:
        echo("inbound", "row", row=row, received=local(row.received_at, app.settings.tz),
             kind=_kind(row), next=_next(app, row),
             error=row.error.splitlines()[0] if row.error else "")


def _kind(row: LoggedPush) -> str:
    return f"event/{row.event}" if row.event else row.msg_type


def _next(app: App, row: LoggedPush) -> str:
    at = local(row.replay_at, app.settings.tz, "%H:%M:%S") if row.replay_at else None
    return say("inbound", "next", at=at)


@inbound_group.command("show")
@click.argument("inbound_id", type=ROW_ID)
@click.pass_obj
def inbound_show(app: App, inbound_id: int) -> None:
    """查看一条收到的消息：内容、回复与失败原因."""
    require_current_schema(app.engine)
    with app.engine.connect() as conn:
        row = inbound.get(conn, inbound_id)
        if row is None:
            raise CliError("inbound_not_found", inbound_id=inbound_id)
        tz = app.settings.tz
        echo("inbound", "shown", row=row, kind=_kind(row), received=local(row.received_at, tz),
             handled=local(row.handled_at, tz), next=_next(app, row))
        click.echo(json.dumps(row.payload, ensure_ascii=False, indent=2))


@inbound_group.command("replay")
@click.argument("inbound_id", type=ROW_ID, required=False)
@click.option("--all", "every", is_flag=True, help=helptext("replay_all"))
@click.pass_obj
def inbound_replay(app: App, inbound_id: int | None, every: bool) -> None:
    """修复问题后重新处理失败的消息；同一条只会被处理一次 (handle failed pushes again)."""
    if (inbound_id is None) == (not every):
        raise CliUsageError("replay_one_or_all")
    require_current_schema(app.engine)
    from bot.inbound_replay import Replayer

    replayer = Replayer(app)
    if inbound_id is not None:
        _replay_one(replayer, inbound_id)
        return
    with app.engine.connect() as conn:
        ids = [row.id for row in inbound.failures(conn, 10_000)]
    outcomes = [replayer.replay(i).outcome for i in reversed(ids)]  # oldest first
    echo("inbound", "replayed_all", count=len(ids), handled=outcomes.count("handled"),
         failed=outcomes.count("failed"))
    if "failed" in outcomes:
        raise click.exceptions.Exit(1)


def _replay_one(replayer: Replayer, inbound_id: int) -> None:
    done = replayer.replay(inbound_id)
    if done.outcome == "not_failed":
        raise CliError("replay_not_failed", inbound_id=inbound_id)
    if done.outcome == "failed":
        raise CliError("replay_failed", inbound_id=inbound_id, error=done.text)
    echo("inbound", "replayed", inbound_id=inbound_id, reply=done.text)


def register(cli: click.Group) -> None:
    if inbound_group.name not in cli.commands:
        cli.add_command(inbound_group)
