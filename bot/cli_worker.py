"""``wxops worker`` and ``wxops outbox``: sending, and inspecting what was sent."""

from __future__ import annotations

import json
import logging
import os
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import click

from bot import logs
from bot.cli import warn_about_environment
from bot.cli_text import CliBadParameter, CliError, CliUsageError, echo, helptext, say
from bot.cli_types import ROW_ID
from bot.columns import pad
from bot.deliveries import ask_first
from bot.metrics import MULTIPROC_ENV
from bot.seams import OutboxRow
from bot.startup import require_current_schema
from bot.timefmt import local, utcnow
from bot.wechat_errors import NotCalled
from bot.wiring import App, database
from bot.wiring import outbox_log as outbox
from handlers.texts import outbox_note, phrase
from workflow.capabilities import Capabilities

STATUS_LABELS = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "held": "待转交",
                 "refused": "无法送达", "dead": "失败", "cancelled": "已取消"}
#: A dead row that may have arrived: a person checks before it is resent.
IN_DOUBT_LABEL = "待核实"


def _label(row: OutboxRow) -> str:
    return IN_DOUBT_LABEL if row.status == "dead" and row.in_doubt else \
        STATUS_LABELS.get(row.status, row.status)


@click.command("worker")
@click.option("--once", is_flag=True, help=helptext("once"))
@click.option("--name", default="", help=helptext("worker_name"))
@click.pass_obj
def worker(app: App, once: bool, name: str) -> None:
    """发送待发消息并运行定时任务；数据库须已迁移到最新 (the outbox sender and the scheduler)."""
    warn_about_environment()
    require_current_schema(app.engine)
    logs.configure(app.settings.log_format)
    # The worker counts for itself (its own /metrics, WXOPS_METRICS_PORT): never into
    # a web server's directory, which that server empties when it starts.
    os.environ.pop(MULTIPROC_ENV, None)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # one line a second otherwise
    from bot import worker as worker_module

    if once:
        echo("outbox", "handled", count=worker_module.once(app, name))
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
    click.echo(_summary(totals, status))
    for r in rows:
        note = outbox_note(r.last_error)
        echo("outbox", "row", row=r, label=pad(_label(r), 8), note=note,
             created=local(r.created_at, app.settings.tz))


def _summary(totals: dict[str, int], status: str | None) -> str:
    """The count of each status, or of the one listed: `outbox dead` that said how
    many rows were sent read as if those had failed too."""
    shown = sorted(totals.items()) if status is None else [(status, totals.get(status, 0))]
    return say("outbox", "summary", counts=[(STATUS_LABELS.get(k, k), v) for k, v in shown])


@outbox_group.command("dead")
@click.pass_context
def outbox_dead(ctx: click.Context) -> None:
    """列出发送失败的消息 (dead rows)."""
    ctx.invoke(outbox_list, status="dead", limit=200)


@outbox_group.command("show")
@click.argument("row_id", type=ROW_ID)
@click.pass_obj
def outbox_show(app: App, row_id: int) -> None:
    """查看一条消息的全部内容."""
    with app.engine.connect() as conn:
        row = outbox.get(conn, row_id)
    if row is None:
        raise CliError("outbox_not_found", row_id=row_id)
    tz = app.settings.tz
    echo("outbox", "shown", row=row, label=_label(row), created=local(row.created_at, tz),
         next=local(row.next_attempt_at, tz), sent=local(row.sent_at, tz))
    # What the platform said, when it took the call: the proof that it arrived,
    # whatever happened to the worker afterwards (outbox retry would call it again).
    if row.delivered_at is not None:
        echo("outbox", "delivered", at=local(row.delivered_at, tz),
             result=json.dumps(row.result or {}, ensure_ascii=False))
    if row.last_error:
        echo("outbox", "reason", note=outbox_note(row.last_error))
    if (case := _case(row, tz)):
        click.echo(case)
    click.echo(json.dumps(row.payload, ensure_ascii=False, indent=2))


def _case(row: OutboxRow, tz: ZoneInfo) -> str:
    """Which case a row that did not go is, said plainly: delivered after all, in
    doubt (and how to check), or not delivered ("" for a row still on its way
    or sent)."""
    if row.delivered_at is not None and row.status != "sent":
        return phrase("outbox", "case_delivered", at=local(row.delivered_at, tz))
    if row.status == "dead" and row.in_doubt:
        return phrase("outbox", "case_in_doubt", kind=row.kind, row_id=row.id)
    if row.status == "held":  # a retry would only hold it again
        return phrase("outbox", "case_held")
    if row.status in outbox.RETRYABLE:
        return phrase("outbox", "case_not_delivered", row_id=row.id)
    return ""


