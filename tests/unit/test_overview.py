"""workflow.overview and workflow.feedback over in-memory fakes: 我的 and 建议
decided without a database (the same views run on both engines in
tests/integration/test_me_commands.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.unit.fakes import FakeUnitOfWork
from workflow import feedback, overview, stats
from workflow.errors import FeedbackTooLong, InvalidInput
from workflow.model import ContentItem, Context
from workflow.roles import Actor, Role
from workflow.states import State

NOW = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)  # already 2027 in Shanghai
TZ = ZoneInfo("Asia/Shanghai")
WRITER = Actor(1, "王芳", frozenset({Role.CREATOR}))
REVIEWER = Actor(2, "李雷", frozenset({Role.REVIEWER}))
ADMIN = Actor(3, "张敏", frozenset({Role.ADMIN}))


@pytest.fixture
def uow() -> FakeUnitOfWork:
    fake = FakeUnitOfWork([WRITER, REVIEWER, ADMIN])
    for item_id, state, due in ((1, State.DRAFTING, None), (2, State.PLANNED, date(2027, 1, 9)),
                                (3, State.CHANGES_REQUESTED, date(2027, 1, 2)),
                                (4, State.IN_REVIEW, None), (5, State.APPROVED, None)):
        fake.items.rows[item_id] = ContentItem(id=item_id, title=f"稿件{item_id}",
                                               author_id=WRITER.id, state=state, due_on=due,
                                               body="<p>正文</p>")
    return fake


def test_each_role_sees_its_own_work_and_a_writer_soonest_due_first(
        uow: FakeUnitOfWork) -> None:
    mine = overview.todo(uow, WRITER, NOW)
    assert [it.id for it in mine.mine] == [3, 2, 1]  # due first, undated last
    assert (mine.to_review, mine.to_schedule, mine.mine_to_start) == ([], [], True)
    review = overview.todo(uow, REVIEWER, NOW)
    assert ([it.id for it in review.to_review], review.mine) == ([4], [])
    admin = overview.todo(uow, ADMIN, NOW)
    assert [it.id for it in admin.to_schedule] == [5]


def test_a_reviewer_is_not_shown_their_own_item_to_review(uow: FakeUnitOfWork) -> None:
    uow.items.rows[4] = replace(uow.items.rows[4], author_id=REVIEWER.id)
    assert overview.todo(uow, REVIEWER, NOW).to_review == []


def test_feedback_is_kept_in_the_accounts_quarter_and_audited(uow: FakeUnitOfWork) -> None:
    ctx = Context(now=NOW, command="建议 早点发通知")
    assert feedback.give(uow, WRITER, "  早点发通知 ", ctx, TZ) == "2027Q1"
    assert uow.feedback.rows == [(WRITER.id, "早点发通知", "2027Q1", NOW)]
    assert [(a.subject, a.event, a.result) for a in uow.audit.actions] == [
        ("feedback:1", "feedback", "2027Q1")]


@pytest.mark.parametrize(("text", "error"), [(" ", InvalidInput), ("长" * 1001, FeedbackTooLong)])
def test_feedback_that_is_empty_or_too_long_is_refused(
        uow: FakeUnitOfWork, text: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        feedback.give(uow, WRITER, text, Context(now=NOW), TZ)
    assert uow.feedback.rows == [] and uow.audit.actions == []


def test_stats_without_platform_figures_count_our_own_records(uow: FakeUnitOfWork) -> None:
    today = NOW.astimezone(TZ).date()
    figures = stats.period_stats(uow, stats.last_days(today, 7), NOW, TZ).stats
    assert (figures.first, figures.last) == (date(2026, 12, 26), date(2027, 1, 1))
    assert (figures.lost_followers, figures.analytics_pulled) == (None, False)
    assert figures.last - figures.first == timedelta(days=6)
