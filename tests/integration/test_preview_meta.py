"""The preview page shows what an imported article says of itself: its byline
in the meta line and its sources after the article, as the revision the link
was made for has them (both engines)."""

from __future__ import annotations

from sqlalchemy import Engine

from bot.config import load_settings
from bot.wiring import App
from storage.uow import SqlUnitOfWork
from tests.integration.commanding import make_team
from tests.integration.test_preview_links import SETTINGS, _link, _now, _open
from workflow import usecases
from workflow.model import ArticleMeta, Context, ItemChanges


def test_the_page_shows_the_byline_and_the_sources(engine: Engine) -> None:
    team, app = make_team(engine), App(settings=load_settings(SETTINGS), engine=engine)
    ctx = Context(now=_now(), command="test")
    item = usecases.plan(SqlUnitOfWork(engine), team.wang, "冬衣募集", ctx)
    meta = ArticleMeta(byline="社区服务队", sources=("街道通知 https://example.org/n", "<登记表>"))
    usecases.edit(app.uow(), team.wang, item.id, ItemChanges(body="<p>收冬衣</p>", meta=meta), ctx)
    url = _link(engine, app, item.id)
    usecases.edit(app.uow(), team.wang, item.id, ItemChanges(meta=ArticleMeta()), ctx)
    status, page, _ = _open(app, url)
    assert status == 200 and '<span class="byline">社区服务队</span>' in page
    assert 'id="sources"' in page and "街道通知 https://example.org/n" in page
    assert "&lt;登记表&gt;" in page  # text, escaped like the rest of the page