_DURATION = re.compile(r"(?P<n>[0-9]+)\s*(?P<unit>s|秒|m|min|分钟?|h|小时|d|天)")
_SECONDS = {"s": 1, "秒": 1, "m": 60, "min": 60, "分": 60, "分钟": 60, "h": 3600, "小时": 3600,
            "d": 86400, "天": 86400}


def _duration(_ctx: click.Context, param: click.Parameter, value: str | None
              ) -> timedelta | None:
    """30s, 10m, 2h, 1d (or 秒/分钟/小时/天)."""
    if value is None:
        return None
    found = _DURATION.fullmatch(value.strip().lower())
    if not found or int(found["n"]) == 0:
        raise CliBadParameter("bad_duration", param=param, text=value)
    return timedelta(seconds=int(found["n"]) * _SECONDS[found["unit"]])


@outbox_group.command("retry")
@click.argument("row_id", type=ROW_ID, required=False)
@click.option("--dead-since", default=None, callback=_duration, metavar="DURATION",
              help=helptext("dead_since"))
@click.option("--force", is_flag=True, help=helptext("force"))
@click.pass_obj
def outbox_retry(app: App, row_id: int | None, dead_since: timedelta | None,
                 force: bool) -> None:
    """重新发送一条失败、无法送达或待转交的消息，或一段时间内失败的全部消息."""
    if (row_id is None) == (dead_since is None):
        raise CliUsageError("one_or_since")
    if dead_since is not None:
        _retry_dead_since(app, dead_since, force)
        return
    assert row_id is not None
    capabilities = app.capabilities()  # read before the write lock (its own connection)
    with database.write_lock(app.engine), app.engine.begin() as conn:
        row = outbox.get(conn, row_id)
        if row is not None:
            _refuse_lacking(row, capabilities)
        if row is not None and not force:
            _refuse_a_delivery(row, app)
        if not outbox.retry(conn, row_id, utcnow()):
            raise CliError("retry_not_dead", row_id=row_id)
    click.echo(phrase("outbox", "retried", row_id=row_id))


def _refuse_a_delivery(row: OutboxRow, app: App) -> None:
    """Refuse to resend without --force a row WeChat took, or one that may have arrived."""
    if row.delivered_at is not None:
        raise CliError("retry_delivered", row_id=row.id,
                       at=local(row.delivered_at, app.settings.tz))
    if row.status == "dead" and row.in_doubt:
        raise CliError("retry_in_doubt", row_id=row.id, kind=row.kind)


def _lacking(row: OutboxRow, capabilities: Capabilities) -> NotCalled | None:
    """Why the account cannot deliver the row (a call it may not make), if so.
    A row that got through once is finished without a call, whatever is known now."""
    if row.delivered_at is not None:
        return None
    try:
        ask_first(capabilities, row.kind)
    except NotCalled as lacks:
        return lacks
    return None


def _refuse_lacking(row: OutboxRow, capabilities: Capabilities) -> None:
    """Refuse, --force or not, to resend a row whose calls the account may not
    make: it would only end dead again (the row says what to do instead)."""
    lacks = _lacking(row, capabilities)
    if lacks is not None and lacks.capability is not None:
        raise CliError("retry_lacks_capability", row_id=row.id,
                       capability=lacks.capability.value, call=lacks.call, kind=lacks.kind,
                       learnt=lacks.learnt)


def _retry_dead_since(app: App, since: timedelta, force: bool) -> None:
    """Re-drive the rows that died since then, but (without --force) none that
    may have arrived or that WeChat took: those are listed for a person."""
    now, capabilities = utcnow(), app.capabilities()
    with database.write_lock(app.engine), app.engine.begin() as conn:
        dead = outbox.dead_since(conn, now - since)
        delivered = [r.id for r in dead if r.delivered_at is not None]
        lacking = [r.id for r in dead if _lacking(r, capabilities) is not None]
        doubt = [r.id for r in dead if r.delivered_at is None and r.in_doubt
                 and r.id not in lacking]
        held_back = {*lacking} if force else {*delivered, *doubt, *lacking}
        retried = outbox.retry_many(conn, [r.id for r in dead if r.id not in held_back], now)
    if not dead:
        click.echo(phrase("outbox", "none_dead", since=local(now - since, app.settings.tz)))
    if retried:
        click.echo(phrase("outbox", "retried_many", ids=retried))
    if doubt and not force:
        click.echo(phrase("outbox", "skipped_in_doubt", ids=doubt))
    if delivered and not force:
        click.echo(phrase("outbox", "skipped_delivered", ids=delivered))
    if lacking:
        click.echo(phrase("outbox", "skipped_lacking", ids=lacking))


def register(cli: click.Group) -> None:
    for command in (worker, outbox_group):
        if command.name not in cli.commands:
            cli.add_command(command)
