"""Use cases over in-memory fakes: what gets written, and how conflicts read."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from handlers import refusals
from tests.unit.fakes import FakeStaff, FakeUnitOfWork
from workflow import policy, usecases
from workflow.errors import (
    ActorNotFound,
    AlreadySensitive,
    AlreadyWriter,
    ConcurrentUpdate,
    InvalidInput,
    ItemNotFound,
    NotAWriter,
    NotOwner,
    PermissionDenied,
    TransitionNotAllowed,
)
from workflow.model import Context, ItemChanges
from workflow.roles import Actor, Role
from workflow.states import Event, State

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
AUTHOR = Actor(1, "小李", frozenset({Role.CREATOR}))
R1 = Actor(2, "王芳", frozenset({Role.REVIEWER}))
R2 = Actor(3, "陈静", frozenset({Role.REVIEWER}))
ADMIN = Actor(5, "管理员", frozenset({Role.ADMIN}))
ANALYST = Actor(6, "数据", frozenset({Role.ANALYST}))


def ctx(comment: str = "", minutes: int = 0) -> Context:
    return Context(now=NOW + timedelta(minutes=minutes), comment=comment, command="测试")


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork([AUTHOR, R1, R2, ADMIN, ANALYST])


def planned(uow: FakeUnitOfWork) -> int:
    item = usecases.plan(uow, AUTHOR.id, "义诊回顾", ctx(), topic="照片")
    usecases.act(uow, AUTHOR.id, item.id, Event.START, ctx())
    # Written as by an edit, without one: the tests count revisions from 1.
    uow.items.rows[item.id] = replace(uow.items.rows[item.id], body="<p>来了八十位居民。</p>")
    return item.id


def test_plan_creates_an_item_and_an_audit_row(uow: FakeUnitOfWork) -> None:
    item = usecases.plan(uow, AUTHOR.id, "  义诊回顾 ", ctx())
    assert (item.title, item.state, item.author_id) == ("义诊回顾", State.PLANNED, AUTHOR.id)
    assert [e.event.value for e in uow.audit.history(item.id)] == ["plan"]


@pytest.mark.parametrize("title", ["", "   ", "长" * 33])
def test_plan_refuses_bad_titles(uow: FakeUnitOfWork, title: str) -> None:
    with pytest.raises(InvalidInput):
        usecases.plan(uow, AUTHOR.id, title, ctx())
    assert not uow.items.rows


def test_plan_needs_a_creator(uow: FakeUnitOfWork) -> None:
    with pytest.raises(PermissionDenied):
        usecases.plan(uow, ANALYST.id, "数据周报", ctx())


def test_unknown_actor_and_item(uow: FakeUnitOfWork) -> None:
    with pytest.raises(ActorNotFound):
        usecases.plan(uow, 99, "x", ctx())
    with pytest.raises(ItemNotFound):
        usecases.act(uow, AUTHOR.id, 42, Event.SUBMIT, ctx())


def test_submit_writes_state_audit_and_one_notification_per_reviewer(uow: FakeUnitOfWork) -> None:
    item_id = planned(uow)
    usecases.act(uow, AUTHOR.id, item_id, Event.SUBMIT, ctx())
    assert uow.items.rows[item_id].state is State.IN_REVIEW
    notified = sorted(p["staff_id"] for k, p in uow.outbox.rows.values() if k == "notify")
    assert notified == [R1.id, R2.id]
    assert uow.audit.latest(item_id).command == "测试"  # type: ignore[union-attr]


def test_notices_name_the_item_version_and_state_they_describe(uow: FakeUnitOfWork) -> None:
    """A held notice can then tell whether its item has moved on since."""
    item_id = planned(uow)
    usecases.act(uow, AUTHOR.id, item_id, Event.SUBMIT, ctx())
    version = uow.items.rows[item_id].version
    usecases.act(uow, R1.id, item_id, Event.APPROVE, ctx())
    notices = {(p["template"], p["item_version"], p["item_state"])
               for k, p in uow.outbox.rows.values() if k == "notify"}
    assert ("item_submitted", version, "in_review") in notices
    assert ("item_needs_final", uow.items.rows[item_id].version, "final_review") in notices
    assert uow.items.rows[item_id].version > version


def test_a_refused_use_case_writes_nothing(uow: FakeUnitOfWork) -> None:
    item_id = planned(uow)
    before = (dict(uow.items.rows), len(uow.audit.rows), dict(uow.outbox.rows))
    with pytest.raises(TransitionNotAllowed):
        usecases.act(uow, R1.id, item_id, Event.APPROVE, ctx())
    assert (dict(uow.items.rows), len(uow.audit.rows), dict(uow.outbox.rows)) == before


def test_role_notification_falls_back_to_admins(uow: FakeUnitOfWork) -> None:
    uow.staff = FakeStaff([AUTHOR, ADMIN])
    item_id = planned(uow)
    usecases.act(uow, AUTHOR.id, item_id, Event.SUBMIT, ctx())
    assert [p["staff_id"] for _, p in uow.outbox.rows.values()] == [ADMIN.id]


def test_losing_a_race_names_the_winner(uow: FakeUnitOfWork) -> None:
    item_id = planned(uow)
    usecases.act(uow, AUTHOR.id, item_id, Event.SUBMIT, ctx())
    usecases.act(uow, R1.id, item_id, Event.APPROVE, ctx())
    with pytest.raises(ConcurrentUpdate) as lost:
        usecases.act(uow, R2.id, item_id, Event.APPROVE, ctx(minutes=1))
    assert (lost.value.winner, lost.value.what, lost.value.now) == (
        "王芳", Event.APPROVE.label, State.FINAL_REVIEW.label)
    assert refusals.say(lost.value) == (  # one rendering of the catalogue's words
        f"稿件 {item_id} 刚刚已被 王芳 抢先操作（初审通过），现在的状态是「终审中」")


def test_an_old_move_is_not_reported_as_a_race(uow: FakeUnitOfWork) -> None:
    item_id = planned(uow)
    usecases.act(uow, AUTHOR.id, item_id, Event.SUBMIT, ctx())
    usecases.act(uow, R1.id, item_id, Event.APPROVE, ctx())
    with pytest.raises(TransitionNotAllowed):
        usecases.act(uow, R2.id, item_id, Event.APPROVE, ctx(minutes=3))  # not just now: what it is


def test_stale_version_at_write_time_names_the_winner(uow: FakeUnitOfWork) -> None:
    item_id = planned(uow)
    usecases.act(uow, AUTHOR.id, item_id, Event.SUBMIT, ctx())
    original_save = uow.items.save

    def racing_save(item, expected_version):
        # Somebody else's approval lands between our read and our write.
        uow.items.save = original_save  # type: ignore[method-assign]
        usecases.act(uow, R1.id, item_id, Event.APPROVE, ctx())
        original_save(item, expected_version)

    uow.items.save = racing_save  # type: ignore[method-assign]
    with pytest.raises(ConcurrentUpdate) as lost:
        usecases.act(uow, R2.id, item_id, Event.REQUEST_CHANGES, ctx("不行"))
    assert lost.value.winner == "王芳"


@pytest.mark.parametrize(("changes", "code", "data"), [
    (ItemChanges(title="  "), "title_missing", {"planning": False}),
    (ItemChanges(title="题" * 33), "too_long", {"field": "title", "length": 33, "limit": 32}),
    (ItemChanges(digest="摘" * 129), "too_long",
     {"field": "digest", "length": 129, "limit": 128}),
    (ItemChanges(body="字" * 20_000), "too_long",
     {"field": "body", "length": 20_000, "limit": 20_000}),
])
def test_edit_refuses_what_wechat_would(uow: FakeUnitOfWork, changes: ItemChanges,
                                        code: str, data: dict[str, object]) -> None:
    item_id = planned(uow)
    with pytest.raises(InvalidInput) as refused:
        usecases.edit(uow, AUTHOR.id, item_id, changes, ctx())
    assert (refused.value.code, refusals.data(refused.value)) == (code, data)
    assert uow.items.rows[item_id].revision == 1


def test_a_long_title_is_refused_in_words_that_name_the_limit(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidInput) as refused:
        usecases.plan(uow, AUTHOR.id, "题" * 33, ctx())
    assert refusals.say(refused.value) == "标题太长（33 字），请控制在 32 字以内"


def test_an_edited_title_is_kept_without_surrounding_blanks(uow: FakeUnitOfWork) -> None:
    """Blanks around a title would count against WeChat's 32 characters."""
    item_id = planned(uow)
    title = "题" * 32
    decision = usecases.edit(uow, AUTHOR.id, item_id, ItemChanges(title=f"  {title}  "), ctx())
    assert decision.item.title == title


