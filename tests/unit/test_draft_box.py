"""Drafts in from the WeChat draft box (workflow/draft_box.py, draft_cases.py),
over in-memory fakes: what a sync's batch means, attaching, and wxops's own
pushes never coming back as revisions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.unit.fakes import FakeUnitOfWork
from workflow import draft_cases, usecases
from workflow.capabilities import UNVERIFIED_SUBSCRIPTION, Capabilities
from workflow.draft_box import BoxDraft, Verdict, judge
from workflow.errors import (
    DraftAttachedElsewhere,
    DraftNotFound,
    NoDraftBox,
    NotOwner,
    PermissionDenied,
)
from workflow.model import ContentItem, Context
from workflow.roles import Actor, Role
from workflow.states import Event, State

NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
AUTHOR = Actor(1, "小李", frozenset({Role.CREATOR}))
OTHER = Actor(4, "小王", frozenset({Role.CREATOR}))
R1 = Actor(2, "王芳", frozenset({Role.REVIEWER}))
R2 = Actor(3, "陈静", frozenset({Role.REVIEWER}))
ADMIN = Actor(5, "管理员", frozenset({Role.ADMIN}))
BODY = "<p>来了八十位居民。</p>"


def ctx(minutes: int = 0, capabilities: Capabilities | None = None) -> Context:
    flow = Context(now=NOW + timedelta(minutes=minutes), command="草稿箱同步")
    return replace(flow, capabilities=capabilities) if capabilities else flow


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork([AUTHOR, OTHER, R1, R2, ADMIN])


def approved(uow: FakeUnitOfWork, draft_media_id: str | None = None) -> int:
    """An item through both reviews, as the outbox left it (its own draft)."""
    item = usecases.plan(uow, AUTHOR.id, "义诊回顾", ctx())
    usecases.act(uow, AUTHOR.id, item.id, Event.START, ctx())
    uow.items.rows[item.id] = replace(uow.items.rows[item.id], body=BODY)
    for actor, event in ((AUTHOR, Event.SUBMIT), (R1, Event.APPROVE), (R2, Event.FINAL_APPROVE)):
        usecases.act(uow, actor.id, item.id, event, ctx())
    uow.items.rows[item.id] = replace(uow.items.rows[item.id], draft_media_id=draft_media_id)
    assert uow.items.rows[item.id].state is State.APPROVED
    return item.id


def box(media_id: str = "M1", content: str = BODY, update_time: int = 100,
        title: str = "义诊回顾") -> BoxDraft:
    return BoxDraft(media_id, title, content, update_time)


def item() -> ContentItem:
    return ContentItem(id=1, title="义诊回顾", author_id=1, body=BODY)


# --- the pure rule -------------------------------------------------------------------


def test_a_draft_attached_to_nothing_is_only_seen() -> None:
    assert judge(box(), None, None) is Verdict.NEW


def test_an_attached_draft_judged_at_this_update_time_is_unchanged(uow: FakeUnitOfWork) -> None:
    uow.drafts.record(box(content="<p>别的</p>"), NOW, item_id=1)
    assert judge(box(content="<p>别的</p>"), uow.drafts.get("M1"), item()) is Verdict.UNCHANGED


def test_a_save_with_the_items_own_text_is_not_a_change() -> None:
    """wxops's own push: update_time moved on, the box holds the item's body."""
    assert judge(box(update_time=200), None, item()) is Verdict.SAME
    assert judge(box(content=f"  {BODY}\n", update_time=200), None, item()) is Verdict.SAME


def test_our_push_rewritten_by_the_box_on_save_is_not_a_change() -> None:
    """The platform normalises markup on save; what a reader sees is the item's."""
    ours = replace(item(), body='<p style="margin:0;color:#333">来了&nbsp;八十位<br>居民。</p>')
    saved = '<p data-mid="" style="color: #333; margin: 0;">来了\u00a0八十位<br/>居民。</p>\n'
    assert judge(box(content=saved, update_time=200), None, ours) is Verdict.SAME
    assert judge(box(content=saved.replace("#333", "#c00"), update_time=200), None,
                 ours) is Verdict.TAKEN


@pytest.mark.parametrize("draft", [box(content="<p>改过了。</p>"), box(title="义诊回顾（修订）")])
def test_a_new_text_or_title_is_taken(draft: BoxDraft) -> None:
    assert judge(draft, None, item()) is Verdict.TAKEN


