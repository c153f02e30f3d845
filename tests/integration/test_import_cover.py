"""An imported article's own cover, byline and comments reach the draft box, on
each database: `wxops item import` (in process) uploads the cover to the
emulator as permanent image material, the outbox's sync_draft pushes the item,
and the draft read back (draft/get) carries that material as thumb_media_id,
the byline as author and need_open_comment 0; a second import of the same
cover uploads nothing, and an item without a cover still gets the default."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import Engine

from bot.emulator.server import start_in_thread
from bot.emulator.state import EmulatorConfig
from bot.worker import Jobs, make_gateway
from storage.uow import SqlUnitOfWork
from tests.integration import commanding
from tests.integration.clirun import Wxops
from tests.integration.conftest import APP_ID, TOKEN, make_account
from tests.unit.layout_fixtures import corpus_images

ARTICLE = """---
title: 冬衣募集
author: 社区服务队
cover: photos/coat.png
comments: false
sources:
  - title: 街道通知
    url: https://example.org/notice
---

周六上午九点在社区中心收冬衣。
"""


@pytest.fixture
def wechat() -> Iterator[str]:
    url, stop = start_in_thread(EmulatorConfig(app_id=APP_ID, app_secret="secret"))
    yield url
    stop()


@pytest.fixture
def wxops(engine: Engine, wechat: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
          capsys: pytest.CaptureFixture[str]) -> Wxops:
    commanding.make_team(engine)
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "coat.png").write_bytes(corpus_images()["wide.png"])
    (tmp_path / "coat.md").write_text(ARTICLE, "utf-8")
    (tmp_path / "plain.md").write_text("---\ntitle: 短讯\n---\n\n正文。\n", "utf-8")
    return Wxops(monkeypatch, capsys, tmp_path,
                 WXOPS_DATABASE_URL=engine.url.render_as_string(hide_password=False),
                 WXOPS_WECHAT_API_BASE=wechat, WXOPS_APP_ID=APP_ID, WXOPS_APP_SECRET="secret",
                 WXOPS_TOKEN=TOKEN)


def uploads(wechat: str, path: str) -> int:
    calls = requests.get(f"{wechat}/_emulator/calls", timeout=5).json()
    return sum(1 for c in calls if c["path"] == f"/cgi-bin/{path}")


def pushed(engine: Engine, wechat: str, item_id: int) -> dict[str, Any]:
    """The item's draft after the outbox sent a sync_draft row, as draft/get reads it."""
    account = make_account(engine, WXOPS_WECHAT_API_BASE=wechat)
    with SqlUnitOfWork(engine) as uow:
        item = uow.items.get(item_id)
        assert item is not None
        uow.outbox.add("sync_draft", {"item_id": item_id, "revision": item.revision},
                       f"test:{item_id}:{item.revision}", datetime.now(UTC))
        uow.commit()
    worker = Jobs(account.app, "test-worker")
    try:
        worker.send()
    finally:
        worker.leader.release()
    with SqlUnitOfWork(engine) as uow:
        item = uow.items.get(item_id)
        assert item is not None and item.draft_media_id, "the draft was not pushed"
    draft = make_gateway(account.app).draft_get(item.draft_media_id)
    return dict(draft["news_item"][0]) | {"cover": item.meta.cover}


def test_the_articles_cover_byline_and_comments_reach_the_draft(
        wxops: Wxops, engine: Engine, wechat: str) -> None:
    done = wxops("item", "import", "--new", "coat.md", "--as", "王芳")
    assert done.status == 0, done.err
    assert uploads(wechat, "material/add_material") == 1
    draft = pushed(engine, wechat, 1)
    assert draft["cover"] and draft["thumb_media_id"] == draft["cover"]
    assert (draft["author"], draft["need_open_comment"]) == ("社区服务队", 0)
    again = wxops("item", "import", "1", "coat.md", "--as", "王芳")
    assert again.status == 0, again.err
    assert uploads(wechat, "material/add_material") == 1  # the same cover: nothing uploaded
    with SqlUnitOfWork(engine) as uow:
        item = uow.items.get(1)
        assert item is not None and item.revision == 3 and item.meta.cover == draft["cover"]
        assert item.meta.sources == ("街道通知 https://example.org/notice",)


def test_an_article_without_a_cover_gets_the_default_and_open_comments(
        wxops: Wxops, engine: Engine, wechat: str) -> None:
    assert wxops("item", "import", "--new", "plain.md", "--as", "王芳").status == 0
    assert uploads(wechat, "material/add_material") == 0
    draft = pushed(engine, wechat, 1)
    assert draft["cover"] == "" and draft["thumb_media_id"]
    assert (draft["author"], draft["need_open_comment"]) == ("", 1)
