"""The quarterly evaluation made, kept and sent: workflow/evaluation.py computes
it, bot/evaluation_page.py draws it; it is kept as a report of kind ``quarter``
(storage/reports.py: on disk in ``WXOPS_REPORTS_DIR``, stored for the web
process to serve at a signed link), like the weekly report (bot/reports.py).

The worker's quarterly job (``run_quarterly``, hourly): once a quarter is over,
it asks each active member the staff survey's three questions (a notice each,
held for their next message when the chat window is closed), then makes the
evaluation and sends the admins its link once everyone has answered or
``WXOPS_EVALUATION_SURVEY_DAYS`` have passed, once (compare-and-set on the
report's ``sent_at``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection

from bot import evaluation_page, surveys
from bot.reports import link_to, write
from bot.wiring import App, database, joined_uow, survey_answers
from bot.wiring import report_records as stored
from workflow import evaluation as rules
from workflow import quarters, survey_cases
from workflow.evaluation import Evaluation
from workflow.evaluation_records import FollowerSurvey, follower_survey
from workflow.quarters import Next, Quarter
from workflow.report import ReportKind, ReportPeriod
from workflow.roles import Role

log = logging.getLogger("wxops.evaluation")


@dataclass(frozen=True)
class Made:
    id: int
    evaluation: Evaluation
    path: Path
    url: str  # "" while the web pages have no public address


def period(quarter: Quarter) -> ReportPeriod:
    """The quarter as the reports table keys it."""
    return ReportPeriod(ReportKind.QUARTER, quarter.first, quarter.last)


def default_path(app: App, quarter: Quarter) -> Path:
    return Path(app.settings.reports_dir) / f"evaluation-{quarter.name}.html"


def follower_surveys(app: App, quarter: Quarter) -> Sequence[FollowerSurvey]:
    """The follower surveys with answer sets that moved in the quarter, each counted
    from those sets (workflow.survey_cases.period_results)."""
    since, until = quarter.span(app.settings.tz)
    book = surveys.load(app.settings).book
    with app.engine.connect() as conn:
        found = survey_cases.period_results(survey_answers(conn), book, since, until)
    return [follower_survey(r) for r in found]


def make(app: App, quarter: Quarter, now: datetime, out: Path | None = None,
         made_by: int | None = None) -> Made:
    """Compute, draw, keep on disk (``out`` or the reports folder) and store the
    evaluation of ``quarter``; with a public address, a link to it too."""
    found = rules.make(app.uow(), quarter, now, app.settings.tz,
                       follower_surveys(app, quarter), app.settings.recheck_intervals)
    html = evaluation_page.render(found, app.settings.account_name, app.settings.tz)
    path = (out or default_path(app, quarter)).resolve()
    write(path, html)
    with database.write_lock(app.engine), app.engine.begin() as conn:
        report_id = stored.save(conn, period(quarter), html, str(path), now)
    return Made(report_id, found, path, link_to(app, report_id, now, made_by))


def run_quarterly(app: App, now: datetime) -> Next:
    """One hourly round of the quarterly job (workflow.evaluation.quarterly_step):
    what it did."""
    today = now.astimezone(app.settings.tz).date()
    quarter = quarters.last_ended(today)
    with app.engine.connect() as conn:
        kept = stored.find(conn, period(quarter))
    with app.uow() as uow:
        asked_at = uow.evaluation.survey_asked(quarter.name)
        answers = uow.evaluation.survey_answers(quarter.name)
    step = quarters.quarterly_step(
        quarter, today, asked_at, all(a.complete for a in answers),
        kept is not None and kept.sent_at is not None, now,
        timedelta(days=app.settings.evaluation_survey_days))
    if step is Next.ASK:
        return Next.ASK if _ask(app, quarter, now) else Next.NOTHING
    if step is Next.MAKE:
        made = make(app, quarter, now)
        with database.write_lock(app.engine), app.engine.begin() as conn:
            if not stored.claim_sending(conn, made.id, now):
                return Next.NOTHING  # another worker sent it meanwhile
            _notify(conn, made, now)
        log.info("evaluation %s sent (%s)", quarter.name, made.path)
    return step


def _ask(app: App, quarter: Quarter, now: datetime) -> bool:
    """The survey's notice to each active member who can be written to, once;
    False when another worker asked first."""
    with database.write_lock(app.engine), app.engine.begin() as conn, \
            joined_uow(conn, clock=lambda: now) as uow:
        people = [m for m in uow.staff.members() if m.openid]
        if not uow.evaluation.start_survey(quarter.name, [m.id for m in people], now):
            return False
        context = {"quarter": quarter.name, "days": app.settings.evaluation_survey_days}
        for member in people:
            uow.outbox.add("notify", {"staff_id": member.id, "template": "evaluation_survey",
                                      "context": context},
                           f"evaluation-survey:{quarter.name}:{member.id}", now)
        uow.commit()
    log.info("staff survey of %s asked of %d members", quarter.name, len(people))
    return True


def _notify(conn: Connection, made: Made, now: datetime) -> None:
    """The evaluation's notice to each admin, in the caller's transaction."""
    found = made.evaluation.current
    context = {"quarter": made.evaluation.quarter.name, "url": made.url,
               "path": str(made.path), "published": found.published,
               "send_backs": found.send_backs.count, "suggestions": len(found.suggestions),
               "answered": found.survey.answered, "asked": found.survey.asked}
    with joined_uow(conn, clock=lambda: now) as uow:
        for admin in sorted(uow.staff.with_role(Role.ADMIN), key=lambda a: a.id):
            uow.outbox.add("notify", {"staff_id": admin.id, "template": "evaluation_ready",
                                      "context": context},
                           f"evaluation:{made.id}:{admin.id}", now)
        uow.commit()
