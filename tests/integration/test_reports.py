"""Reports on both engines: made from seeded figures (the numbers each chart
shows), kept on disk and in ``reports``, served at a signed link that a
revocation or a tampered token closes, sent once by the weekly job to the
analysts and admins, and ``wxops report``'s answers and refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import Session
from werkzeug.test import Client

from bot import reports
from bot.config import load_settings
from bot.links import PageAddresses
from bot.web import create_app
from bot.wiring import App
from handlers import texts
from storage.models import (
    AnalyticsDay,
    ArticleMetric,
    ContentItemRow,
    FollowerMetric,
    OutboxMessage,
    ReplyTicket,
    ReportRow,
)
from storage.models import PageLink as PageLinkRow
from tests.integration import commanding
from tests.integration.clirun import Wxops
from tests.integration.commanding import Team, make_team, open_ticket
from workflow.report import ReportKind, ReportPeriod, last_week

PUBLIC = "https://wx.example.org"
SETTINGS = {"WXOPS_PUBLIC_URL": PUBLIC, "WXOPS_APP_ID": "wx1", "WXOPS_APP_SECRET": "s3cret",
            "WXOPS_TOKEN": "tok123", "WXOPS_ACCOUNT_NAME": "助学公益"}
WEEK = ReportPeriod(ReportKind.WEEK, date(2026, 11, 30), date(2026, 12, 6))
MONDAY_10 = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
CHARTS = ("reads", "followers", "follower_total", "weekday", "hour", "sources", "responses",
          "response_hours")


@pytest.fixture
def team(engine: Engine) -> Team:
    return make_team(engine)


@pytest.fixture
def app(engine: Engine, tmp_path: Path) -> App:
    return App(settings=load_settings({**SETTINGS, "WXOPS_REPORTS_DIR": str(tmp_path)}),
               engine=engine)


def _item(session: Session, team: Team, title: str, at: datetime) -> int:
    row = ContentItemRow(title=title, author_id=team.wang, state="published",
                         published_at=at, created_at=at, updated_at=at)
    session.add(row)
    session.flush()
    return row.id


def _totals(session: Session, msgid: str, item_id: int, published: date,
            daily: list[tuple[int, int]]) -> None:
    """Running totals a day from ``published``: (reads that day, from 朋友圈 of them)."""
    total = moments = 0
    for n, (reads, from_moments) in enumerate(daily):
        total, moments = total + reads, moments + from_moments
        session.add(ArticleMetric(
            msgid=msgid, item_id=item_id, day=published + timedelta(days=n),
            published_on=published, age=n + 1, reads=reads, shares=1, total_reads=total,
            read_sources={"99999999": total, "0": total - moments, "2": moments}))


@pytest.fixture
def seeded(engine: Engine, team: Team) -> dict[str, int]:
    """Two articles in the week (one published the Sunday before, its 7th day in
    it), followers each day, and three tickets answered in 3, 40 and 600 minutes."""
    with Session(engine) as session:
        old = _item(session, team, "冬衣募集", datetime(2026, 11, 29, 1, tzinfo=UTC))
        new = _item(session, team, "助学回访", datetime(2026, 12, 2, 12, tzinfo=UTC))
        _totals(session, "100_1", old, date(2026, 11, 29), [(500, 100), (200, 50)] + [(10, 0)] * 6)
        _totals(session, "200_1", new, date(2026, 12, 2), [(300, 30), (100, 10)])
        for n in range(7):
            session.add(FollowerMetric(day=WEEK.first + timedelta(days=n), new_users=10,
                                       cancel_users=2, cumulate_users=1000 + 8 * (n + 1)))
        session.commit()
    opened = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    for n, minutes in enumerate((3, 40, 600)):
        ticket = open_ticket(engine, f"o_fan{n}", None, "answered")
        with engine.begin() as conn:
            conn.execute(update(ReplyTicket).where(ReplyTicket.id == ticket).values(
                opened_at=opened, first_response_at=opened + timedelta(minutes=minutes)))
    return {"old": old, "new": new}


def _open(app: App, url: str, at: datetime | None = MONDAY_10 + timedelta(hours=1),
          ) -> tuple[int, str, dict[str, str]]:
    """The page as a browser gets it ``at`` (the pages read the host's clock): a link
    made at a fixed time is opened within its days, whatever the day the suite runs;
    None: now, for a link made now."""
    assert url.startswith(PUBLIC)
    with time_machine.travel(at or datetime.now(UTC), tick=True):
        got = Client(create_app(app)).get(url[len(PUBLIC):])
    return got.status_code, got.get_data(as_text=True), dict(got.headers)


def test_the_report_shows_the_weeks_figures(app: App, seeded: dict[str, int]) -> None:
    made = reports.make(app, WEEK, MONDAY_10)
    found = made.report
    assert [(a.item_id, a.reads) for a in found.articles] == [
        (seeded["new"], 400), (seeded["old"], 260)]  # the old one: days 2 to 8
    assert [d.total for d in found.followers] == [1000 + 8 * n for n in range(1, 8)]
    assert {(s.key, s.count) for s in found.sources} == {(0, 570), (2, 90)}
    assert [s.count for s in found.responses] == [1, 0, 1, 0, 1, 0]
    assert [(s.key, s.value) for s in found.response_hours] == [(9, 40.0)]
    assert made.path == Path(app.settings.reports_dir).resolve() / "report-2026-W49.html"
    html = made.path.read_text(encoding="utf-8")
    for chart in CHARTS:
        assert f'data-chart="{chart}"' in html
    assert "<script" not in html.lower()


def test_the_link_serves_the_kept_page_with_the_pages_headers(app: App,
                                                              seeded: dict[str, int]) -> None:
    made = reports.make(app, WEEK, MONDAY_10)
    status, body, headers = _open(app, made.url)
    assert status == 200
    assert body == made.path.read_text(encoding="utf-8")
    assert "script-src" not in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "private, no-store"


def test_making_it_again_replaces_the_page_and_keeps_the_links(app: App, engine: Engine,
                                                               seeded: dict[str, int]) -> None:
    first = reports.make(app, WEEK, MONDAY_10)
    with engine.begin() as conn:  # the figures change (a day pulled again)
        conn.execute(update(ArticleMetric).where(ArticleMetric.msgid == "200_1")
                     .values(reads=1000))
    again = reports.make(app, WEEK, MONDAY_10 + timedelta(hours=5))
    assert again.id == first.id
    assert again.report.articles[0].reads == 2000
    with engine.connect() as conn:
        assert len(conn.execute(select(ReportRow.id)).all()) == 1
    assert _open(app, first.url)[1] == again.path.read_text(encoding="utf-8")


def test_revoked_and_tampered_report_links_are_refused(app: App, engine: Engine,
                                                       seeded: dict[str, int]) -> None:
    made = reports.make(app, WEEK, MONDAY_10)
    assert _open(app, made.url[:-2] + "xx")[0] == 404
    assert _open(app, made.url.replace("/report/", "/preview/"))[0] == 404
    with engine.begin() as conn:
        conn.execute(update(PageLinkRow).values(revoked_at=MONDAY_10))
    assert _open(app, made.url)[0] == 410


def test_without_a_public_address_the_report_is_kept_without_a_link(
        engine: Engine, tmp_path: Path, seeded: dict[str, int]) -> None:
    settings = {k: v for k, v in SETTINGS.items() if k != "WXOPS_PUBLIC_URL"}
    app = App(settings=load_settings({**settings, "WXOPS_REPORTS_DIR": str(tmp_path)}),
              engine=engine)
    made = reports.make(app, WEEK, MONDAY_10)
    assert made.url == "" and made.path.exists()
    with engine.connect() as conn:
        assert conn.execute(select(PageLinkRow.id)).all() == []


def _notices(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [r.payload for r in conn.execute(select(OutboxMessage.payload).where(
            OutboxMessage.kind == "notify"))]


def _sunday_complete(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(AnalyticsDay).values(
            endpoint="getbizsummary", day=WEEK.last, status="complete", through=WEEK.last,
            rows=[], fetched_at=MONDAY_10))


def test_the_weekly_job_waits_for_sundays_figures_then_sends_once(
        app: App, engine: Engine, team: Team, seeded: dict[str, int]) -> None:
    assert last_week(MONDAY_10.date()) == WEEK
    assert reports.send_weekly(app, MONDAY_10 - timedelta(hours=1)) is None  # before 10:00
    assert reports.send_weekly(app, MONDAY_10) is None  # Sunday's figures not in yet
    _sunday_complete(engine)
    made = reports.send_weekly(app, MONDAY_10 + timedelta(minutes=5))
    assert made is not None
    sent = _notices(engine)
    assert sorted(p["staff_id"] for p in sent) == sorted([team.admin, team.admin2, team.zhou])
    assert {p["template"] for p in sent} == {"report_ready"}
    context = sent[0]["context"]
    assert isinstance(context, dict) and context["url"] == made.url and context["reads"] == 660
    assert made.url in texts.render("notify/report_ready", **context)
    assert reports.send_weekly(app, MONDAY_10 + timedelta(hours=1)) is None
    assert len(_notices(engine)) == 3


def test_the_weekly_job_does_not_wait_past_the_latest_hour(app: App, engine: Engine,
                                                          team: Team) -> None:
    made = reports.send_weekly(app, MONDAY_10 + timedelta(hours=8))  # 18:00, no figures
    assert made is not None and made.report.articles == []
    assert len(_notices(engine)) == 3


def test_wxops_report(engine_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                      capsys: pytest.CaptureFixture[str]) -> None:
    wxops = Wxops(monkeypatch, capsys, tmp_path, WXOPS_DATABASE_URL=engine_url,
                  WXOPS_REPORTS_DIR=str(tmp_path / "kept"), **SETTINGS)
    assert wxops("db", "upgrade").status == 0
    made = wxops("report", "--week")
    assert made.status == 0 and f"{PUBLIC}/report/" in made.out
    assert len(list((tmp_path / "kept").glob("report-*-W*.html"))) == 1
    out = tmp_path / "month.html"
    assert wxops("report", "--month", "--out", str(out)).status == 0 and out.exists()
    assert wxops("report", "--since", "2026-01-01", "--until", "2026-03-31").status == 0
    assert wxops("links", "list").out.count("报告") == 3
    assert wxops("report", "--month", "--since", "2026-01-01").code == "report_two_periods"
    assert wxops("report", "--until", "2026-01-01").code == "report_until_alone"
    assert wxops("report", "--since", "2099-01-01").code == "report_range"
    assert wxops("report", "--since", "2020-01-01", "--until", "2026-01-01").code \
        == "report_range"
    blocked = tmp_path / "file"
    blocked.write_text("x")
    assert wxops("report", "--out", str(blocked / "r.html")).code == "report_unwritable"


def test_the_report_command_gives_a_new_link_to_the_newest_weekly_report(
        app: App, engine: Engine, team: Team, seeded: dict[str, int]) -> None:
    pages = PageAddresses.from_settings(app.settings)
    assert commanding.refusal(engine, team.li, "报告", pages=pages).code == "no_report"
    reports.make(app, ReportPeriod(ReportKind.MONTH, date(2026, 11, 1), date(2026, 11, 30)),
                 MONDAY_10)
    weekly = reports.make(app, WEEK, MONDAY_10)
    asked = commanding.ask(engine, team.li, "报告", now=datetime.now(UTC), pages=pages)
    assert asked.context["report"].id == weekly.id  # the weekly one, though made later
    url = asked.context["url"]
    assert url != weekly.url and _open(app, url, None)[0] == 200
    kept = commanding.ask(engine, team.li, "报告")  # no web address: where the file is
    assert kept.context["url"] is None and kept.context["report"].path == str(weekly.path)
    assert str(weekly.path) in commanding.say(engine, team.li, "报告")