# --- sync ------------------------------------------------------------------------------


def test_an_edit_in_the_box_sends_an_approved_item_back_to_review(uow: FakeUnitOfWork) -> None:
    item_id = approved(uow, draft_media_id="M1")
    first = draft_cases.sync(uow, [box()], ctx())
    assert [o.verdict for o in first.outcomes] == [Verdict.SAME]
    assert uow.items.rows[item_id].state is State.APPROVED
    edited = box(content="<p>来了九十位居民。</p>", update_time=160)
    report = draft_cases.sync(uow, [edited], ctx(10))
    taken = report.of(Verdict.TAKEN)
    it = uow.items.rows[item_id]
    assert [(o.item_id, o.revision) for o in taken] == [(item_id, it.revision)]
    assert (it.state, it.body, it.edited_by) == (State.IN_REVIEW, edited.content, None)
    assert uow.audit.history(item_id)[-1].event is Event.EDIT
    assert uow.drafts.get("M1").revision == it.revision  # type: ignore[union-attr]
    again = draft_cases.sync(uow, [edited], ctx(20))
    assert [o.verdict for o in again.outcomes] == [Verdict.UNCHANGED]
    assert uow.items.rows[item_id].revision == it.revision


def test_wxops_own_push_does_not_come_back(uow: FakeUnitOfWork) -> None:
    """The outbox pushed the item's body (update_time moves on): no revision."""
    item_id = approved(uow, draft_media_id="M1")
    draft_cases.sync(uow, [box(update_time=100)], ctx())
    pushed = box(update_time=130)  # the same body, saved by draft/update
    report = draft_cases.sync(uow, [pushed], ctx(5))
    assert [o.verdict for o in report.outcomes] == [Verdict.SAME]
    assert uow.items.rows[item_id].state is State.APPROVED
    assert uow.drafts.get("M1").judged_time == 130  # type: ignore[union-attr]


def test_a_refused_edit_is_tried_again_next_time(uow: FakeUnitOfWork) -> None:
    item_id = approved(uow, draft_media_id="M1")
    uow.items.rows[item_id] = replace(uow.items.rows[item_id], state=State.PUBLISHING)
    changed = box(content="<p>新</p>", update_time=150)
    report = draft_cases.sync(uow, [changed], ctx(10))
    assert [(o.verdict, o.refusal and o.refusal.code) for o in report.outcomes] == [
        (Verdict.REFUSED, "transition_not_allowed")]
    uow.items.rows[item_id] = replace(uow.items.rows[item_id], state=State.APPROVED)
    assert draft_cases.sync(uow, [changed], ctx(11)).of(Verdict.TAKEN)


def test_drafts_gone_from_the_box_are_forgotten(uow: FakeUnitOfWork) -> None:
    draft_cases.sync(uow, [box("M1"), box("M2")], ctx())
    report = draft_cases.sync(uow, [box("M2")], ctx(1))
    assert (report.forgotten, sorted(uow.drafts.rows)) == (1, ["M2"])
    assert draft_cases.sync(uow, [box("M3")], ctx(2), complete=False).forgotten == 0


def test_without_the_draft_box_nothing_is_read(uow: FakeUnitOfWork) -> None:
    without = ctx(capabilities=Capabilities(UNVERIFIED_SUBSCRIPTION))
    for call in (lambda: draft_cases.sync(uow, [box()], without),
                 lambda: draft_cases.recent(uow, without),
                 lambda: draft_cases.attach(uow, AUTHOR.id, 1, "M1", without)):
        with pytest.raises(NoDraftBox) as refused:
            call()
        assert refused.value.kind == "unverified-subscription"
    assert not uow.drafts.rows


# --- attach ------------------------------------------------------------------------------


def test_attaching_takes_the_drafts_text_now(uow: FakeUnitOfWork) -> None:
    item_id = approved(uow)
    draft_cases.sync(uow, [box("M7", content="<p>后台写的。</p>")], ctx())
    number = uow.drafts.get("M7").number  # type: ignore[union-attr]
    attached = draft_cases.attach(uow, AUTHOR.id, item_id, number, ctx(1))
    assert (attached.item.state, attached.item.body) == (State.IN_REVIEW, "<p>后台写的。</p>")
    assert attached.revision == attached.item.revision
    assert attached.item.draft_media_id == "M7"  # the item's pushes update this draft now
    assert uow.drafts.get("M7").item_id == item_id  # type: ignore[union-attr]
    assert draft_cases.sync(uow, [box("M7", content="<p>后台写的。</p>")], ctx(2)).of(
        Verdict.UNCHANGED)


