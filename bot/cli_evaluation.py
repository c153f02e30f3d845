"""``wxops evaluation``: the quarterly evaluation of the process made now, kept in
WXOPS_REPORTS_DIR or written to --out, with its link (bot/evaluation.py)."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli_text import CliError, echo, helptext
from bot.timefmt import utcnow
from bot.wiring import App
from workflow import quarters


@click.command("evaluation")
@click.option("--quarter", "given", metavar="YYYYQn", help=helptext("evaluation_quarter"))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help=helptext("evaluation_out"))
@click.pass_obj
def evaluation_command(app: App, given: str | None, out: Path | None) -> None:
    """季度流程评估：各阶段用时、退回、按时发布、回复、建议和问卷 (the quarterly evaluation)."""
    from bot import evaluation  # the charts' library loads only for this command

    now = utcnow()
    today = now.astimezone(app.settings.tz).date()
    try:
        quarter = quarters.parse_quarter(given, today) if given else quarters.last_ended(today)
    except ValueError as why:
        raise CliError("evaluation_quarter", why=str(why), given=given) from None
    try:
        made = evaluation.make(app, quarter, now, out)
    except OSError as exc:
        raise CliError("report_unwritable",
                       path=str(out or evaluation.default_path(app, quarter)),
                       reason=exc.strerror or str(exc)) from None
    echo("reports", "evaluation", made=made)


def register(cli: click.Group) -> None:
    if "evaluation" not in cli.commands:
        cli.add_command(evaluation_command)
