"""The quarterly evaluation's pure rules (workflow/evaluation.py): quarters and
their refusals, the 90th percentile, grouping, what counts in a quarter, the
quarterly job's next step, and the staff survey's answers in order."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.unit.fakes import FakeUnitOfWork
from workflow import evaluation, quarters, staff_survey
from workflow.errors import SurveyDone, SurveyNotAsked, SurveyRating
from workflow.evaluation import REASON_GROUPS, SUGGESTION_GROUPS, Spread, Stage
from workflow.evaluation_records import DueDraft, Step, SurveyAnswer
from workflow.model import Context
from workflow.quarters import Next, Quarter
from workflow.report import ReportKind, ReportPeriod
from workflow.roles import Actor, Role
from workflow.staff_survey import Question

TODAY = date(2026, 12, 7)
T0 = datetime(2026, 7, 1, tzinfo=UTC)
WANG = Actor(3, "王芳", frozenset({Role.CREATOR}))


def test_a_quarter_knows_its_days_and_neighbours() -> None:
    q4 = Quarter(2026, 4)
    assert (q4.first, q4.last, q4.name) == (date(2026, 10, 1), date(2026, 12, 31), "2026Q4")
    assert (q4.next(), q4.previous()) == (Quarter(2027, 1), Quarter(2026, 3))
    assert Quarter(2026, 1).previous() == Quarter(2025, 4)
    assert Quarter(2026, 1).last == date(2026, 3, 31)
    assert quarters.quarter_of(date(2026, 6, 30)) == Quarter(2026, 2)
    assert quarters.last_ended(TODAY) == Quarter(2026, 3)
    assert quarters.last_ended(date(2027, 1, 1)) == Quarter(2026, 4)
    assert ReportPeriod(ReportKind.QUARTER, q4.first, q4.last).name == "2026Q4"


@pytest.mark.parametrize("given", ["2026Q4", "2026q4", " 2026Q1 ", "2026 Q2"])
def test_a_quarter_as_typed(given: str) -> None:
    assert quarters.parse_quarter(given, TODAY).name == f"2026Q{given.strip()[-1]}"


@pytest.mark.parametrize(("given", "why"), [
    ("2026Q5", "malformed"), ("2026Q0", "malformed"), ("26Q1", "malformed"),
    ("2026-10", "malformed"), ("", "malformed"), ("2027Q1", "future"), ("2099Q3", "future")])
def test_a_quarter_refused(given: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        quarters.parse_quarter(given, TODAY)


def test_the_90th_percentile_is_the_nearest_rank() -> None:
    assert evaluation.p90([5.0]) == 5.0
    assert evaluation.p90([1.0, 2.0]) == 2.0  # ceil(1.8) = 2nd
    assert evaluation.p90([float(n) for n in range(1, 11)]) == 9.0  # the 9th of 10
    assert evaluation.p90([float(n) for n in range(11, 0, -1)]) == 10.0  # ceil(9.9) = 10th
    assert evaluation.spread([]) == Spread(0, None, None)
    assert evaluation.spread([3.0, 1.0, 2.0, 10.0]) == Spread(4, 2.5, 10.0)


def test_reasons_and_suggestions_fall_in_the_first_group_found() -> None:
    assert evaluation.group_of("标题太长", REASON_GROUPS) == "title"  # before 太长's length
    assert evaluation.group_of("有两处错别字，标题也要改", REASON_GROUPS) == "typos"
    assert evaluation.group_of("再想想", REASON_GROUPS) == "other"
    assert evaluation.group_of("终审通知太晚", SUGGESTION_GROUPS) == "review"
    assert evaluation.counted(["b", "a", "b"]) == [("b", 2), ("a", 1)]


def _step(item: int, event: str, before: str, after: str, hours: float) -> Step:
    return Step(item, event, before, after, T0 + timedelta(hours=hours))


def test_a_stage_counts_in_the_quarter_it_ended_once_per_item() -> None:
    steps = [_step(1, "plan", "planned", "planned", -48),  # planned before the span
             _step(1, "submit", "drafting", "in_review", 10),
             _step(1, "request_changes", "in_review", "changes_requested", 12),
             _step(1, "submit", "changes_requested", "in_review", 20),  # not a new lead time
             _step(1, "approve", "in_review", "final_review", 21),
             _step(2, "plan", "planned", "planned", 1),
             _step(2, "submit", "drafting", "in_review", 100)]  # after the span's end
    found = evaluation.lead_times(steps, T0, T0 + timedelta(hours=50))
    assert found[Stage.PLAN_SUBMIT] == Spread(1, 58.0, 58.0)
    assert found[Stage.SUBMIT_REVIEW] == Spread(1, 2.0, 2.0)  # the first decision, a send-back
    assert found[Stage.REVIEW_FINAL] == Spread(0, None, None)


def test_a_timed_publish_is_on_time_late_or_failed() -> None:
    steps = [_step(1, "due", "scheduled", "publishing", 0),
             _step(1, "publish_succeeded", "publishing", "published", 0.5),  # 30 min: on time
             _step(2, "due", "scheduled", "publishing", 0),
             _step(2, "publish_succeeded", "publishing", "published", 0.6),  # 36 min: late
             _step(3, "due", "scheduled", "publishing", 0),
             _step(3, "publish_failed", "publishing", "publish_failed", 0.1),
             _step(4, "publish", "approved", "publishing", 1),
             _step(4, "record_published", "publishing", "published", 2)]
    found = evaluation.publishes(steps, T0, T0 + timedelta(days=1))
    assert (found.on_time, found.late, found.failed, found.untimed) == (1, 1, 1, 1)


def test_a_draft_not_in_counts_missing_only_past_its_due_day() -> None:
    drafts = [DueDraft(1, date(2026, 7, 2), datetime(2026, 7, 2, 15, tzinfo=UTC)),  # 23:00
              DueDraft(2, date(2026, 7, 2), datetime(2026, 7, 2, 16, tzinfo=UTC)),  # 00:00
              DueDraft(3, date(2026, 7, 5), None), DueDraft(4, date(2026, 7, 6), None)]
    found = evaluation.due_drafts(drafts, date(2026, 7, 6), ZoneInfo("Asia/Shanghai"))
    assert (found.on_time, found.late, found.missing) == (1, 1, 1)


Q3 = Quarter(2026, 3)
ASKED = datetime(2026, 10, 1, 2, tzinfo=UTC)
WAIT = timedelta(days=3)


@pytest.mark.parametrize(("today", "asked", "all_answered", "sent", "now", "step"), [
    (date(2026, 9, 30), None, False, False, ASKED, Next.NOTHING),  # not over yet
    (date(2026, 10, 1), None, False, False, ASKED, Next.ASK),
    (date(2026, 10, 31), None, False, False, ASKED, Next.ASK),  # a month late: still asked
    (date(2026, 11, 2), None, False, False, ASKED, Next.NOTHING),  # too late to ask
    (date(2026, 10, 2), ASKED, False, False, ASKED + timedelta(days=1), Next.NOTHING),
    (date(2026, 10, 2), ASKED, True, False, ASKED + timedelta(days=1), Next.MAKE),
    (date(2026, 10, 4), ASKED, False, False, ASKED + WAIT, Next.MAKE),
    (date(2026, 10, 4), ASKED, True, True, ASKED + WAIT, Next.NOTHING),  # sent once
])
def test_the_quarterly_job_asks_waits_then_makes(today: date, asked: datetime | None,
                                                  all_answered: bool, sent: bool,
                                                  now: datetime, step: Next) -> None:
    assert quarters.quarterly_step(Q3, today, asked, all_answered, sent, now, WAIT) is step


@pytest.mark.parametrize(("typed", "rating"), [
    ("4", 4), (" 5 ", 5), ("３分", 3), ("1星", 1), ("0", None), ("6", None), ("四", None),
    ("4.5", None), ("45", None)])
def test_a_rating_as_typed(typed: str, rating: int | None) -> None:
    assert staff_survey.rating_of(typed) == rating


def test_the_survey_is_answered_in_order_once() -> None:
    uow = FakeUnitOfWork([WANG])
    ctx = Context(now=ASKED + timedelta(hours=1))
    with pytest.raises(SurveyNotAsked):
        staff_survey.answer(uow, WANG, "太慢", ctx)
    uow.evaluation.names[WANG.id] = WANG.name
    assert uow.evaluation.start_survey("2026Q3", [WANG.id], ASKED)
    assert not uow.evaluation.start_survey("2026Q3", [WANG.id], ASKED)  # asked once
    shown = staff_survey.answer(uow, WANG, "  ", ctx)
    assert (shown.answered, shown.next) == (None, Question.SLOWED)
    assert staff_survey.answer(uow, WANG, "审核慢", ctx).next is Question.CHANGE
    assert staff_survey.answer(uow, WANG, "限时审核", ctx).next is Question.RATING
    with pytest.raises(SurveyRating):
        staff_survey.answer(uow, WANG, "很好", ctx)
    done = staff_survey.answer(uow, WANG, "5", ctx)
    assert (done.answered, done.next) == (Question.RATING, None)
    assert done.answer == SurveyAnswer(WANG.id, WANG.name, "2026Q3", ASKED, "审核慢", "限时审核",
                                       5, ctx.now)
    assert done.answer.complete
    with pytest.raises(SurveyDone):
        staff_survey.answer(uow, WANG, "还有", ctx)
    assert [a.event for a in uow.audit.actions] == ["survey_answer"] * 3
    # The newest survey asked is the one answered.
    assert uow.evaluation.start_survey("2026Q4", [WANG.id], ASKED + timedelta(days=92))
    assert staff_survey.answer(uow, WANG, "评审会", ctx).answer.quarter == "2026Q4"


def test_the_survey_figures() -> None:
    answers = [SurveyAnswer(1, "甲", "2026Q3", ASKED, "慢", "", 4),
               SurveyAnswer(2, "乙", "2026Q3", ASKED, "", "", 5),
               SurveyAnswer(3, "丙", "2026Q3", ASKED)]
    found = staff_survey.staff_survey(answers)
    assert (found.asked, found.answered, found.rated, found.mean) == (3, 2, 2, 4.5)
    assert found.ratings == [(1, 0), (2, 0), (3, 0), (4, 1), (5, 1)]
    assert staff_survey.staff_survey([]).mean is None


def test_a_timed_publish_is_late_by_the_time_it_was_scheduled_for() -> None:
    planned = (T0 - timedelta(hours=1)).isoformat()
    steps = [Step(1, "schedule", "approved", "scheduled", T0 - timedelta(days=1), "", planned),
             _step(1, "due", "scheduled", "publishing", 0),  # an hour after its time
             _step(1, "publish_succeeded", "publishing", "published", 0.1),
             Step(2, "schedule", "approved", "scheduled", T0 - timedelta(days=1)),  # no time
             _step(2, "due", "scheduled", "publishing", 0),
             _step(2, "publish_succeeded", "publishing", "published", 0.1)]
    found = evaluation.publishes(steps, T0, T0 + timedelta(days=1))
    assert (found.on_time, found.late) == (1, 1)


def test_a_schedule_records_the_time_it_is_for() -> None:
    from workflow import machine
    from workflow.model import ContentItem, Review, ReviewDecision, ReviewStage
    from workflow.states import Event, State

    admin = Actor(5, "管理员", frozenset({Role.ADMIN}))
    item = ContentItem(id=7, title="稿件", author_id=1, state=State.APPROVED, review_round=1,
                       body="<p>正文</p>")
    reviews = [Review(7, 2, ReviewStage.FIRST, ReviewDecision.APPROVED, 1, 1),
               Review(7, 6, ReviewStage.FINAL, ReviewDecision.APPROVED, 1, 1)]
    when = T0 + timedelta(days=1)
    decided = machine.decide(item, reviews, admin, Event.SCHEDULE,
                             Context(now=T0, when=when))
    assert decided.audit.result == when.isoformat()
    assert datetime.fromisoformat(decided.audit.result) == when