def test_attaching_a_draft_with_the_items_text_makes_no_revision(uow: FakeUnitOfWork) -> None:
    item_id = approved(uow)
    draft_cases.sync(uow, [box("M7")], ctx())
    attached = draft_cases.attach(uow, AUTHOR.id, item_id, "M7", ctx(1))
    assert (attached.revision, attached.item.state) == (None, State.APPROVED)


def test_who_may_attach_is_who_may_edit(uow: FakeUnitOfWork) -> None:
    item_id = approved(uow)
    draft_cases.sync(uow, [box("M7", content="<p>x</p>")], ctx())
    with pytest.raises(NotOwner):
        draft_cases.attach(uow, OTHER.id, item_id, "M7", ctx())
    with pytest.raises(PermissionDenied):
        draft_cases.attach(uow, R1.id, item_id, "M7", ctx())
    assert uow.drafts.get("M7").item_id is None  # type: ignore[union-attr]
    assert draft_cases.attach(uow, ADMIN.id, item_id, "M7", ctx()).item.edited_by == ADMIN.id


def test_one_draft_feeds_one_item(uow: FakeUnitOfWork) -> None:
    first, second = approved(uow), approved(uow)
    draft_cases.sync(uow, [box("M7", content="<p>x</p>")], ctx())
    draft_cases.attach(uow, AUTHOR.id, first, "M7", ctx())
    with pytest.raises(DraftAttachedElsewhere) as refused:
        draft_cases.attach(uow, AUTHOR.id, second, "M7", ctx())
    assert refused.value.item_id == first
    with pytest.raises(DraftNotFound):
        draft_cases.attach(uow, AUTHOR.id, second, 99, ctx())


def test_recent_drafts_newest_saved_first(uow: FakeUnitOfWork) -> None:
    draft_cases.sync(uow, [box("M1", update_time=100), box("M2", update_time=300),
                           box("M3", update_time=200)], ctx())
    _, drafts = draft_cases.recent(uow, ctx(), limit=2)
    assert [d.media_id for d in drafts] == ["M2", "M3"]


def test_a_box_seen_again_unchanged_writes_nothing_per_draft(uow: FakeUnitOfWork) -> None:
    batch = [box("M1"), box("M2", update_time=300)]
    draft_cases.sync(uow, batch, ctx())
    before = uow.commits
    draft_cases.sync(uow, batch, ctx(1))
    assert uow.commits == before + 1  # forgetting what left the box, nothing else
    draft_cases.sync(uow, [box("M1"), box("M2", update_time=301)], ctx(2))
    assert uow.commits == before + 3


# --- two syncs at once -------------------------------------------------------------------


def test_a_sync_that_loses_the_claim_has_its_revision_undone(
        uow: FakeUnitOfWork, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another sync judged this update_time between our read and our edit."""
    item_id = approved(uow, draft_media_id="M1")
    draft_cases.sync(uow, [box()], ctx())
    before, history = uow.items.rows[item_id], len(uow.audit.history(item_id))
    monkeypatch.setattr(uow.drafts, "claim", lambda *args: False)
    report = draft_cases.sync(uow, [box(content="<p>新</p>", update_time=150)], ctx(1))
    assert [(o.verdict, o.revision) for o in report.outcomes] == [(Verdict.UNCHANGED, None)]
    assert uow.items.rows[item_id] == before
    assert len(uow.audit.history(item_id)) == history


def test_attaching_while_a_sync_takes_the_draft_makes_one_revision(
        uow: FakeUnitOfWork, monkeypatch: pytest.MonkeyPatch) -> None:
    item_id = approved(uow)
    draft_cases.sync(uow, [box("M7", content="<p>后台写的。</p>")], ctx())
    before = uow.items.rows[item_id]
    monkeypatch.setattr(uow.drafts, "claim", lambda *args: False)
    attached = draft_cases.attach(uow, AUTHOR.id, item_id, "M7", ctx(1))
    assert (attached.revision, attached.item.revision) == (None, before.revision)