def test_edit_needs_changes_and_bumps_revision(uow: FakeUnitOfWork) -> None:
    item_id = planned(uow)
    with pytest.raises(InvalidInput):
        usecases.edit(uow, AUTHOR.id, item_id, ItemChanges(), ctx())
    decision = usecases.edit(uow, AUTHOR.id, item_id, ItemChanges(body="正文"), ctx())
    assert (decision.item.revision, decision.item.body) == (2, "正文")


def test_publish_result_is_idempotent(uow: FakeUnitOfWork) -> None:
    item_id = publishing(uow)
    uow.items.rows[item_id] = replace(uow.items.rows[item_id], publish_id="P1")
    done = Context(now=NOW, extra={"article_id": "A1", "url": "https://mp.weixin.qq.com/s/a"})
    assert usecases.record_publish_result(uow, "P1", True, done) is not None
    assert usecases.record_publish_result(uow, "P1", True, done) is None
    assert usecases.record_publish_result(uow, "unknown", True, done) is None
    assert uow.items.rows[item_id].state is State.PUBLISHED
    published = [p for k, p in uow.outbox.rows.values() if p.get("template") == "item_published"]
    assert sorted(p["staff_id"] for p in published) == [AUTHOR.id, ADMIN.id]
    submits = [k for k in uow.outbox.rows if k.startswith("submit_publish:")]
    assert len(submits) == 1


