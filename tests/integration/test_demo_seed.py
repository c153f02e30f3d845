"""The demo's data, as `make run` seeds it once."""

from __future__ import annotations

from sqlalchemy import Engine, select

from bot import demo
from bot.config import load_settings
from bot.wiring import App
from storage.models import ContentItemRow


def test_the_demo_items_are_being_written_and_have_text(engine: Engine) -> None:
    app = App(settings=load_settings({}), engine=engine)
    assert demo.seed(app)
    assert not demo.seed(app)  # once: a database with staff is left alone
    with engine.connect() as conn:
        rows = conn.execute(select(ContentItemRow.title, ContentItemRow.state,
                                   ContentItemRow.body).order_by(ContentItemRow.id)).all()
    assert [(title, state) for title, state, _ in rows] == [
        ("社区义诊活动回顾", "drafting"), ("冬季助学计划招募志愿者", "drafting")]
    clinic = rows[0][2]
    assert clinic.startswith("<p>11 月 22 日") and clinic.count("<p>") == 3


def test_the_demo_activity_is_named_by_its_real_weekday() -> None:
    """The rule's text said 12 月 6 日（周六）, a Sunday in 2026."""
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from handlers.when import WEEKDAY_NAMES

    tz = ZoneInfo("Asia/Shanghai")
    for days in range(7):  # seeded on each day of a week
        now = datetime(2026, 12, 6, 2, 0, tzinfo=UTC) + timedelta(days=days)
        when = demo.next_saturday_morning(now, tz)
        assert when.weekday() == 5 and 1 <= (when.date() - now.astimezone(tz).date()).days <= 7
        reply = demo.demo_rule_replies(now, tz)["活动"]
        assert f"{when.month}月{when.day}日（周{WEEKDAY_NAMES[5]}）09:00" in reply
