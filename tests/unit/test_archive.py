"""The archive's pure parts: which moves write an entry (workflow/archive.py), the
bag written file by file and checked (bot/bag.py, checked by the reference
BagIt implementation too), and the export's layout (bot/archive_export.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import bagit  # type: ignore[import-untyped]
import pytest
from sqlalchemy import Engine

from bot import bag
from bot.archive_export import (
    Exporter,
    image_file,
    image_sources,
    metrics_csv,
    published_html,
)
from bot.cli_archive import image_address
from workflow.archive import ArchiveRequest, Reason, to_archive
from workflow.capabilities import FULL, Capabilities, Capability
from workflow.effects import ArchivePublished, DeletePublished
from workflow.machine import decide
from workflow.model import ContentItem, Context
from workflow.roles import SYSTEM_ACTOR, Actor, Role
from workflow.states import Event, State

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
ADMIN = Actor(1, "管理员", frozenset({Role.ADMIN}))


def item(state: State, **values: object) -> ContentItem:
    base = ContentItem(id=12, title="冬季助学", author_id=2, state=state, revision=3,
                       article_id="art_1", url="https://mp.weixin.qq.com/s/x")
    return replace(base, **values)  # type: ignore[arg-type]


# --- which moves write an entry ------------------------------------------------------


def test_archiving_writes_the_entry_of_the_article_online() -> None:
    decision = decide(item(State.PUBLISHED), [], ADMIN, Event.ARCHIVE, Context(now=NOW))
    assert to_archive(decision) == [ArchiveRequest(12, "art_1", Reason.ARCHIVE, 3)]
    assert decision.effects == (ArchivePublished(item_id=12, article_id="art_1"),)


def test_an_article_deleted_or_out_of_reach_is_not_read_when_archived() -> None:
    withdrawn = decide(item(State.WITHDRAWN), [], ADMIN, Event.ARCHIVE, Context(now=NOW))
    assert withdrawn.effects == ()
    assert to_archive(withdrawn) == [ArchiveRequest(12, "art_1", Reason.ARCHIVE, 3)]
    by_hand = decide(item(State.PUBLISHED, article_id=None), [], ADMIN, Event.ARCHIVE,
                     Context(now=NOW))
    assert by_hand.effects == ()
    assert to_archive(by_hand) == [ArchiveRequest(12, "", Reason.ARCHIVE, 3)]


def test_a_withdrawal_writes_the_entry_of_the_article_it_deletes() -> None:
    decision = decide(item(State.PUBLISHED), [], ADMIN, Event.WITHDRAW,
                      Context(now=NOW, capabilities=FULL))
    assert sum(isinstance(e, DeletePublished) for e in decision.effects) == 1
    assert to_archive(decision) == [ArchiveRequest(12, "art_1", Reason.WITHDRAW, 3)]


def test_a_withdrawal_deleted_by_hand_still_writes_the_entry() -> None:
    by_hand = Capabilities(FULL.kind, {Capability.FREE_PUBLISH: NOW})
    decision = decide(item(State.PUBLISHED), [], ADMIN, Event.WITHDRAW,
                      Context(now=NOW, capabilities=by_hand))
    assert not any(isinstance(e, DeletePublished) for e in decision.effects)
    assert to_archive(decision) == [ArchiveRequest(12, "art_1", Reason.WITHDRAW, 3)]


def test_a_republish_writes_the_entry_of_the_article_it_replaces() -> None:
    publishing = item(State.PUBLISHING, revision=5)
    decision = decide(publishing, [], SYSTEM_ACTOR, Event.PUBLISH_SUCCEEDED,
                      Context(now=NOW, extra={"article_id": "art_2", "url": "u2"}))
    # the revision the old article shows is found in the audit trail (None here)
    assert to_archive(decision) == [ArchiveRequest(12, "art_1", Reason.REPLACED, None)]


def test_other_moves_write_no_entry() -> None:
    first = item(State.PUBLISHING, article_id=None)
    decision = decide(first, [], SYSTEM_ACTOR, Event.PUBLISH_SUCCEEDED,
                      Context(now=NOW, extra={"article_id": "art_1", "url": "u"}))
    assert to_archive(decision) == []
    decision = decide(item(State.PUBLISHED), [], ADMIN, Event.RECHECK_OK, Context(now=NOW))
    assert to_archive(decision) == []


# --- the bag -------------------------------------------------------------------------


def write(root: Path, files: dict[str, bytes]) -> bag.Counts:
    writer = bag.BagWriter(root)
    for path, data in files.items():
        writer.put(path, data)
    (root / "index.html").write_bytes(b"<html></html>")
    return writer.close(["index.html"], {"Bagging-Date": "2026-12-07"})


def test_a_bag_is_valid_for_the_reference_implementation(tmp_path: Path) -> None:
    counts = write(tmp_path, {"items/1/meta.json": b"{}", "items/1/images/a.png": b"\x89PNG",
                              "items/2/a b.txt": b"x"})
    assert (counts.written, counts.unchanged) == (3, 0)
    checked = bagit.Bag(str(tmp_path))
    checked.validate()  # raises BagValidationError on any fault
    assert checked.info["Payload-Oxum"] == "7.3"
    assert bag.verify(tmp_path) is None


def test_a_second_write_of_the_same_bytes_writes_nothing(tmp_path: Path) -> None:
    write(tmp_path, {"a.txt": b"one", "b.txt": b"two", "c.txt": b"three"})
    before = (tmp_path / "data/a.txt").stat().st_mtime_ns
    counts = write(tmp_path, {"a.txt": b"one", "b.txt": b"TWO"})
    assert (counts.written, counts.unchanged, counts.removed) == (1, 1, 1)
    assert (tmp_path / "data/a.txt").stat().st_mtime_ns == before
    assert not (tmp_path / "data/c.txt").exists()
    bagit.Bag(str(tmp_path)).validate()


@pytest.mark.parametrize(("old", "new", "on_disk", "written"), [
    (None, "h1", False, True), ("h1", "h1", True, False), ("h1", "h2", True, True),
    ("h1", "h1", False, True)])
def test_what_is_written(old: str | None, new: str, on_disk: bool, written: bool) -> None:
    assert bag.needs_writing(old, new, on_disk) is written


def test_a_file_that_fails_half_way_leaves_nothing(tmp_path: Path) -> None:
    writer = bag.BagWriter(tmp_path)

    def broken() -> Iterator[bytes]:
        yield b"part"
        raise OSError("connection reset")
    with pytest.raises(OSError):
        writer.put_chunks("images/a.png", broken())
    writer.close([], {})
    assert bag.verify(tmp_path) is None and not list((tmp_path / "data").rglob("*.part"))


@pytest.mark.parametrize(("damage", "problem"), [
    (lambda root: (root / "data/a.txt").write_bytes(b"ONE"), bag.Problem("data/a.txt", "changed")),
    (lambda root: (root / "data/a.txt").unlink(), bag.Problem("data/a.txt", "missing")),
    (lambda root: (root / "data/new.txt").write_bytes(b"?"), bag.Problem("data/new.txt",
                                                                         "unlisted")),
    (lambda root: (root / "bag-info.txt").write_text("x"), bag.Problem("bag-info.txt",
                                                                       "changed")),
    (lambda root: (root / "manifest-sha256.txt").unlink(),
     bag.Problem("manifest-sha256.txt", "missing")),
])
def test_verify_names_the_first_problem(tmp_path: Path, damage: Callable[[Path], object],
                                        problem: bag.Problem) -> None:
    write(tmp_path, {"a.txt": b"one"})
    damage(tmp_path)
    assert bag.verify(tmp_path) == problem


def test_manifest_lines_round_trip() -> None:
    entries = {"data/a b.txt": "0" * 64, "data/100%\r\n.txt": "1" * 64}
    text = bag.manifest_text(entries.items()).decode()
    assert "data/100%25%0D%0A.txt" in text
    assert bag.parse_manifest(text) == entries


# --- the export's layout -------------------------------------------------------------


def test_images_of_an_article() -> None:
    html = ('<p><img src="http://mmbiz.qpic.cn/mmbiz_png/ab/0?wx_fmt=png"></p>'
            "<img data-src='https://mmbiz.qpic.cn/x/0?wx_fmt=jpeg' class=x>"
            '<img src="http://mmbiz.qpic.cn/mmbiz_png/ab/0?wx_fmt=png">')
    assert image_sources(html) == ["http://mmbiz.qpic.cn/mmbiz_png/ab/0?wx_fmt=png",
                                   "https://mmbiz.qpic.cn/x/0?wx_fmt=jpeg"]
    files = [image_file(src) for src in image_sources(html)]
    assert [f.rsplit(".", 1)[1] for f in files] == ["png", "jpg"]
    assert len(set(files)) == 2 and image_file("https://e.org/a.gif").endswith(".gif")
    kept = "https://wxops.invalid/kept/" + "a" * 64
    assert image_file(kept, "image/png").endswith(".png") and image_file(kept).endswith(".img")


def test_images_come_from_the_emulator_only_against_it() -> None:
    src = "http://mmbiz.qpic.cn/mmbiz_png/ab/0?wx_fmt=png"
    assert image_address(src, "https://api.weixin.qq.com") == src
    assert image_address(src, "http://127.0.0.1:9000/") == (
        "http://127.0.0.1:9000/mmbiz_png/ab/0?wx_fmt=png")
    assert image_address("https://e.org/a.png", "http://127.0.0.1:9000") == (
        "https://e.org/a.png")


def record(state: str, entries: list[dict[str, object]], body: str = "<p>body</p>"
           ) -> dict[str, object]:
    return {"item": {"state": state, "article_id": "art_2", "body": body},
            "archive": entries, "audit": [], "revisions": []}


def entry(article: str, html: str, platform: str | None, reason: str = "withdraw"
          ) -> dict[str, object]:
    return {"article_id": article, "html": html, "platform_html": platform, "reason": reason}


def read(article_id: str) -> str | None:
    return f"<p>live {article_id}</p>"


def test_which_html_is_the_published_one() -> None:
    withdrawn = record("withdrawn", [entry("art_1", "<p>old</p>", "<p>old online</p>"),
                                     entry("art_2", "<p>rev</p>", "<p>platform</p>")])
    assert published_html(withdrawn, read) == ("<p>platform</p>", "platform")
    # an older article's entry is not the current article
    replaced = record("published", [entry("art_1", "<p>old</p>", "<p>old online</p>")])
    assert published_html(replaced, read) == ("<p>live art_2</p>", "platform")
    assert published_html(replaced, None) == ("<p>body</p>", "revision")
    by_hand = record("archived", [entry("art_2", "<p>rev</p>", None)])
    assert published_html(by_hand, read) == ("<p>rev</p>", "revision")
    # archived, not deleted: the article is still online
    archived = record("archived", [entry("art_2", "<p>rev</p>", None, "archive")])
    assert published_html(archived, read) == ("<p>live art_2</p>", "platform")
    assert published_html(archived, None) == ("<p>rev</p>", "revision")


def test_an_item_being_revised_shows_the_revision_it_published() -> None:
    revising = record("in_review", [], body="<p>draft nobody approved</p>")
    revising["audit"] = [{"event": "publish_succeeded", "revision": 2},
                         {"event": "edit", "revision": 3}]
    revising["revisions"] = [{"revision": 2, "body": "<p>as published</p>"},
                             {"revision": 3, "body": "<p>draft nobody approved</p>"}]
    assert published_html(revising, None) == ("<p>as published</p>", "revision")
    assert published_html(revising, read) == ("<p>live art_2</p>", "platform")


def test_metrics_csv_keeps_read_sources_as_json() -> None:
    text = metrics_csv([{"id": 1, "item_id": 12, "msgid": "m", "day": "2026-12-01",
                         "reads": 3, "read_sources": {"b": 1, "a": 2}}]).decode()
    header, row = text.splitlines()
    assert header.startswith("id,item_id,msgid,day,reads")
    assert '"{""a"": 2, ""b"": 1}"' in row


def test_an_image_is_fetched_at_the_address_its_attribute_means() -> None:
    asked: list[str] = []

    def fetch(src: str) -> Iterator[bytes]:
        asked.append(src)
        return iter((b"png",))
    exporter = Exporter(cast(Engine, None), fetch)  # no image kept in wxops: no database
    src = image_sources('<img src="https://e.org/a.png?x=1&amp;y=2">')[0]
    assert list(exporter._bytes(src)) == [b"png"]
    assert asked == ["https://e.org/a.png?x=1&y=2"]


def test_the_last_bag_s_bytes_are_reused_only_as_its_manifest_says(tmp_path: Path) -> None:
    write(tmp_path, {"items/1/published.html": b"<p>as read</p>", "items/1/meta.json": b"{}"})
    (tmp_path / "data/items/1/meta.json").write_bytes(b'{"changed": 1}')
    writer = bag.BagWriter(tmp_path)
    assert writer.last("items/1/published.html") == b"<p>as read</p>"
    assert writer.last("items/1/meta.json") is None  # changed since: not trusted
    assert writer.last("items/2/published.html") is None
    writer.close([], {})