def published(uow: FakeUnitOfWork) -> int:
    item_id = planned(uow)
    publish_through(uow, item_id, 7)
    return item_id


def publish_through(uow: FakeUnitOfWork, item_id: int, n: int) -> None:
    """Review, publish, and WeChat's success as article An at .../s/n."""
    reviewed_and_published(uow, item_id)
    uow.items.rows[item_id] = replace(uow.items.rows[item_id], publish_id=f"P{n}")
    done = Context(now=NOW, extra={"article_id": f"A{n}",
                                   "url": f"https://mp.weixin.qq.com/s/{n}"})
    usecases.record_publish_result(uow, f"P{n}", True, done)


def test_cancelling_a_revision_keeps_the_published_article(uow: FakeUnitOfWork) -> None:
    item_id = published(uow)
    usecases.act(uow, ANALYST.id, item_id, Event.FLAG_OUTDATED, ctx("数据过时"))
    usecases.act(uow, AUTHOR.id, item_id, Event.REVISE, ctx())
    decision = usecases.act(uow, ADMIN.id, item_id, Event.CANCEL, ctx())
    item = uow.items.rows[item_id]
    assert (decision.audit.from_state, item.state) == (State.DRAFTING, State.NEEDS_UPDATE)
    assert (item.article_id, item.url) == ("A7", "https://mp.weixin.qq.com/s/7")
    dropped = [p for k, p in uow.outbox.rows.values() if p.get("template") ==
               "item_revision_dropped"]
    assert [p["staff_id"] for p in dropped] == [AUTHOR.id]
    # ... and the article can still be taken down
    usecases.act(uow, ADMIN.id, item_id, Event.WITHDRAW, ctx())
    assert uow.items.rows[item_id].state is State.WITHDRAWN


