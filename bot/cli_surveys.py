"""``wxops survey``: the follower surveys' files checked, and a survey's results
(the use cases in workflow/survey_cases.py; the files read by bot/surveys.py)."""

from __future__ import annotations

import json
from typing import Any

import click

from bot import surveys
from bot.cli import warn_about_environment
from bot.cli_text import CliError, echo, helptext
from bot.startup import require_current_schema
from bot.timefmt import utcnow
from bot.wiring import App, survey_answers
from workflow import survey_cases
from workflow.survey_results import SurveyResults


@click.group("survey")
def survey_group() -> None:
    """粉丝问卷：检查问卷文件，查看结果 (follower surveys: check files, results)."""


@survey_group.command("check")
@click.pass_obj
def survey_check(app: App) -> None:
    """检查 WXOPS_SURVEYS_DIR 里的问卷文件，每个问题一行 (check the survey files)."""
    warn_about_environment()
    loaded = surveys.load(app.settings)
    for problem in loaded.problems:
        click.echo(surveys.problem_line(problem), err=True)
    echo("surveys", "checked", loaded=loaded)
    if loaded.problems:
        raise CliError("survey_problems", count=len(loaded.problems))


@survey_group.command("results")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help=helptext("survey_json"))
@click.pass_obj
def survey_results(app: App, name: str, as_json: bool) -> None:
    """一个问卷的结果：各选项人数、评分分布和平均分、文字回答 (a survey's results)."""
    warn_about_environment()
    loaded = surveys.load(app.settings)
    survey = loaded.book.named(name)
    if survey is None:
        raise CliError("survey_unknown", name=name,
                       known=[s.name for s in loaded.book.surveys])
    require_current_schema(app.engine)
    with app.engine.connect() as conn:
        found = survey_cases.survey_results(survey_answers(conn), survey, utcnow())
    if as_json:
        click.echo(json.dumps(as_data(found), ensure_ascii=False, indent=2))
    else:
        echo("surveys", "results", r=found)


def as_data(found: SurveyResults) -> dict[str, Any]:
    """The results as JSON: counts by state, and each question's figures."""
    s = found.survey
    return {"survey": s.name, "title": s.title, "finished": found.finished,
            "abandoned": found.abandoned, "expired": found.expired,
            "in_progress": found.in_progress,
            "questions": [{"number": q.number, "kind": q.question.kind.value,
                           "text": q.question.text, "answered": q.answered,
                           **({"counts": dict(q.counts)} if q.counts else {}),
                           **({"mean": q.mean} if q.question.kind == "rating" else {}),
                           **({"texts": list(q.texts)} if q.question.kind == "text" else {})}
                          for q in found.questions]}


def register(cli: click.Group) -> None:
    if "survey" not in cli.commands:
        cli.add_command(survey_group)


