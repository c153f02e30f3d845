"""The archive's entries, on each database, with the real worker against the
emulator: 归档 writes the item's entry in its own transaction; a withdrawal
writes it when confirmed, and the worker reads the platform's HTML into it
before the delete, so no article is deleted without its entry."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from storage.models import ArchiveEntryRow
from tests.integration.test_publish_cycle import Desk, desk, moved, published, revised, wechat
from workflow.states import State

__all__ = ["desk", "wechat"]  # the fixtures this module uses


def entries(desk: Desk, item_id: int) -> list[dict[str, Any]]:
    with desk.engine.connect() as conn:
        rows = conn.execute(select(ArchiveEntryRow).where(ArchiveEntryRow.item_id == item_id)
                            .order_by(ArchiveEntryRow.id)).mappings().all()
    return [dict(r) for r in rows]


def withdrawn(desk: Desk, item_id: int) -> None:
    code = desk.ask("admin", f"撤回 {item_id}").context["code"]
    assert moved(desk.ask("admin", f"确认 {code}"), State.PUBLISHED, State.WITHDRAWN)


def test_archiving_stores_the_entry_at_that_moment(desk: Desk) -> None:
    item_id = published(desk)
    assert entries(desk, item_id) == []
    assert moved(desk.ask("admin", f"归档 {item_id}"), State.PUBLISHED, State.ARCHIVED)
    [entry] = entries(desk, item_id)
    item = desk.item(item_id)
    assert (entry["reason"], entry["article_id"], entry["revision"], entry["html"]) == (
        "archive", item.article_id, item.revision, item.body)
    meta = entry["meta"]
    assert meta["item"]["state"] == "archived" and meta["item"]["url"] == item.url
    assert [row["event"] for row in meta["audit"]][-2:] == ["publish_succeeded", "archive"]
    assert {r["reviewer_id"] for r in meta["reviews"]} <= {p["id"] for p in meta["people"]}
    assert entry["platform_html"] is None
    desk.worker.send()  # the article stays online: read into the entry, not deleted
    [entry] = entries(desk, item_id)
    assert entry["platform_html"] and "<p>" in entry["platform_html"]
    assert [c["body"]["article_id"] for c in desk.calls("freepublish/getarticle")] == [
        item.article_id]
    assert desk.calls("freepublish/delete") == []


def test_a_withdrawal_keeps_the_platform_html_before_the_delete(desk: Desk) -> None:
    item_id = published(desk)
    article_id = desk.item(item_id).article_id
    withdrawn(desk, item_id)
    [entry] = entries(desk, item_id)  # written with the confirmation, before any call
    assert (entry["reason"], entry["article_id"], entry["platform_html"]) == (
        "withdraw", article_id, None)
    desk.worker.send()
    [read] = desk.calls("freepublish/getarticle")
    [deleted] = desk.calls("freepublish/delete")
    assert read["body"]["article_id"] == deleted["body"]["article_id"] == article_id
    calls = [c["path"] for c in desk.calls("freepublish/getarticle")
             + desk.calls("freepublish/delete")]
    assert calls == ["/cgi-bin/freepublish/getarticle", "/cgi-bin/freepublish/delete"]
    [entry] = entries(desk, item_id)
    assert entry["platform_html"] == desk.item(item_id).body  # as the platform kept it
    assert entry["platform_read_at"] is not None


def test_no_delete_without_the_entry(desk: Desk) -> None:
    """A delete queued without an entry (before the archive existed) writes one
    first; a platform that will not give the article's HTML gets no delete."""
    item_id = published(desk)
    withdrawn(desk, item_id)
    with desk.engine.begin() as conn:
        conn.execute(delete(ArchiveEntryRow))
    desk.control("fail", {"path": "/cgi-bin/freepublish/getarticle", "errcode": -1})
    desk.worker.send()
    assert desk.calls("freepublish/delete") == []
    [entry] = entries(desk, item_id)
    assert entry["platform_html"] is None
    assert (entry["reason"], entry["revision"]) == ("withdraw", desk.item(item_id).revision)


def test_an_article_replaced_by_a_revision_is_archived_as_it_was(desk: Desk) -> None:
    item_id = published(desk)
    first = desk.item(item_id)
    revised(desk, item_id, "<p>名额增加到 30 人。</p>")
    code = desk.ask("admin", f"发布 {item_id}").context["code"]
    assert moved(desk.ask("admin", f"确认 {code}"), State.APPROVED, State.PUBLISHING)
    desk.work()
    [entry] = entries(desk, item_id)
    assert (entry["reason"], entry["article_id"], entry["revision"], entry["html"]) == (
        "replaced", first.article_id, first.revision, first.body)
    desk.worker.send()
    [entry] = entries(desk, item_id)
    assert entry["platform_html"] and "30 人" not in entry["platform_html"]
    assert [c["body"]["article_id"] for c in desk.calls("freepublish/delete")] == [
        first.article_id]
