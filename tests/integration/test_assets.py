"""The team's materials (`wxops assets`) on both engines, an article naming one
(`asset:NAME`, its credit in the caption), and, on an account without
materials, the images kept in wxops and shown by the preview page under its
own link while the checks say the platform would drop them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from werkzeug.test import Client

from bot.cli_text import say
from bot.config import load_settings
from bot.links import PageAddresses
from bot.web import create_app
from bot.wiring import App
from storage.db import make_engine
from storage.uow import SqlUnitOfWork
from tests.integration import commanding
from tests.integration.clirun import Wxops
from tests.integration.test_item_import import uploads as uploads  # the fixture
from tests.unit.layout_fixtures import FakeUpload, corpus_images
from workflow import link_cases
from workflow.checks import Code
from workflow.kept_images import PREFIX, kept_in
from workflow.model import Context
from workflow.roles import CONSOLE_ACTOR

PUBLIC = "https://wx.example.org"
ARTICLE = "---\ntitle: 冬衣募集\n---\n\n周六上午在社区中心收冬衣。\n\n![收衣现场](asset:scene)\n"


@pytest.fixture
def wxops(wxops: Wxops, engine_url: str, tmp_path: Path) -> Wxops:
    """The upgraded in-process `wxops` (conftest), with a team and the files."""
    commanding.make_team(make_engine(engine_url))
    (tmp_path / "scene.jpg").write_bytes(corpus_images()["photo.jpg"])
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.4\n" + b"0" * 3000)
    (tmp_path / "a.md").write_text(ARTICLE, "utf-8")
    return wxops


def test_add_list_show_and_remove(wxops: Wxops) -> None:
    added = wxops("assets", "add", "scene.jpg", "--name", "scene", "--credit", "摄影：王某",
                  "--consent", "已获在场家长授权")
    assert added.status == 0, added.err
    assert "asset:scene" in added.out and "摄影：王某" in added.out
    filed = wxops("assets", "add", "report.pdf", "--name", "annual-report")
    assert filed.status == 0 and "不能链接文件" in filed.out
    listed = wxops("assets", "list").out.splitlines()
    assert [line.split()[0] for line in listed] == ["annual-report", "scene"]
    shown = wxops("assets", "show", "scene").out
    assert "已获在场家长授权" in shown and "image/jpeg" in shown
    assert wxops("assets", "show", "annual-report").out.count("application/pdf") == 1
    taken = wxops("assets", "add", "report.pdf", "--name", "scene")
    assert (taken.code, dict(taken.data)) == ("asset_exists", {"name": "scene"})
    bad = wxops("assets", "add", "report.pdf", "--name", "年报")
    assert bad.code == "asset_invalid" and bad.data["reason"] == "name"
    assert wxops("assets", "remove", "annual-report").status == 0
    assert wxops("assets", "show", "annual-report").code == "asset_unknown"
    assert wxops("assets", "remove", "annual-report").code == "asset_unknown"
    assert wxops("assets", "list").out.split()[0] == "scene"


def test_no_materials_yet(wxops: Wxops) -> None:
    assert wxops("assets", "list").out.strip() == say("assets", "empty")


def stored(engine_url: str, item_id: int) -> tuple[str, set[Code], bool]:
    with SqlUnitOfWork(make_engine(engine_url)) as uow:
        item = uow.items.get(item_id)
        assert item is not None
        check = uow.checks.of(item_id, item.revision)
        assert check is not None
        return item.body, check.codes(), check.refused


def test_an_article_names_a_material_and_its_credit_ends_the_caption(
        wxops: Wxops, engine_url: str, uploads: FakeUpload) -> None:
    wxops("assets", "add", "scene.jpg", "--name", "scene", "--credit", "摄影：王某")
    done = wxops("item", "import", "--new", "a.md", "--as", "王芳")
    assert done.status == 0, done.err
    body, codes, _ = stored(engine_url, 1)
    assert len(uploads.images) == 1 and "mmbiz.qpic.cn" in body
    assert re.search(r"<figcaption[^>]*>收衣现场（摄影：王某）</figcaption>", body), body
    assert Code.IMAGE_NOT_UPLOADED not in codes


def test_a_material_that_is_missing_or_a_file_is_named_not_placed(
        wxops: Wxops, engine_url: str, uploads: FakeUpload) -> None:
    wxops("assets", "add", "report.pdf", "--name", "scene")
    done = wxops("item", "import", "--new", "a.md", "--as", "王芳")
    assert done.status == 0 and "asset:scene" in done.out and uploads.images == []
    assert "<img" not in stored(engine_url, 1)[0]


def test_without_materials_images_are_kept_and_the_preview_serves_them(
        wxops: Wxops, engine_url: str, uploads: FakeUpload) -> None:
    uploads.allowed = False
    wxops("assets", "add", "scene.jpg", "--name", "scene")
    done = wxops("item", "import", "--new", "a.md", "--as", "王芳")
    assert done.status == 0 and uploads.images == []
    assert "asset:scene" in done.out  # named for whoever publishes by hand
    body, codes, refused = stored(engine_url, 1)
    [sha256] = kept_in(body)
    assert Code.IMAGE_KEPT in codes and Code.IMAGE_NOT_UPLOADED not in codes and not refused
    app = App(settings=load_settings({"WXOPS_DATABASE_URL": engine_url, "WXOPS_PUBLIC_URL": PUBLIC,
                                      "WXOPS_APP_ID": "wx1", "WXOPS_APP_SECRET": "s3cret",
                                      "WXOPS_TOKEN": "tok123"}),
              engine=make_engine(engine_url))
    made = link_cases.preview(app.uow(), CONSOLE_ACTOR, 1,
                              Context(now=datetime.now(UTC), command="test"), openid=None,
                              lifetime=timedelta(hours=1))
    assert made.link is not None
    path = PageAddresses.from_settings(app.settings).url(made.link)[len(PUBLIC):]
    client = Client(create_app(app))
    page = client.get(path).get_data(as_text=True)
    token = path.rsplit("/", 1)[1]
    assert f'src="{token}/image/{sha256}"' in page and PREFIX not in page
    image = client.get(f"{path}/image/{sha256}")
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/jpeg"
    with SqlUnitOfWork(app.engine) as uow:
        assert uow.assets.kept(sha256) == ("image/jpeg", image.get_data())
    assert client.get(f"{path}/image/{'0' * 64}").status_code == 404  # not of this article
    assert client.get(f"/preview/x{token}/image/{sha256}").status_code == 404  # not signed
