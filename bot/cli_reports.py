"""``wxops report``: the weekly or monthly report (or any range of days) made now,
kept in WXOPS_REPORTS_DIR or written to --out, with its link (bot/reports.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import click

from bot.cli_text import CliError, echo, helptext
from bot.timefmt import utcnow
from bot.wiring import App
from workflow import report as rules
from workflow.report import ReportPeriod


def _period(kind: str | None, since: datetime | None, until: datetime | None,
            today: date) -> ReportPeriod:
    if since is None:
        if until is not None:
            raise CliError("report_until_alone")
        return rules.last_month(today) if kind == "month" else rules.last_week(today)
    if kind is not None:
        raise CliError("report_two_periods", kind=kind)
    last = until.date() if until else today - timedelta(days=1)
    try:
        return rules.between(since.date(), last, today)
    except ValueError as why:
        raise CliError("report_range", why=str(why), since=since.date(), until=last,
                       most=rules.MAX_DAYS) from None


@click.command("report")
@click.option("--week", "kind", flag_value="week", help=helptext("report_week"))
@click.option("--month", "kind", flag_value="month", help=helptext("report_month"))
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help=helptext("report_since"))
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help=helptext("report_until"))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help=helptext("report_out"))
@click.pass_obj
def report_command(app: App, kind: str | None, since: datetime | None,
                   until: datetime | None, out: Path | None) -> None:
    """数据报告：图表和建议的网页，保存到文件并给出链接 (make a report page)."""
    from bot import reports  # the charts' library loads only for this command

    now = utcnow()
    period = _period(kind, since, until, now.astimezone(app.settings.tz).date())
    try:
        made = reports.make(app, period, now, out)
    except OSError as exc:
        raise CliError("report_unwritable", path=str(out or reports.default_path(app, period)),
                       reason=exc.strerror or str(exc)) from None
    echo("reports", "made", made=made, period=period)


def register(cli: click.Group) -> None:
    if "report" not in cli.commands:
        cli.add_command(report_command)
