"""workflow.agenda: the 日程 calendar sorted from items, against a fixed day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from workflow.agenda import EntryKind, Period, bounds, build, overdue_days, period_days
from workflow.model import ContentItem
from workflow.states import State

TZ = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 26)  # a Thursday


def _item(item_id: int, state: State, **fields: object) -> ContentItem:
    return ContentItem(id=item_id, title=f"稿件{item_id}", author_id=1, state=state,
                       **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(("period", "first", "last"), [
    (Period.THIS_WEEK, date(2026, 11, 23), date(2026, 11, 29)),
    (Period.NEXT_WEEK, date(2026, 11, 30), date(2026, 12, 6)),
    (Period.THIS_MONTH, date(2026, 11, 1), date(2026, 11, 30)),
])
def test_periods_run_monday_to_sunday_and_over_the_calendar_month(
        period: Period, first: date, last: date) -> None:
    assert period_days(period, TODAY) == (first, last)


def test_a_month_ends_on_its_last_day_in_december_and_february() -> None:
    assert period_days(Period.THIS_MONTH, date(2026, 12, 31)) == (date(2026, 12, 1),
                                                                   date(2026, 12, 31))
    assert period_days(Period.THIS_MONTH, date(2028, 2, 10))[1] == date(2028, 2, 29)


def test_bounds_are_local_midnights() -> None:
    start, end = bounds(date(2026, 11, 23), date(2026, 11, 29), TZ)
    assert start.astimezone(UTC) == datetime(2026, 11, 22, 16, 0, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2026, 11, 29, 16, 0, tzinfo=UTC)


def test_items_fall_on_their_local_day_by_kind() -> None:
    items = [
        _item(1, State.DRAFTING, due_on=date(2026, 11, 27)),
        # Sunday 23:30 in Shanghai is Sunday 15:30 UTC: this week.
        _item(2, State.SCHEDULED, scheduled_at=datetime(2026, 11, 29, 15, 30, tzinfo=UTC)),
        # Monday 00:30 in Shanghai is still Sunday in UTC: next week, not this one.
        _item(3, State.SCHEDULED, scheduled_at=datetime(2026, 11, 29, 16, 30, tzinfo=UTC)),
        _item(4, State.PUBLISHED, published_at=datetime(2026, 11, 24, 12, 0, tzinfo=UTC)),
        _item(5, State.DRAFTING, due_on=date(2026, 11, 20)),   # overdue
        _item(6, State.PLANNED),                                # no due day
        _item(7, State.IN_REVIEW, due_on=date(2026, 11, 20)),  # submitted: not overdue
        _item(8, State.PLANNED, due_on=date(2026, 11, 26)),    # due today: not overdue yet
    ]
    agenda = build(items, date(2026, 11, 23), date(2026, 11, 29), TODAY, TZ)
    shown = [(day, [(e.kind, e.item.id) for e in entries]) for day, entries in agenda.days]
    assert shown == [
        (date(2026, 11, 24), [(EntryKind.PUBLISHED, 4)]),
        (date(2026, 11, 26), [(EntryKind.DUE, 8)]),
        (date(2026, 11, 27), [(EntryKind.DUE, 1)]),
        (date(2026, 11, 29), [(EntryKind.SCHEDULED, 2)]),
    ]
    assert [it.id for it in agenda.overdue] == [5]
    assert [it.id for it in agenda.undated] == [6]
    assert agenda.days[-1][1][0].at is not None and agenda.days[-1][1][0].at.hour == 23


def test_an_overdue_item_in_the_period_is_listed_once_as_overdue() -> None:
    late = _item(1, State.CHANGES_REQUESTED, due_on=date(2026, 11, 24))
    agenda = build([late], date(2026, 11, 23), date(2026, 11, 29), TODAY, TZ)
    assert (agenda.days, [it.id for it in agenda.overdue]) == ([], [1])
    assert overdue_days(late, TODAY) == 2


def test_a_day_orders_due_drafts_first_then_publishes_by_time() -> None:
    day = datetime(2026, 11, 27, 0, 0, tzinfo=TZ)
    items = [_item(1, State.SCHEDULED, scheduled_at=day.replace(hour=20)),
             _item(2, State.SCHEDULED, scheduled_at=day.replace(hour=9)),
             _item(3, State.DRAFTING, due_on=day.date())]
    agenda = build(items, date(2026, 11, 23), date(2026, 11, 29), TODAY, TZ)
    assert [e.item.id for e in agenda.days[0][1]] == [3, 2, 1]


def test_nothing_is_an_empty_agenda() -> None:
    assert build([], date(2026, 11, 23), date(2026, 11, 29), TODAY, TZ).empty
    assert overdue_days(_item(1, State.PUBLISHED, due_on=date(2026, 1, 1)), TODAY) == 0
