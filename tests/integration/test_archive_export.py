"""`wxops archive export|verify|import` on each database, against the emulator:
published, withdrawn and archived items exported as a BagIt bag with the
platform's HTML and images; a second export writes only what changed; a
tampered file is named; the bag imported into an empty database exports again
the same."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select, update

from bot.archive_export import DEFAULT_COVER_FILE
from bot.deliveries import DEFAULT_COVER
from bot.worker import make_gateway
from storage.db import make_engine
from storage.models import (
    ArticleMetric,
    ContentItemRow,
    KeptImageRow,
    Revision,
    UploadedMaterialRow,
)
from tests.integration.clirun import Ran, Wxops
from tests.integration.conftest import APP_ID, TOKEN
from tests.integration.test_publish_cycle import Desk, desk, moved, wechat
from workflow import kept_images
from workflow.states import State

__all__ = ["desk", "wechat"]  # the fixtures this module uses

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


@pytest.fixture
def second_url(engine: Engine, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """Another empty database on the engine's kind, for the import."""
    if engine.dialect.name == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    yield from request.getfixturevalue("pg_server").lend()


class Cli:
    """`wxops` in this process on one database or another, against the emulator."""

    def __init__(self, desk: Desk, monkeypatch: pytest.MonkeyPatch,
                 capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        self.desk, self.monkeypatch, self.capsys = desk, monkeypatch, capsys
        self.tmp_path = tmp_path

    def on(self, url: str, *argv: str) -> Ran:
        cli = Wxops(self.monkeypatch, self.capsys, self.tmp_path, WXOPS_DATABASE_URL=url,
                    WXOPS_APP_ID=APP_ID, WXOPS_APP_SECRET="secret", WXOPS_TOKEN=TOKEN,
                    WXOPS_WECHAT_API_BASE=self.desk.wechat)
        return cli(*argv)

    def __call__(self, *argv: str) -> Ran:
        return self.on(self.desk.engine.url.render_as_string(hide_password=False), *argv)


@pytest.fixture
def cli(desk: Desk, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> Cli:
    return Cli(desk, monkeypatch, capsys, tmp_path)


def publish_with_image(desk: Desk, title: str) -> int:
    url = make_gateway(desk.team.account.app).upload_image("a.png", PNG)["url"]
    item_id = desk.team.approved(title, body=f'<p>{title}的正文。</p><p><img src="{url}"></p>')
    code = desk.ask("admin", f"发布 {item_id}").context["code"]
    assert moved(desk.ask("admin", f"确认 {code}"), State.APPROVED, State.PUBLISHING)
    desk.work()
    assert desk.item(item_id).state == State.PUBLISHED.value
    return item_id


def history(desk: Desk) -> tuple[int, int, int]:
    """One item published (with figures), one withdrawn, one archived."""
    kept = publish_with_image(desk, "冬季助学")
    gone = publish_with_image(desk, "夏令营报名")
    old = publish_with_image(desk, "年度报告")
    code = desk.ask("admin", f"撤回 {gone}").context["code"]
    assert moved(desk.ask("admin", f"确认 {code}"), State.PUBLISHED, State.WITHDRAWN)
    assert moved(desk.ask("admin", f"归档 {old}"), State.PUBLISHED, State.ARCHIVED)
    desk.worker.send()  # the withdrawn article comes down, its HTML read first
    with desk.engine.begin() as conn:
        conn.execute(insert(ArticleMetric).values(
            item_id=kept, msgid="2247_1", day=date(2026, 12, 1), reads=40, read_users=30,
            shares=2, share_users=2, favorites=1, read_sources={"朋友圈": 12},
            published_on=date(2026, 11, 30), age=2))
    return kept, gone, old


def files(root: Path) -> dict[str, float]:
    return {p.relative_to(root).as_posix(): p.stat().st_mtime_ns
            for p in root.rglob("*") if p.is_file()}


def test_export_verify_import_round_trip(desk: Desk, cli: Cli, tmp_path: Path,
                                         second_url: str) -> None:
    kept, gone, old = history(desk)
    out = tmp_path / "archive"
    assert cli("archive", "export", "--out", str(out)).status == 0
    items = out / "data" / "items"
    assert sorted(int(p.name) for p in items.iterdir()) == [kept, gone, old]
    for item_id in (kept, gone, old):
        folder = items / str(item_id)
        meta = json.loads((folder / "meta.json").read_text("utf-8"))
        assert meta["html_from"] == "platform"  # the archived article is still online
        [image] = meta["images"]
        assert (folder / image["file"]).read_bytes() == PNG
        assert image["file"] in (folder / "article.html").read_text("utf-8")
        assert {"item", "people", "reviews", "audit", "revisions", "archive"} <= set(meta)
        # No cover of its own: the account's default one, which its draft was given.
        assert meta["cover_image"]["file"] == DEFAULT_COVER_FILE
        assert (folder / DEFAULT_COVER_FILE).read_bytes() == DEFAULT_COVER.read_bytes()
    gone_meta = json.loads((items / str(gone) / "meta.json").read_text("utf-8"))
    assert gone_meta["archive"][0]["platform_html"] == (
        items / str(gone) / "published.html").read_text("utf-8")
    with (items / str(kept) / "metrics.csv").open(encoding="utf-8") as stream:
        [figures] = list(csv.DictReader(stream))
    assert (figures["reads"], json.loads(figures["read_sources"])) == ("40", {"朋友圈": 12})
    index = (out / "index.html").read_text("utf-8")
    assert all(f"data/items/{i}/article.html" in index for i in (kept, gone, old))
    assert cli("archive", "verify", str(out)).status == 0

    # Into an empty database, then out again: the same payload, file for file.
    assert cli.on(second_url, "db", "upgrade").status == 0
    assert cli.on(second_url, "archive", "import", str(out)).status == 0
    again = tmp_path / "again"
    assert cli.on(second_url, "archive", "export", "--out", str(again)).status == 0
    assert (again / "manifest-sha256.txt").read_text() == (out / "manifest-sha256.txt").read_text()
    refused = cli.on(second_url, "archive", "import", str(out))
    assert (refused.status, refused.code) == (1, "archive_import_not_empty")
    assert len(refused.err.strip().splitlines()) == 1

    # A file changed, then one gone: named, in one line, exit 1.
    meta = items / str(kept) / "meta.json"
    meta.write_bytes(meta.read_bytes().replace(b"\"published\"", b"\"archived\"", 1))
    tampered = cli("archive", "verify", str(out))
    assert (tampered.status, tampered.code, tampered.data) == (
        1, "archive_tampered", {"path": f"data/items/{kept}/meta.json", "why": "changed"})
    assert len(tampered.err.strip().splitlines()) == 1
    (again / "data" / "items" / str(old) / "source.html").unlink()
    missing = cli("archive", "verify", str(again))
    assert (missing.code, missing.data) == (
        "archive_tampered", {"path": f"data/items/{old}/source.html", "why": "missing"})


def test_an_articles_own_cover_goes_out_and_comes_back(desk: Desk, cli: Cli, tmp_path: Path,
                                                      second_url: str) -> None:
    """A cover wxops uploaded (material/add_material) is downloaded by its address,
    and the import puts it back among the uploaded materials."""
    item_id = publish_with_image(desk, "冬季助学")
    cover = PNG + b"cover"
    uploaded = make_gateway(desk.team.account.app).add_material("image", "c.png", cover)
    with desk.engine.begin() as conn:
        conn.execute(insert(UploadedMaterialRow).values(
            sha256=hashlib.sha256(cover).hexdigest(), media_id=uploaded["media_id"],
            url=uploaded["url"], uploaded_at=NOW))
        conn.execute(update(ContentItemRow).where(ContentItemRow.id == item_id)
                     .values(cover=uploaded["media_id"]))
    out = tmp_path / "archive"
    assert cli("archive", "export", "--out", str(out)).status == 0
    folder = out / "data" / "items" / str(item_id)
    meta = json.loads((folder / "meta.json").read_text("utf-8"))
    assert meta["cover_image"]["media_id"] == uploaded["media_id"]
    assert (folder / meta["cover_image"]["file"]).read_bytes() == cover
    assert cli.on(second_url, "db", "upgrade").status == 0
    assert cli.on(second_url, "archive", "import", str(out)).status == 0
    again = tmp_path / "again"
    assert cli.on(second_url, "archive", "export", "--out", str(again)).status == 0
    assert (again / "manifest-sha256.txt").read_text() == (out / "manifest-sha256.txt").read_text()


def test_a_second_export_writes_only_what_changed(desk: Desk, cli: Cli, tmp_path: Path) -> None:
    kept, _gone, _old = history(desk)
    out = tmp_path / "archive"
    assert cli("archive", "export", "--out", str(out)).status == 0
    first, read = files(out), len(desk.calls("freepublish/getarticle"))
    assert cli("archive", "export", "--out", str(out)).status == 0
    second = files(out)
    assert {p: t for p, t in second.items() if p.startswith("data/")} == {
        p: t for p, t in first.items() if p.startswith("data/")}
    # the article online was read the first time; its HTML does not change
    assert read and len(desk.calls("freepublish/getarticle")) == read
    with desk.engine.begin() as conn:
        conn.execute(insert(ArticleMetric).values(
            item_id=kept, msgid="2247_1", day=date(2026, 12, 2), reads=5, read_sources={}))
    ran = cli("archive", "export", "--out", str(out))
    assert ran.status == 0
    third = files(out)
    changed = sorted(p for p in third if p.startswith("data/") and third[p] != second.get(p))
    assert changed == [f"data/items/{kept}/metrics.csv"]
    assert cli("archive", "verify", str(out)).status == 0


def test_a_zip_export_verifies_and_imports(desk: Desk, cli: Cli, tmp_path: Path,
                                          second_url: str) -> None:
    publish_with_image(desk, "冬季助学")
    out = tmp_path / "archive.zip"
    assert cli("archive", "export", "--out", str(out), "--offline").status == 0
    assert cli("archive", "verify", str(out)).status == 0
    with zipfile.ZipFile(out) as zipped:
        assert "archive/index.html" in zipped.namelist()
    # A zip's export starts from the last one too: the article is not read again.
    online = tmp_path / "online.zip"
    assert cli("archive", "export", "--out", str(online)).status == 0
    read = len(desk.calls("freepublish/getarticle"))
    assert read and cli("archive", "export", "--out", str(online)).status == 0
    assert len(desk.calls("freepublish/getarticle")) == read
    assert cli("archive", "verify", str(online)).status == 0
    assert cli.on(second_url, "db", "upgrade").status == 0
    assert cli.on(second_url, "archive", "import", str(out)).status == 0
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(out) as source, zipfile.ZipFile(broken, "w") as copy:
        for name in source.namelist():
            data = source.read(name)
            copy.writestr(name, data + b" " if name.endswith("source.html") else data)
    tampered = cli("archive", "verify", str(broken))
    assert tampered.code == "archive_tampered" and tampered.data["why"] == "changed"
    assert os.path.basename(tampered.data["path"]) == "source.html"




def test_images_kept_in_wxops_go_out_and_come_back(desk: Desk, cli: Cli, tmp_path: Path,
                                                   second_url: str) -> None:
    """An image the account could not upload lives in wxops (kept_images): the
    export takes its bytes from there, and the import puts them back."""
    item_id = publish_with_image(desk, "冬季助学")
    sha = hashlib.sha256(PNG + b"kept").hexdigest()
    with desk.engine.begin() as conn:
        conn.execute(insert(KeptImageRow).values(sha256=sha, content_type="image/png",
                                                 data=PNG + b"kept", kept_at=NOW))
        body = f'<p>正文</p><img src="{kept_images.placeholder(sha)}">'
        conn.execute(update(ContentItemRow).where(ContentItemRow.id == item_id).values(body=body))
        conn.execute(update(Revision).where(Revision.item_id == item_id).values(body=body))
    out = tmp_path / "archive"
    assert cli("archive", "export", "--out", str(out), "--offline").status == 0
    meta = json.loads((out / "data" / "items" / str(item_id) / "meta.json").read_text("utf-8"))
    [image] = meta["images"]
    assert image["file"].endswith(".png")
    assert cli.on(second_url, "db", "upgrade").status == 0
    assert cli.on(second_url, "archive", "import", str(out)).status == 0
    restored = make_engine(second_url)
    with restored.connect() as conn:
        kept = conn.execute(select(KeptImageRow.content_type, KeptImageRow.data)).one()
    restored.dispose()
    assert (kept.content_type, bytes(kept.data)) == ("image/png", PNG + b"kept")
    again = tmp_path / "again"
    assert cli.on(second_url, "archive", "export", "--out", str(again), "--offline").status == 0
    assert (again / "manifest-sha256.txt").read_text() == (out / "manifest-sha256.txt").read_text()


@pytest.mark.parametrize("content", [b"", b"not a zip\n", b"PK\x03\x04 cut short"])
def test_a_file_that_is_not_a_zip_is_refused_in_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        content: bytes) -> None:
    """`archive verify` and `archive import` of a file zipfile cannot open: one
    line naming it (a traceback of zipfile.BadZipFile before)."""
    given = tmp_path / "archive.zip"
    given.write_bytes(content)
    cli = Wxops(monkeypatch, capsys, tmp_path,
                WXOPS_DATABASE_URL=f"sqlite:///{tmp_path / 'wxops.db'}")
    for command in ("verify", "import"):
        ran = cli("archive", command, str(given))
        assert (ran.status, ran.code, dict(ran.data)) == (
            1, "archive_not_a_bag", {"path": str(given)}), command
        assert ran.err.startswith(f"wxops: {given} 不是归档") and len(ran.err.splitlines()) == 1


def test_a_zip_without_a_bag_is_refused_on_import_as_on_verify(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    given = tmp_path / "other.zip"
    with zipfile.ZipFile(given, "w") as zipped:
        zipped.writestr("notes.txt", "no bag here")
    cli = Wxops(monkeypatch, capsys, tmp_path,
                WXOPS_DATABASE_URL=f"sqlite:///{tmp_path / 'wxops.db'}")
    for command in ("verify", "import"):
        ran = cli("archive", command, str(given))
        assert (ran.status, ran.code, dict(ran.data)) == (
            1, "archive_tampered", {"path": "bagit.txt", "why": "missing"}), command


def test_an_archive_without_items_imports_as_none(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The export of a database with nothing published has no data/items/: its
    import brings back no item (a FileNotFoundError traceback before)."""
    cli = Wxops(monkeypatch, capsys, tmp_path,
                WXOPS_DATABASE_URL=f"sqlite:///{tmp_path / 'wxops.db'}")
    assert cli("db", "upgrade").status == 0
    for out in (tmp_path / "archive", tmp_path / "archive.zip"):
        assert cli("archive", "export", "--out", str(out), "--offline").status == 0
        empty = Wxops(monkeypatch, capsys, tmp_path,
                      WXOPS_DATABASE_URL=f"sqlite:///{tmp_path / (out.name + '.db')}")
        assert empty("db", "upgrade").status == 0
        ran = empty("archive", "import", str(out))
        assert (ran.status, ran.err) == (0, ""), ran.err