def test_cancelling_a_never_published_draft_cancels_it(uow: FakeUnitOfWork) -> None:
    item_id = planned(uow)
    usecases.act(uow, AUTHOR.id, item_id, Event.CANCEL, ctx())
    assert uow.items.rows[item_id].state is State.CANCELLED


def test_a_call_for_a_second_final_approval_skips_who_cannot_give_it(
        uow: FakeUnitOfWork) -> None:
    """Two reviewers, one first-approved and one final-approved a sensitive item:
    neither may approve again, so the admin, who may, is asked."""
    item_id = planned(uow)
    usecases.act(uow, R1.id, item_id, Event.MARK_SENSITIVE, ctx())
    usecases.act(uow, AUTHOR.id, item_id, Event.SUBMIT, ctx())
    usecases.act(uow, R1.id, item_id, Event.APPROVE, ctx())
    before = set(uow.outbox.rows)
    usecases.act(uow, R2.id, item_id, Event.FINAL_APPROVE, ctx())
    asked = [p["staff_id"] for key, (_kind, p) in uow.outbox.rows.items()
             if key not in before and p.get("template") == "item_needs_second_final"]
    assert asked == [ADMIN.id]


def publishing(uow: FakeUnitOfWork) -> int:
    item_id = planned(uow)
    reviewed_and_published(uow, item_id)
    return item_id


def reviewed_and_published(uow: FakeUnitOfWork, item_id: int) -> None:
    """Submitted, both reviews, and 发布: the item waits for WeChat's result."""
    for event, actor in ((Event.SUBMIT, AUTHOR), (Event.APPROVE, R1),
                         (Event.FINAL_APPROVE, R2), (Event.PUBLISH, ADMIN)):
        usecases.act(uow, actor.id, item_id, event, ctx())


def test_a_submission_given_up_fails_the_publish_once(uow: FakeUnitOfWork) -> None:
    item_id = publishing(uow)
    refused = ctx("提交发布未完成：公众号没有该接口的权限（48001）")
    decision = usecases.record_submit_failure(uow, item_id, refused)
    assert decision is not None and decision.item.state is State.PUBLISH_FAILED
    assert usecases.record_submit_failure(uow, item_id, refused) is None
    assert usecases.record_submit_failure(uow, 999, refused) is None
    last = uow.audit.history(item_id)[-1]
    assert (last.event.value, last.actor_id, last.comment) == (
        "publish_failed", 0, "提交发布未完成：公众号没有该接口的权限（48001）")
    failed = [p for _k, p in uow.outbox.rows.values()
              if p.get("template") == "item_publish_failed"]
    assert sorted(p["staff_id"] for p in failed) == [AUTHOR.id, ADMIN.id]
    assert all("48001" in p["context"]["reason"] for p in failed)
    usecases.act(uow, ADMIN.id, item_id, Event.RETRY, ctx())
    assert uow.items.rows[item_id].state is State.PUBLISHING


def test_a_dead_submission_does_not_fail_an_accepted_one(uow: FakeUnitOfWork) -> None:
    """Another row's submission was accepted (the publish_id is stored): its own
    result decides, not a stale row that died."""
    item_id = publishing(uow)
    uow.items.rows[item_id] = replace(uow.items.rows[item_id], publish_id="P1")
    assert usecases.record_submit_failure(uow, item_id, ctx("重复")) is None
    assert uow.items.rows[item_id].state is State.PUBLISHING


