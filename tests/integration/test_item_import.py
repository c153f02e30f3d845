"""`wxops item import`: the corpus's Markdown files and a Word file written as
revisions on both engines, their images uploaded through a fake gateway that
counts the calls (each distinct image once), an account without materials
keeping them out, and the front matter's title, digest and sensitive flag."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot import cli_import
from bot.wechat_errors import NotCalled
from storage.db import make_engine
from storage.uow import SqlUnitOfWork
from tests.integration import commanding
from tests.integration.clirun import Wxops
from tests.unit.layout_fixtures import corpus_images, word_file
from workflow.capabilities import Capability

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
TITLED = sorted(p for p in CORPUS.glob("*.md") if p.read_text("utf-8").startswith("---\ntitle:"))


class FakeUploads:
    """media/uploadimg as the emulator answers it, counted; or refused as an
    account without materials is (the gateway's NotCalled, no call made)."""

    def __init__(self, allowed: bool = True) -> None:
        self.allowed, self.calls = allowed, 0

    def __call__(self, name: str, data: bytes) -> str:
        if not self.allowed:
            raise NotCalled(Capability.MATERIALS, "media/uploadimg", "subscription", False)
        self.calls += 1
        return f"http://mmbiz.qpic.cn/mmbiz_png/{self.calls}/0?wx_fmt=png"


@pytest.fixture
def uploads(monkeypatch: pytest.MonkeyPatch) -> FakeUploads:
    fake = FakeUploads()
    monkeypatch.setattr(cli_import, "_upload", lambda app: fake)
    return fake


@pytest.fixture
def wxops(engine_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
          capsys: pytest.CaptureFixture[str]) -> Wxops:
    cli = Wxops(monkeypatch, capsys, tmp_path, WXOPS_DATABASE_URL=engine_url)
    assert cli("db", "upgrade").status == 0
    commanding.make_team(make_engine(engine_url))
    for name, data in corpus_images().items():
        (tmp_path / name).write_bytes(data)
    return cli


def stored(engine_url: str, item_id: int) -> tuple[str, str, bool, bool]:
    with SqlUnitOfWork(make_engine(engine_url)) as uow:
        item = uow.items.get(item_id)
        assert item is not None
        check = uow.checks.of(item_id, item.revision)
        assert check is not None
        return item.title, item.body, item.sensitive, check.refused


def test_every_titled_shape_of_the_corpus_becomes_an_item(wxops: Wxops, tmp_path: Path,
                                                          engine_url: str,
                                                          uploads: FakeUploads) -> None:
    for number, source in enumerate(TITLED, start=1):
        shutil.copy(source, tmp_path / source.name)
        done = wxops("item", "import", "--new", source.name, "--as", "王芳")
        assert done.status == 0, (source.name, done.err)
        title, body, _, _ = stored(engine_url, number)
        assert title and body and "<style" not in body
    first = uploads.calls
    assert first > 0
    again = wxops("item", "import", "1", TITLED[0].name, "--as", "王芳")
    images_file = next(p.name for p in TITLED if "image-formats" in p.name)
    wxops("item", "import", "2", images_file, "--as", "王芳")
    assert again.status == 0 and uploads.calls == first  # the same images: none uploaded again


def test_a_word_file_brings_its_images(wxops: Wxops, tmp_path: Path, engine_url: str,
                                       uploads: FakeUploads) -> None:
    assert wxops("item", "plan", "助学周报", "--as", "王芳").status == 0
    (tmp_path / "report.docx").write_bytes(word_file())
    done = wxops("item", "import", "1", "report.docx", "--as", "王芳")
    assert done.status == 0, done.err
    _, body, _, _ = stored(engine_url, 1)
    assert uploads.calls >= 1 and body.count("mmbiz.qpic.cn") >= 1


def test_without_materials_images_stay_out_and_nothing_is_called(
        wxops: Wxops, tmp_path: Path, engine_url: str, uploads: FakeUploads) -> None:
    uploads.allowed = False
    source = next(p for p in TITLED if "image-formats" in p.name)
    shutil.copy(source, tmp_path / source.name)
    done = wxops("item", "import", "--new", source.name, "--as", "王芳")
    assert done.status == 0 and uploads.calls == 0
    _, body, _, _ = stored(engine_url, 1)
    assert "<img" not in body


def test_the_front_matter_titles_and_marks_the_item(wxops: Wxops, tmp_path: Path,
                                                    engine_url: str,
                                                    uploads: FakeUploads) -> None:
    (tmp_path / "a.md").write_text("---\ntitle: 冬衣募集\ndigest: 本周六收衣\nsensitive: true\n"
                                   "---\n\n周六上午九点在社区中心收冬衣。\n", "utf-8")
    assert wxops("item", "import", "--new", "a.md", "--as", "王芳").status == 0
    title, body, sensitive, refused = stored(engine_url, 1)
    assert (title, sensitive, refused) == ("冬衣募集", True, False) and "收冬衣" in body
    untitled = tmp_path / "b.md"
    untitled.write_text("没有标题的正文。\n", "utf-8")
    missing = wxops("item", "import", "--new", "b.md", "--as", "王芳")
    assert missing.failure is not None and missing.failure.code == "title_missing"
    usage = wxops("item", "import", "a.md", "--as", "王芳")
    assert usage.failure is not None and usage.failure.code == "import_usage"
