"""Which way a publication goes (workflow.publishing), and the moves that take
it: submitted through the platform, or published by hand and recorded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from workflow import publishing
from workflow.capabilities import (
    ALL_KINDS,
    FULL,
    UNVERIFIED_SERVICE,
    UNVERIFIED_SUBSCRIPTION,
    VERIFIED_SERVICE,
    VERIFIED_SUBSCRIPTION,
    Capabilities,
    Capability,
)
from workflow.effects import DeletePublished, NotifyRole, NotifyStaff, SubmitPublish, SyncDraft
from workflow.errors import NotAnArticleLink, PermissionDenied, TransitionNotAllowed
from workflow.machine import decide
from workflow.model import ContentItem, Context, Review, ReviewDecision, ReviewStage
from workflow.roles import SYSTEM_ACTOR, Actor, Role
from workflow.states import Event, State

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
ADMIN = Actor(5, "管理员", frozenset({Role.ADMIN}))
REVIEWER = Actor(3, "审核员", frozenset({Role.REVIEWER}))
BY_HAND = Capabilities(UNVERIFIED_SUBSCRIPTION)
LINK = "https://mp.weixin.qq.com/s/AbCdEf123"


def _item(state: State, **extra: object) -> ContentItem:
    return ContentItem(id=12, title="义诊回顾", author_id=1, state=state, review_round=1,
                       body="<p>正文</p>", **extra)  # type: ignore[arg-type]


def _ctx(capabilities: Capabilities = FULL, url: str = "") -> Context:
    return Context(now=NOW, capabilities=capabilities, extra={"url": url} if url else {})


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda k: k.name)
def test_the_way_follows_the_table_for_each_kind(kind: object) -> None:
    capabilities = Capabilities(kind)  # type: ignore[arg-type]
    platform = (capabilities.allows(Capability.MATERIALS)
                and capabilities.allows(Capability.FREE_PUBLISH))
    assert publishing.path(capabilities) is (
        publishing.Path.PLATFORM if platform else publishing.Path.BY_HAND)


def test_verified_accounts_publish_through_the_platform_the_others_by_hand() -> None:
    assert publishing.path(FULL) is publishing.Path.PLATFORM
    assert publishing.path(Capabilities(VERIFIED_SUBSCRIPTION)) is publishing.Path.PLATFORM
    assert publishing.by_hand(Capabilities(UNVERIFIED_SUBSCRIPTION))
    assert publishing.by_hand(Capabilities(UNVERIFIED_SERVICE))


@pytest.mark.parametrize("missing", [Capability.FREE_PUBLISH, Capability.MATERIALS])
def test_a_capability_learnt_missing_sends_a_verified_account_by_hand(
        missing: Capability) -> None:
    assert publishing.by_hand(Capabilities(VERIFIED_SERVICE, {missing: NOW}))


@pytest.mark.parametrize("event", [Event.PUBLISH, Event.RETRY, Event.DUE])
def test_publishing_by_hand_tells_the_admins_and_submits_nothing(event: Event) -> None:
    state = {Event.PUBLISH: State.APPROVED, Event.RETRY: State.PUBLISH_FAILED,
             Event.DUE: State.SCHEDULED}[event]
    actor = SYSTEM_ACTOR if event is Event.DUE else ADMIN
    decision = decide(_item(state), [], actor, event, _ctx(BY_HAND))
    assert decision.item.state is State.PUBLISHING
    assert decision.effects == (
        NotifyRole(Role.ADMIN, "item_publish_by_hand", {"item_id": 12, "title": "义诊回顾"}),)


def test_a_full_account_still_submits() -> None:
    decision = decide(_item(State.SCHEDULED), [], SYSTEM_ACTOR, Event.DUE, _ctx())
    assert decision.effects == (SubmitPublish(item_id=12, revision=1),)


def _final_approve(capabilities: Capabilities) -> tuple[object, ...]:
    first = Review(12, 2, ReviewStage.FIRST, ReviewDecision.APPROVED, 1, 1)
    decision = decide(_item(State.FINAL_REVIEW), [first], REVIEWER, Event.FINAL_APPROVE,
                      _ctx(capabilities))
    assert decision.item.state is State.APPROVED
    return decision.effects


def test_approval_fills_the_draft_box_only_where_the_account_has_one() -> None:
    assert any(isinstance(e, SyncDraft) for e in _final_approve(FULL))
    assert not any(isinstance(e, SyncDraft) for e in _final_approve(BY_HAND))


def test_recording_the_link_publishes_the_item() -> None:
    decision = decide(_item(State.PUBLISHING), [], ADMIN, Event.RECORD_PUBLISHED,
                      _ctx(BY_HAND, url=f"  {LINK} "))
    assert decision.item.state is State.PUBLISHED
    assert (decision.item.url, decision.item.published_at) == (LINK, NOW)
    assert decision.audit.event is Event.RECORD_PUBLISHED
    told = [e for e in decision.effects if isinstance(e, NotifyRole)]
    assert told and told[0].template == "item_published" and told[0].context["url"] == LINK


@pytest.mark.parametrize("url", [
    "", "mp.weixin.qq.com/s/abc", "http://mp.weixin.qq.com/s/abc",
    "https://mp.weixin.qq.com.evil.example/s/abc", "https://example.com/s/abc",
    "https://mp.weixin.qq.com/", "https://mp.weixin.qq.com",
])
def test_a_link_that_is_not_an_article_is_refused(url: str) -> None:
    with pytest.raises(NotAnArticleLink) as refused:
        decide(_item(State.PUBLISHING), [], ADMIN, Event.RECORD_PUBLISHED, _ctx(BY_HAND, url))
    assert refused.value.code == "not_an_article_link"
    assert refused.value.url == url.strip()


def test_only_an_admin_records_and_only_while_publishing() -> None:
    with pytest.raises(PermissionDenied):
        decide(_item(State.PUBLISHING), [], REVIEWER, Event.RECORD_PUBLISHED,
               _ctx(BY_HAND, LINK))
    with pytest.raises(PermissionDenied):
        decide(_item(State.PUBLISHING), [], SYSTEM_ACTOR, Event.RECORD_PUBLISHED,
               _ctx(BY_HAND, LINK))
    with pytest.raises(TransitionNotAllowed):
        decide(_item(State.APPROVED), [], ADMIN, Event.RECORD_PUBLISHED, _ctx(BY_HAND, LINK))


@pytest.mark.parametrize(("article_id", "capabilities", "by_hand"), [
    (None, FULL, True),  # published by hand: the platform never named it
    ("ART1", FULL, False),
    ("ART1", BY_HAND, True),  # no freepublish/delete on this account
    ("ART1", Capabilities(VERIFIED_SERVICE, {Capability.FREE_PUBLISH: NOW}), True),
])
def test_who_takes_a_withdrawn_article_down(article_id: str | None,
                                            capabilities: Capabilities, by_hand: bool) -> None:
    assert publishing.deleted_by_hand(article_id, capabilities) is by_hand
    decision = decide(_item(State.PUBLISHED, article_id=article_id, url=LINK), [], ADMIN,
                      Event.WITHDRAW, _ctx(capabilities))
    assert decision.item.state is State.WITHDRAWN
    deletes = [e for e in decision.effects if isinstance(e, DeletePublished)]
    assert deletes == ([] if by_hand else [DeletePublished(item_id=12, article_id="ART1")])
    [told] = [e for e in decision.effects if isinstance(e, NotifyStaff)]
    assert (told.template, told.context["delete_by_hand"], told.context["url"]) == (
        "item_withdrawn", by_hand, LINK)
