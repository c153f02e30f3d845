"""bench/report_data.py on both engines: the made-up months give the report
(workflow/report.py) data for every chart, and the platform's shape (daily
reads the running totals' differences, sources summing to at most all)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, func, select

from bench.report_data import CHINA, seed
from bot import report_page
from storage.models import ArticleMetric
from storage.uow import SqlUnitOfWork
from workflow import report

LAST = date(2026, 11, 30)
NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


def test_the_made_up_months_give_every_chart_data(engine: Engine) -> None:
    data = seed(engine, LAST, articles=40, days=90, tickets=400, complaints=8)
    assert (data.first, len(data.items)) == (LAST - timedelta(days=89), 40)
    found = report.make(SqlUnitOfWork(engine), report.between(data.first, LAST, LAST + timedelta(
        days=1)), NOW, CHINA)
    assert len(found.articles) == 40 and len(found.followers) == 90
    assert all((found.by_weekday, found.by_hour, found.sources, found.responses,
                found.response_hours))
    assert sum(s.count for s in found.responses) == found.summary.answered
    charts = report_page.charts(found)
    assert [name for name, chart in charts.items() if chart is None] == []
    with engine.connect() as conn:
        rows = conn.execute(select(ArticleMetric.msgid, ArticleMetric.reads,
                                   ArticleMetric.total_reads, ArticleMetric.read_sources)
                            .order_by(ArticleMetric.msgid, ArticleMetric.day)).all()
        assert conn.scalar(select(func.count()).select_from(ArticleMetric)) == data.metrics
    running: dict[str, int] = {}
    for msgid, reads, total, sources in rows:
        assert reads == total - running.get(msgid, 0) >= 0
        running[msgid] = total
        assert sources["99999999"] == total >= sum(v for k, v in sources.items()
                                                   if k != "99999999")
    assert found.summary.stats.reads == sum(reads for _, reads, _, _ in rows)
