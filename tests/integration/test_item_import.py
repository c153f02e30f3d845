"""`wxops item import`: the corpus's Markdown files and a Word file written as
revisions on both engines, their images uploaded through a fake gateway that
counts the calls (each distinct image once), an account without materials
keeping them out, and the front matter's title, digest and sensitive flag."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot import cli_import
from storage.db import make_engine
from storage.uow import SqlUnitOfWork
from tests.integration import commanding
from tests.integration.clirun import Wxops
from tests.unit.layout_fixtures import FakeUpload, corpus_images, word_file
from workflow.kept_images import PREFIX, kept_in

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
TITLED = sorted(p for p in CORPUS.glob("*.md") if p.read_text("utf-8").startswith("---\ntitle:"))


def fake_uploads(monkeypatch: pytest.MonkeyPatch) -> FakeUpload:
    """``wxops item import``'s uploads, through the fake (for this module and others)."""
    fake = FakeUpload()
    monkeypatch.setattr(cli_import, "_upload", lambda app: fake)
    return fake


@pytest.fixture
def uploads(monkeypatch: pytest.MonkeyPatch) -> FakeUpload:
    return fake_uploads(monkeypatch)


@pytest.fixture
def wxops(wxops: Wxops, engine_url: str, tmp_path: Path) -> Wxops:
    """The upgraded in-process `wxops` (conftest), with a team and the corpus's images."""
    commanding.make_team(make_engine(engine_url))
    for name, data in corpus_images().items():
        (tmp_path / name).write_bytes(data)
    return wxops


def stored(engine_url: str, item_id: int) -> tuple[str, str, bool, bool]:
    with SqlUnitOfWork(make_engine(engine_url)) as uow:
        item = uow.items.get(item_id)
        assert item is not None
        check = uow.checks.of(item_id, item.revision)
        assert check is not None
        return item.title, item.body, item.sensitive, check.refused


def test_every_titled_shape_of_the_corpus_becomes_an_item(wxops: Wxops, tmp_path: Path,
                                                          engine_url: str,
                                                          uploads: FakeUpload) -> None:
    for number, source in enumerate(TITLED, start=1):
        shutil.copy(source, tmp_path / source.name)
        done = wxops("item", "import", "--new", source.name, "--as", "王芳")
        assert done.status == 0, (source.name, done.err)
        title, body, _, _ = stored(engine_url, number)
        assert title and body and "<style" not in body
    first = len(uploads.images)
    assert first > 0
    again = wxops("item", "import", "1", TITLED[0].name, "--as", "王芳")
    images_file = next(p.name for p in TITLED if "image-formats" in p.name)
    wxops("item", "import", "2", images_file, "--as", "王芳")
    assert again.status == 0 and len(uploads.images) == first  # the same images: none again


def test_a_word_file_brings_its_images(wxops: Wxops, tmp_path: Path, engine_url: str,
                                       uploads: FakeUpload) -> None:
    assert wxops("item", "plan", "助学周报", "--as", "王芳").status == 0
    (tmp_path / "report.docx").write_bytes(word_file())
    done = wxops("item", "import", "1", "report.docx", "--as", "王芳")
    assert done.status == 0, done.err
    _, body, _, _ = stored(engine_url, 1)
    assert len(uploads.images) >= 1 and body.count("mmbiz.qpic.cn") >= 1


def test_without_materials_images_are_kept_for_the_preview_and_nothing_is_called(
        wxops: Wxops, tmp_path: Path, engine_url: str, uploads: FakeUpload) -> None:
    uploads.allowed = False
    source = next(p for p in TITLED if "image-formats" in p.name)
    shutil.copy(source, tmp_path / source.name)
    done = wxops("item", "import", "--new", source.name, "--as", "王芳")
    assert done.status == 0 and uploads.images == [] and uploads.asked >= 1
    _, body, _, _ = stored(engine_url, 1)
    kept = kept_in(body)
    assert kept and body.count("<img") == body.count(PREFIX)  # every image a placeholder
    assert all(name in done.out for name in ("photo.jpg", "logo.png"))


def test_the_front_matter_titles_and_marks_the_item(wxops: Wxops, tmp_path: Path,
                                                    engine_url: str,
                                                    uploads: FakeUpload) -> None:
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


@pytest.mark.parametrize(("name", "data", "said"), [
    ("a.docx", b"not a Word file", "打不开这个 Word 文件：只认 .docx"),
    ("a.md", "---\ntitel: 冬衣\n---\n正文\n".encode(), "front matter 里没有 titel 这个键，可用："),
    ("a.md", "---\nexpires: 下周\n---\n正文\n".encode(), "expires「下周」不是日期"),
    ("a.md", "---\ntitle: 冬衣\n---\n正文\n".encode("utf-16"), "文件不是 UTF-8 编码"),
])
def test_a_file_that_cannot_be_laid_out_is_said_for_its_reason(
        wxops: Wxops, tmp_path: Path, name: str, data: bytes, said: str) -> None:
    """Each reason in its own words (a Word file was told to check its front
    matter and its UTF-8 before), the code kept."""
    (tmp_path / name).write_bytes(data)
    ran = wxops("item", "import", "--new", name, "--as", "王芳")
    assert ran.status == 1 and ran.code == "article_unreadable"
    assert said in ran.err and len(ran.err.strip().splitlines()) == 1, ran.err
    assert f"（{ran.data['reason']}）" in ran.err


def test_the_reviewer_sees_what_the_article_says_of_itself(wxops: Wxops, tmp_path: Path,
                                                           engine_url: str,
                                                           uploads: FakeUpload) -> None:
    (tmp_path / "notice.md").write_text(
        "---\ntitle: 冬衣募集\nauthor: 社区服务队\ncomments: false\nexpires: 2026-12-20\n"
        "cover: photo.jpg\nsources:\n  - 街道通知 https://example.org/notice\n---\n\n收冬衣。\n",
        "utf-8")
    assert wxops("item", "import", "--new", "notice.md", "--as", "王芳").status == 0
    assert len(uploads.materials) == 1
    shown = wxops("item", "show", "1").out
    chat = commanding.say(make_engine(engine_url), "o_staff0", "查看 1")
    for text in (shown, chat):
        assert "署名：社区服务队" in text and "留言：关闭" in text and "2026年12月20日" in text
        assert "封面：photo.jpg" in text and "- 街道通知 https://example.org/notice" in text
    (tmp_path / "notice.md").write_text("---\ntitle: 冬衣募集\n---\n\n收冬衣。\n", "utf-8")
    assert wxops("item", "import", "1", "notice.md", "--as", "王芳").status == 0
    shown = wxops("item", "show", "1").out  # a later import replaces all of it
    assert "署名：不署名" in shown and "留言：开启" in shown and "来源" not in shown
