"""Reports made, kept and sent: workflow/report.py computes one, bot/report_page.py
draws it; here it is written to disk (``WXOPS_REPORTS_DIR``, one HTML file a
period), stored for the web process to serve at a signed link, and — by the
worker's weekly job — sent to the analysts and admins as a notice."""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection

from bot import report_page
from bot.links import addresses_for_chat
from bot.wiring import App, database, joined_uow
from bot.wiring import analytics_records as figures
from bot.wiring import report_records as stored
from workflow import link_cases
from workflow import report as rules
from workflow.analytics import ANCHOR, DayStatus
from workflow.capabilities import Capability
from workflow.report import Report, ReportPeriod
from workflow.roles import Role

log = logging.getLogger("wxops.reports")


@dataclass(frozen=True)
class Made:
    id: int
    report: Report
    path: Path
    url: str  # "" while the web pages have no public address


def write(path: Path, html: str) -> None:
    """Write the page whole or not at all: a reader never opens half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(html)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def default_path(app: App, period: ReportPeriod) -> Path:
    return Path(app.settings.reports_dir) / f"report-{period.name}.html"


def make(app: App, period: ReportPeriod, now: datetime, out: Path | None = None,
         made_by: int | None = None) -> Made:
    """Compute, draw, keep on disk (``out`` or the reports folder) and store the
    report of ``period``; with a public address, a link to it too."""
    found = rules.make(app.uow(), period, now, app.settings.tz)
    html = report_page.render(found, app.settings.account_name, app.settings.tz)
    path = (out or default_path(app, period)).resolve()
    write(path, html)
    with database.write_lock(app.engine), app.engine.begin() as conn:
        report_id = stored.save(conn, period, html, str(path), now)
    return Made(report_id, found, path, link_to(app, report_id, now, made_by))


def link_to(app: App, report_id: int, now: datetime, made_by: int | None = None) -> str:
    """A new signed link to a stored report, or "" without a public address."""
    addresses = addresses_for_chat(app.settings)
    if addresses is None:
        return ""
    lifetime = timedelta(days=app.settings.report_link_days)
    with database.write_lock(app.engine):
        link = link_cases.report_link(app.uow(), report_id, made_by, now, lifetime)
    return addresses.url(link)


def figures_in(app: App, day: date) -> bool:
    """Whether the platform's figures of ``day`` are final (or will never come:
    the account has no data interfaces)."""
    if not app.capabilities().allows(Capability.DATACUBE):
        return True
    with app.engine.connect() as conn:
        record = figures.records(conn, ANCHOR, day, day).get(day)
    return record is not None and record.status is DayStatus.COMPLETE


def send_weekly(app: App, now: datetime) -> Made | None:
    """Last week's report, made and sent once (workflow.report.weekly_due); None
    when it is not due."""
    local = now.astimezone(app.settings.tz)
    period = rules.last_week(local.date())
    with app.engine.connect() as conn:
        kept = stored.find(conn, period)
    sent = kept is not None and kept.sent_at is not None
    if not rules.weekly_due(period, local, sent, figures_in(app, period.last),
                            app.settings.report_hour):
        return None
    made = make(app, period, now)
    with database.write_lock(app.engine), app.engine.begin() as conn:
        if not stored.claim_sending(conn, made.id, now):
            return None  # another worker sent it meanwhile
        _notify(conn, made, now)
    log.info("weekly report %s sent (%s)", period.name, made.path)
    return made


def _notify(conn: Connection, made: Made, now: datetime) -> None:
    """The report's notice to each analyst and admin, in the caller's transaction."""
    summary = made.report.summary
    context = {"kind": made.report.period.kind.value, "name": made.report.period.name,
               "first": made.report.period.first.isoformat(),
               "last": made.report.period.last.isoformat(),
               "url": made.url, "path": str(made.path), "reads": summary.stats.reads,
               "net_followers": summary.net_followers,
               "new_followers": summary.stats.new_followers,
               "published": len(summary.stats.published),
               "suggestions": len(made.report.suggestions)}
    with joined_uow(conn, clock=lambda: now) as uow:
        people = {a.id: a for role in (Role.ANALYST, Role.ADMIN)
                  for a in uow.staff.with_role(role)}
        for staff_id in sorted(people):
            uow.outbox.add("notify", {"staff_id": staff_id, "template": "report_ready",
                                      "context": context},
                           f"report:{made.id}:{staff_id}", now)
        uow.commit()