def test_a_submission_failure_looks_again_after_a_concurrent_write(
        uow: FakeUnitOfWork) -> None:
    item_id = publishing(uow)
    original_save = uow.items.save

    def racing_save(item, expected_version):
        # The worker stores a new draft id between our read and our write.
        uow.items.save = original_save  # type: ignore[method-assign]
        stored = uow.items.rows[item_id]
        uow.items.rows[item_id] = replace(stored, draft_media_id="M2",
                                          version=stored.version + 1)
        original_save(item, expected_version)

    uow.items.save = racing_save  # type: ignore[method-assign]
    decision = usecases.record_submit_failure(uow, item_id, ctx("拒绝"))
    assert decision is not None and uow.items.rows[item_id].state is State.PUBLISH_FAILED


def test_a_republished_revision_takes_the_outdated_article_down(uow: FakeUnitOfWork) -> None:
    item_id = published(uow)
    usecases.act(uow, ANALYST.id, item_id, Event.FLAG_OUTDATED, ctx("数据过时"))
    usecases.act(uow, AUTHOR.id, item_id, Event.REVISE, ctx())
    publish_through(uow, item_id, 8)
    deletes = [p for kind, p in uow.outbox.rows.values() if kind == "delete_published"]
    assert [p["article_id"] for p in deletes] == ["A7"]
    told = [p["context"] for kind, p in uow.outbox.rows.values()
            if kind == "notify" and p["context"].get("url") == "https://mp.weixin.qq.com/s/8"]
    assert told and all(c["replaced_url"] == "https://mp.weixin.qq.com/s/7" for c in told)
    assert uow.items.rows[item_id].article_id == "A8"


def test_a_first_publication_deletes_nothing(uow: FakeUnitOfWork) -> None:
    published(uow)
    assert not [k for k, _p in uow.outbox.rows.values() if k == "delete_published"]


# Topic planning (issue 19.3): an admin gives a topic to a writer, with a due day.

WRITER = Actor(7, "小周", frozenset({Role.CREATOR}))


@pytest.fixture
def team_uow() -> FakeUnitOfWork:
    return FakeUnitOfWork([AUTHOR, R1, R2, ADMIN, ANALYST, WRITER])


def _notices(uow: FakeUnitOfWork) -> list[tuple[int, str]]:
    return sorted((p["staff_id"], p["template"]) for kind, p in uow.outbox.rows.values()
                  if kind == "notify")


def test_an_admins_topic_given_to_a_writer_is_theirs_to_write(team_uow: FakeUnitOfWork) -> None:
    due = NOW.date() + timedelta(days=7)
    item = usecases.plan(team_uow, ADMIN.id, "冬季助学", replace(ctx(), due_on=due))
    with pytest.raises(NotOwner):
        usecases.act(team_uow, WRITER.id, item.id, Event.START, ctx())
    decision = usecases.assign(team_uow, ADMIN.id, item.id, "小周", ctx())
    assert (decision.item.author_id, decision.item.due_on) == (WRITER.id, due)
    assert _notices(team_uow) == [(WRITER.id, "item_assigned")]
    usecases.act(team_uow, WRITER.id, item.id, Event.START, ctx())
    assert [e.event.value for e in team_uow.audit.history(item.id)] == ["plan", "assign", "start"]


def test_taking_an_item_from_one_writer_tells_both(team_uow: FakeUnitOfWork) -> None:
    item_id = planned(team_uow)
    usecases.assign(team_uow, ADMIN.id, item_id, str(WRITER.id), ctx())
    assert _notices(team_uow) == [(AUTHOR.id, "item_unassigned"), (WRITER.id, "item_assigned")]
    with pytest.raises(NotOwner):  # the first writer may not submit it any more
        usecases.act(team_uow, AUTHOR.id, item_id, Event.SUBMIT, ctx())


