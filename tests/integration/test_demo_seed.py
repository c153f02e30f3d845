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
