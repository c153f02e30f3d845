"""``wxops inbound``: pushes whose handling failed, and handling them again."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from bot.cli_types import ROW_ID
from bot.seams import LoggedPush
from bot.startup import require_current_schema
from bot.timefmt import local
from bot.wiring import App
from bot.wiring import inbound_log as inbound
from workflow.errors import InvalidInput

if TYPE_CHECKING:  # the handlers load only for a replay
    from bot.inbound_replay import Replayer


@click.group("inbound")
def inbound_group() -> None:
    """收到的消息 (pushes from WeChat)."""


@inbound_group.command("errors")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True,
              help="最多列出几条")
@click.pass_obj
def inbound_errors(app: App, limit: int) -> None:
    """列出处理失败的消息，最新的在前 (pushes whose handling failed)."""
    require_current_schema(app.engine)
    with app.engine.connect() as conn:
        rows = inbound.failures(conn, limit)
        total, retrying = inbound.failed_counts(conn)
    click.echo(f"处理失败 {total} 条，其中 {retrying} 条将由 worker 自动重试")
    for row in rows:
        click.echo(f"{row.id:>8}  {local(row.received_at, app.settings.tz)}  "
                   f"{row.from_openid}  {_kind(row)}  失败 {row.failures} 次  "
                   f"{_next(app, row)}  {row.error.splitlines()[0] if row.error else ''}")


def _kind(row: LoggedPush) -> str:
    return f"event/{row.event}" if row.event else row.msg_type


def _next(app: App, row: LoggedPush) -> str:
    if row.replay_at is None:
        return "待人工重放"
    return f"{local(row.replay_at, app.settings.tz, '%H:%M:%S')} 自动重试"


@inbound_group.command("show")
@click.argument("inbound_id", type=ROW_ID)
@click.pass_obj
def inbound_show(app: App, inbound_id: int) -> None:
    """查看一条收到的消息：内容、回复与失败原因."""
    require_current_schema(app.engine)
    with app.engine.connect() as conn:
        row = inbound.get(conn, inbound_id)
        if row is None:
            raise InvalidInput(f"找不到收到的消息 {inbound_id}")
        tz = app.settings.tz
        click.echo(f"消息 {row.id}  {_kind(row)}  来自 {row.from_openid}  "
                   f"收到 {local(row.received_at, tz)}  "
                   f"{'已认证（安全模式）' if row.authenticated else '未认证'}")
        if row.error:
            click.echo(f"处理失败 {row.failures} 次：{row.error}")
            click.echo(f"下一步：{_next(app, row)}（wxops inbound replay {row.id}）")
        else:
            click.echo(f"已处理 {local(row.handled_at, tz)}；回复：{row.reply or 'success'}")
        click.echo(json.dumps(row.payload, ensure_ascii=False, indent=2))


@inbound_group.command("replay")
@click.argument("inbound_id", type=ROW_ID, required=False)
@click.option("--all", "every", is_flag=True, help="重放全部处理失败的消息")
@click.pass_obj
def inbound_replay(app: App, inbound_id: int | None, every: bool) -> None:
    """修复问题后重新处理失败的消息；同一条只会被处理一次 (handle failed pushes again)."""
    if (inbound_id is None) == (not every):
        raise click.UsageError("请给出消息编号，或用 --all 重放全部")
    require_current_schema(app.engine)
    from bot.inbound_replay import Replayer

    replayer = Replayer(app)
    if inbound_id is not None:
        _replay_one(replayer, inbound_id)
        return
    with app.engine.connect() as conn:
        ids = [row.id for row in inbound.failures(conn, 10_000)]
    outcomes = [replayer.replay(i).outcome for i in reversed(ids)]  # oldest first
    click.echo(f"重放 {len(ids)} 条：成功 {outcomes.count('handled')} 条，"
               f"仍然失败 {outcomes.count('failed')} 条")
    if "failed" in outcomes:
        raise click.exceptions.Exit(1)


def _replay_one(replayer: Replayer, inbound_id: int) -> None:
    done = replayer.replay(inbound_id)
    if done.outcome == "not_failed":
        raise InvalidInput(f"消息 {inbound_id} 不存在，或没有处理失败（不需要重放）")
    if done.outcome == "failed":
        raise InvalidInput(f"消息 {inbound_id} 仍然处理失败：{done.text}")
    click.echo(f"消息 {inbound_id} 已重新处理" + (f"，回复：{done.text}" if done.text else ""))


def register(cli: click.Group) -> None:
    if inbound_group.name not in cli.commands:
        cli.add_command(inbound_group)
