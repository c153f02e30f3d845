"""The review rules of DESIGN.md, one test each, on the pure machine."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from workflow import policy
from workflow.effects import AskForApproval, NotifyRole, NotifyStaff, SubmitPublish, SyncDraft
from workflow.errors import (
    AlreadyApproved,
    InvalidSchedule,
    NotOwner,
    PermissionDenied,
    ReasonRequired,
    SameReviewer,
    SelfReview,
)
from workflow.machine import decide
from workflow.model import ContentItem, Context, ItemChanges, Review
from workflow.roles import Actor, Role
from workflow.states import Event, State

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
AUTHOR = Actor(1, "小李", frozenset({Role.CREATOR}))
OTHER_CREATOR = Actor(9, "小张", frozenset({Role.CREATOR}))
R1 = Actor(2, "王芳", frozenset({Role.REVIEWER}))
R2 = Actor(3, "陈静", frozenset({Role.REVIEWER}))
R3 = Actor(4, "赵强", frozenset({Role.REVIEWER}))
ADMIN = Actor(5, "管理员", frozenset({Role.ADMIN}))
CREATOR_REVIEWER = Actor(1, "小李", frozenset({Role.CREATOR, Role.REVIEWER}))


def ctx(comment: str = "", when: datetime | None = None) -> Context:
    return Context(now=NOW, comment=comment, when=when)


class Flow:
    """Drives one item through the machine, keeping its reviews like storage would."""

    def __init__(self, sensitive: bool = False) -> None:
        self.item = ContentItem(id=1, title="义诊回顾", author_id=AUTHOR.id,
                                state=State.DRAFTING, sensitive=sensitive,
                                body="<p>义诊当天来了八十位居民。</p>")
        self.reviews: list[Review] = []

    def do(self, actor: Actor, event: Event, context: Context | None = None,
           changes: ItemChanges | None = None) -> State:
        d = decide(self.item, self.reviews, actor, event, context or ctx(), changes)
        self.item = d.item
        if d.review:
            self.reviews.append(d.review)
        self.last = d
        return d.item.state


def reviewed_flow(sensitive: bool = False) -> Flow:
    flow = Flow(sensitive)
    flow.do(AUTHOR, Event.SUBMIT)
    flow.do(R1, Event.APPROVE)
    return flow


def test_happy_path_to_approved() -> None:
    flow = reviewed_flow()
    assert flow.do(R2, Event.FINAL_APPROVE) is State.APPROVED
    kinds = {type(e) for e in flow.last.effects}
    assert {NotifyRole, SyncDraft} <= kinds


def test_nobody_reviews_their_own_item() -> None:
    flow = Flow()
    flow.item = replace(flow.item, author_id=CREATOR_REVIEWER.id)
    flow.do(CREATOR_REVIEWER, Event.SUBMIT)
    with pytest.raises(SelfReview) as refused:
        flow.do(CREATOR_REVIEWER, Event.APPROVE)
    assert refused.value.edited is False  # the author, not the editor of a revision


def test_author_who_is_admin_cannot_review_either() -> None:
    flow = Flow()
    flow.item = replace(flow.item, author_id=ADMIN.id)
    flow.do(ADMIN, Event.SUBMIT)
    with pytest.raises(SelfReview):
        flow.do(ADMIN, Event.REQUEST_CHANGES, ctx("改标题"))


def test_final_reviewer_differs_from_first() -> None:
    flow = reviewed_flow()
    with pytest.raises(SameReviewer):
        flow.do(R1, Event.FINAL_APPROVE)
    assert flow.item.state is State.FINAL_REVIEW


def test_sensitive_item_needs_two_distinct_final_approvals() -> None:
    flow = reviewed_flow(sensitive=True)
    assert flow.do(R2, Event.FINAL_APPROVE) is State.FINAL_REVIEW
    # Who is asked is the use case's (workflow.approvals): the machine only asks.
    assert [e.template for e in flow.last.effects if isinstance(e, AskForApproval)] == [
        "item_needs_second_final"]
    with pytest.raises(AlreadyApproved):
        flow.do(R2, Event.FINAL_APPROVE)
    assert flow.do(R3, Event.FINAL_APPROVE) is State.APPROVED


def test_marking_sensitive_after_approval_reopens_final_review() -> None:
    flow = reviewed_flow()
    flow.do(R2, Event.FINAL_APPROVE)
    flow.do(ADMIN, Event.SCHEDULE, ctx(when=NOW + timedelta(hours=3)))
    assert flow.do(R3, Event.MARK_SENSITIVE) is State.FINAL_REVIEW
    assert flow.item.sensitive and flow.item.scheduled_at is None
    calls = [e for e in flow.last.effects if isinstance(e, AskForApproval)]
    # R3 marked it; R2 is the one who approved: the notice must not credit R3 with that.
    assert [(c.template, c.context["by"]) for c in calls] == [("item_marked_sensitive", R3.name)]
    assert flow.do(R3, Event.FINAL_APPROVE) is State.APPROVED


def test_edit_after_approval_goes_back_to_first_review_and_voids_approvals() -> None:
    flow = reviewed_flow(sensitive=True)
    flow.do(R2, Event.FINAL_APPROVE)
    assert flow.do(AUTHOR, Event.EDIT, changes=ItemChanges(body="新正文")) is State.IN_REVIEW
    assert flow.item.revision == 2
    assert policy.final_approvers(flow.item, flow.reviews) == set()
    # R1 approved revision 1 at first stage; for revision 2 R1 may final-review.
    flow.do(R2, Event.APPROVE)
    assert flow.do(R1, Event.FINAL_APPROVE) is State.FINAL_REVIEW  # sensitive: one more
    assert flow.do(R3, Event.FINAL_APPROVE) is State.APPROVED


def test_edit_while_scheduled_cancels_the_schedule() -> None:
    flow = reviewed_flow()
    flow.do(R2, Event.FINAL_APPROVE)
    flow.do(ADMIN, Event.SCHEDULE, ctx(when=NOW + timedelta(hours=1)))
    flow.do(AUTHOR, Event.EDIT, changes=ItemChanges(title="新标题"))
    assert (flow.item.state, flow.item.scheduled_at, flow.item.title) == (
        State.IN_REVIEW, None, "新标题")


def test_request_changes_needs_a_reason() -> None:
    flow = reviewed_flow()
    for no_words in ("   ", ".", "。。", "123", "?!"):
        with pytest.raises(ReasonRequired):
            flow.do(R2, Event.REQUEST_CHANGES, ctx(no_words))
    flow.do(R2, Event.REQUEST_CHANGES, ctx("图片版权不明"))
    notify = [e for e in flow.last.effects if isinstance(e, NotifyStaff)]
    assert notify and notify[0].staff_id == AUTHOR.id
    assert notify[0].context["reason"] == "图片版权不明"


def test_resubmission_starts_a_new_round() -> None:
    flow = reviewed_flow()
    flow.do(R2, Event.REQUEST_CHANGES, ctx("补充数据来源"))
    flow.do(AUTHOR, Event.SUBMIT)
    assert flow.item.review_round == 2
    assert policy.first_approvers(flow.item, flow.reviews) == set()
    flow.do(R2, Event.APPROVE)
    with pytest.raises(SameReviewer):
        flow.do(R2, Event.FINAL_APPROVE)


def test_schedule_refuses_the_past_and_needs_a_time() -> None:
    flow = reviewed_flow()
    flow.do(R2, Event.FINAL_APPROVE)
    for when in (NOW - timedelta(minutes=1), NOW, None):
        with pytest.raises(InvalidSchedule):
            flow.do(ADMIN, Event.SCHEDULE, ctx(when=when))
    assert flow.do(ADMIN, Event.SCHEDULE, ctx(when=NOW + timedelta(days=1))) is State.SCHEDULED


def test_creator_acts_only_on_own_items() -> None:
    flow = Flow()
    with pytest.raises(NotOwner):
        flow.do(OTHER_CREATOR, Event.SUBMIT)
    assert flow.do(ADMIN, Event.SUBMIT) is State.IN_REVIEW


def test_admin_cannot_fake_a_publish_result() -> None:
    flow = reviewed_flow()
    flow.do(R2, Event.FINAL_APPROVE)
    flow.do(ADMIN, Event.PUBLISH)
    with pytest.raises(PermissionDenied):
        flow.do(ADMIN, Event.PUBLISH_SUCCEEDED)


def test_publish_emits_submit_and_success_records_the_article() -> None:
    from workflow.roles import SYSTEM_ACTOR

    flow = reviewed_flow()
    flow.do(R2, Event.FINAL_APPROVE)
    flow.do(ADMIN, Event.PUBLISH)
    assert [type(e) for e in flow.last.effects] == [SubmitPublish]
    done = Context(now=NOW, extra={"article_id": "A1", "url": "https://mp.weixin.qq.com/s/x"})
    assert flow.do(SYSTEM_ACTOR, Event.PUBLISH_SUCCEEDED, done) is State.PUBLISHED
    assert (flow.item.article_id, flow.item.published_at) == ("A1", NOW)


def test_nobody_is_notified_of_their_own_action() -> None:
    flow = Flow()
    flow.item = replace(flow.item, author_id=ADMIN.id, state=State.IN_REVIEW, review_round=1)
    flow.do(R1, Event.REQUEST_CHANGES, ctx("太长"))
    assert [e.staff_id for e in flow.last.effects if isinstance(e, NotifyStaff)] == [ADMIN.id]
    flow.item = replace(flow.item, author_id=R1.id)
    flow.do(ADMIN, Event.EDIT, changes=ItemChanges(body="x"))
    assert not [e for e in flow.last.effects if isinstance(e, NotifyStaff)]


def test_allowed_events_lists_what_the_actor_may_do_next() -> None:
    flow = reviewed_flow()
    assert policy.allowed_events(R1, flow.item, flow.reviews) == (Event.REQUEST_CHANGES,
                                                                   Event.MARK_SENSITIVE)
    assert Event.FINAL_APPROVE in policy.allowed_events(R2, flow.item, flow.reviews)
    assert policy.allowed_events(AUTHOR, flow.item, flow.reviews) == (Event.EDIT,)


def test_next_by_role_follows_the_table() -> None:
    in_review = policy.next_by_role(State.IN_REVIEW)
    assert in_review[Role.REVIEWER] == (Event.APPROVE, Event.REQUEST_CHANGES,
                                        Event.MARK_SENSITIVE)
    assert Role.CREATOR not in in_review and Role.ANALYST not in in_review
    published = policy.next_by_role(State.PUBLISHED)
    assert published[Role.ANALYST] == (Event.RECHECK_OK, Event.FLAG_OUTDATED)
    assert Event.WITHDRAW in published[Role.ADMIN]
    assert policy.next_by_role(State.ARCHIVED) == {}
