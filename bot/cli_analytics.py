"""``wxops analytics backfill|pull``: the platform's figures in (bot/analytics.py)."""

from __future__ import annotations

import sys
from datetime import date, datetime

import click
from click._termui_impl import ProgressBar

from bot import analytics
from bot.cli_text import CliError, echo, helptext
from bot.probe import yesterday
from bot.timefmt import utcnow
from bot.wiring import App
from handlers.commands.context import Result
from workflow.capabilities import Capability, granted
from workflow.stats import last_days, period_stats, this_month


@click.group("analytics")
def analytics_group() -> None:
    """公众号数据统计 (the platform's figures)."""


def _day(value: datetime) -> date:
    return value.date()


def _skipped(app: App) -> bool:
    """On an account without the data interfaces nothing is asked (the calls
    would only meet 48001): say so, and where the figures are instead. Its kind
    has them and yet it lacks them: WeChat refused them (learnt, reset later)."""
    capabilities = app.capabilities()
    if capabilities.allows(Capability.DATACUBE):
        return False
    echo("analytics", "skipped", kind=capabilities.kind.name,
         learnt=granted(capabilities.kind, Capability.DATACUBE))
    return True


@analytics_group.command("backfill")
@click.option("--since", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help=helptext("analytics_since"))
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help=helptext("analytics_until"))
@click.option("--pause", default=0.2, show_default=True, type=click.FloatRange(0, 60),
              help=helptext("analytics_pause"))
@click.pass_obj
def backfill(app: App, since: datetime, until: datetime | None, pause: float) -> None:
    """补齐历史数据：按各接口的最大跨度分步，可中断后续跑 (fill history)."""
    from bot.worker import make_gateway

    if _skipped(app):
        return
    gateway = make_gateway(app)
    first, last = _day(since), _day(until) if until else yesterday(app)
    if first > last:
        raise CliError("analytics_since_late", since=first, until=last)
    # The quota first, for the most the run may ask: refused before any figure is asked.
    short = analytics.shortfalls(gateway, analytics.backfill_plan(app, first, last))
    if short:
        raise CliError("analytics_quota_low", short=short)
    last = analytics.last_ready_day(app, gateway, last)
    planned = analytics.backfill_plan(app, first, last)
    days = sum((b - a).days + 1 for steps in planned.values() for a, b in steps)
    bar: ProgressBar[int]
    with click.progressbar(length=days, label=helptext("analytics_progress"),
                           file=sys.stderr) as bar:
        done = analytics.backfill(app, gateway, first, last, pause, bar.update)
    echo("analytics", "backfilled", pull=done, since=first, until=last)


@analytics_group.command("pull")
@click.pass_obj
def pull(app: App) -> None:
    """立即拉取昨天的数据（定时任务每小时一次）(pull yesterday now)."""
    from bot.worker import make_gateway

    if _skipped(app):
        return
    day = yesterday(app)
    done = analytics.daily(app, make_gateway(app), day)
    echo("analytics", "pulled" if done.ready else "not_ready", pull=done, day=day)


@click.command("stats")
@click.option("--days", type=click.Choice(["7", "30"]), default="7", show_default=True,
              help=helptext("stats_days"))
@click.option("--month", is_flag=True, help=helptext("stats_month"))
@click.pass_obj
def stats_command(app: App, days: str, month: bool) -> None:
    """统计：阅读、分享、关注、最好和最弱的文章、工单，30 天和本月附建议 (as 统计 in chat)."""
    now, tz = utcnow(), app.settings.tz
    today = now.astimezone(tz).date()
    period = this_month(today) if month else last_days(today, int(days))
    found = period_stats(app.uow(), period, now, tz)
    datacube = app.capabilities().allows(Capability.DATACUBE)
    click.echo(Result("me_stats", {"days": period.days, "stats": found.stats,
                                   "report": found, "datacube": datacube}).render())


def register(cli: click.Group) -> None:
    if "analytics" not in cli.commands:
        cli.add_command(analytics_group)
    if "stats" not in cli.commands:
        cli.add_command(stats_command)