@pytest.mark.parametrize(("member", "error"), [
    ("王芳", NotAWriter),      # a reviewer only: may not write
    ("没有这个人", InvalidInput),
    ("小李", AlreadyWriter),   # the writer already
])
def test_an_item_is_given_only_to_another_member_who_may_write(
        team_uow: FakeUnitOfWork, member: str, error: type[Exception]) -> None:
    item_id = planned(team_uow)
    with pytest.raises(error):
        usecases.assign(team_uow, ADMIN.id, item_id, member, ctx())
    assert team_uow.items.rows[item_id].author_id == AUTHOR.id


def test_only_an_admin_gives_items_and_only_while_they_are_written(
        team_uow: FakeUnitOfWork) -> None:
    item_id = planned(team_uow)
    with pytest.raises(PermissionDenied):
        usecases.assign(team_uow, AUTHOR.id, item_id, "小周", ctx())
    usecases.act(team_uow, AUTHOR.id, item_id, Event.SUBMIT, ctx())
    with pytest.raises(TransitionNotAllowed):  # later than a lost race: the state refuses
        usecases.assign(team_uow, ADMIN.id, item_id, "小周", ctx(minutes=10))


def test_the_writer_or_an_admin_sets_the_due_day(team_uow: FakeUnitOfWork) -> None:
    item_id = planned(team_uow)
    due = NOW.date() + timedelta(days=3)
    usecases.set_due(team_uow, AUTHOR.id, item_id, due, ctx())
    assert team_uow.items.rows[item_id].due_on == due
    assert _notices(team_uow) == []  # the writer set it: nobody to tell
    usecases.set_due(team_uow, ADMIN.id, item_id, None, ctx())
    assert team_uow.items.rows[item_id].due_on is None
    assert _notices(team_uow) == [(AUTHOR.id, "item_due_changed")]
    with pytest.raises(NotOwner):
        usecases.set_due(team_uow, WRITER.id, item_id, due, ctx())
    with pytest.raises(PermissionDenied):
        usecases.set_due(team_uow, R1.id, item_id, due, ctx())


def test_an_item_marked_sensitive_is_not_marked_again(uow: FakeUnitOfWork) -> None:
    item_id = planned(uow)
    usecases.act(uow, R1.id, item_id, Event.MARK_SENSITIVE, ctx())
    version = uow.items.rows[item_id].version
    with pytest.raises(AlreadySensitive):
        usecases.act(uow, R2.id, item_id, Event.MARK_SENSITIVE, ctx(minutes=10))
    assert uow.items.rows[item_id].version == version  # nothing written, nothing audited twice
    item = uow.items.rows[item_id]
    # 查看 offers it no more:
    assert Event.MARK_SENSITIVE not in policy.allowed_events(ADMIN, item, [])


# The archive (issue 24, 5.3): the entry is written by the move's own commit.


def test_archiving_and_withdrawing_write_the_entry_with_the_move(uow: FakeUnitOfWork) -> None:
    item_id = published(uow)
    assert uow.archive.rows == []
    usecases.act(uow, ADMIN.id, item_id, Event.WITHDRAW, ctx("活动取消"))
    [(request, at)] = uow.archive.rows
    assert (request.item_id, request.article_id, request.reason.value, at) == (
        item_id, "A7", "withdraw", NOW)
    assert [k for k, _p in uow.outbox.rows.values() if k == "delete_published"]
    usecases.act(uow, ADMIN.id, item_id, Event.ARCHIVE, ctx())
    assert [r.reason.value for r, _at in uow.archive.rows] == ["withdraw", "archive"]


def test_an_entry_goes_with_a_move_that_fails_to_commit(uow: FakeUnitOfWork) -> None:
    item_id = published(uow)

    def broken(*_args: object) -> bool:
        raise RuntimeError("the outbox is down")
    uow.outbox.add = broken  # type: ignore[method-assign,assignment]
    with pytest.raises(RuntimeError):
        usecases.act(uow, ADMIN.id, item_id, Event.WITHDRAW, ctx())
    assert uow.archive.rows == [] and uow.items.rows[item_id].state is State.PUBLISHED
