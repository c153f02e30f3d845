"""``wxops worker`` and ``wxops outbox``: sending, and inspecting what was sent."""

from __future__ import annotations

import json
import logging

import click

from bot.cli import warn_about_environment
from bot.columns import pad
from bot.startup import require_current_schema
from bot.timefmt import local
from bot.wiring import App
from storage import outbox
from storage.db import write_lock
from storage.uow import utcnow
from workflow.errors import InvalidInput

STATUS_LABELS = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "held": "待转交",
                 "refused": "无法送达", "dead": "失败"}


@click.command("worker")
@click.option("--once", is_flag=True, help="只发送一轮到期的消息后退出")
@click.option("--name", default="", help="工作进程名（默认 主机名:进程号）")
@click.pass_obj
def worker(app: App, once: bool, name: str) -> None:
    """发送待发消息并运行定时任务；数据库须已迁移到最新 (the outbox sender and the scheduler)."""
    warn_about_environment()
    require_current_schema(app.engine)
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # one line a second otherwise
    from bot import worker as worker_module

    if once:
        click.echo(f"处理了 {worker_module.once(app, name)} 条")
        return
    worker_module.run(app, name)


@click.group("outbox")
def outbox_group() -> None:
    """待发消息 (the outbox)."""


@outbox_group.command("list")
@click.option("--status", type=click.Choice(sorted(STATUS_LABELS)), default=None)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.pass_obj
def outbox_list(app: App, status: str | None, limit: int) -> None:
    """列出消息，最新的在前 (newest first)."""
    with app.engine.connect() as conn:
        rows = outbox.listing(conn, status, limit)
        totals = outbox.counts(conn)
    click.echo("  ".join(f"{STATUS_LABELS.get(k, k)} {v}" for k, v in sorted(totals.items()))
               or "没有消息")
    for r in rows:
        click.echo(f"{r.id:>6}  {pad(STATUS_LABELS.get(r.status, r.status), 8)} {r.kind:<16} "
                   f"尝试 {r.attempts}  {local(r.created_at, app.settings.tz)}  {r.last_error}")


@outbox_group.command("dead")
@click.pass_context
def outbox_dead(ctx: click.Context) -> None:
    """列出发送失败的消息 (dead rows)."""
    ctx.invoke(outbox_list, status="dead", limit=200)


@outbox_group.command("show")
@click.argument("row_id", type=int)
@click.pass_obj
def outbox_show(app: App, row_id: int) -> None:
    """查看一条消息的全部内容."""
    with app.engine.connect() as conn:
        row = outbox.get(conn, row_id)
    if row is None:
        raise InvalidInput(f"找不到消息 {row_id}")
    tz = app.settings.tz
    click.echo(f"消息 {row.id}  {row.kind}  {STATUS_LABELS.get(row.status, row.status)}  "
               f"尝试 {row.attempts} 次")
    click.echo(f"幂等键：{row.idempotency_key}")
    click.echo(f"创建 {local(row.created_at, tz)}  下次 {local(row.next_attempt_at, tz)}  "
               f"完成 {local(row.sent_at, tz)}")
    # What the platform said, when it took the call: the proof that it arrived,
    # whatever happened to the worker afterwards (outbox retry would call it again).
    if row.delivered_at is not None:
        click.echo(f"微信已受理 {local(row.delivered_at, tz)}：" +
                   json.dumps(row.result or {}, ensure_ascii=False))
    if row.last_error:
        click.echo(f"原因：{row.last_error}")
    click.echo(json.dumps(row.payload, ensure_ascii=False, indent=2))


@outbox_group.command("retry")
@click.argument("row_id", type=int)
@click.option("--force", is_flag=True,
              help="微信已受理过这条消息时也重发（对方会再收到一次）")
@click.pass_obj
def outbox_retry(app: App, row_id: int, force: bool) -> None:
    """重新发送一条失败、无法送达或待转交的消息."""
    with write_lock(app.engine), app.engine.begin() as conn:
        row = outbox.get(conn, row_id)
        if row is not None and row.delivered_at is not None and not force:
            taken = local(row.delivered_at, app.settings.tz)
            raise InvalidInput(f"消息 {row_id} 微信已受理过（{taken}），重发对方会再收到一次；"
                               "确需重发请加 --force")
        if not outbox.retry(conn, row_id, utcnow()):
            raise InvalidInput(f"消息 {row_id} 不存在，或不是失败/无法送达/待转交状态")
    click.echo(f"消息 {row_id} 已重新排队")


def register(cli: click.Group) -> None:
    for command in (worker, outbox_group):
        if command.name not in cli.commands:
            cli.add_command(command)
