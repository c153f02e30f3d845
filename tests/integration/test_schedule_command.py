"""排期 with a day or time that has already gone: asked, never moved on silently
(issue 19.4), through the real grammar and dispatcher, on both engines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from handlers.commands import dispatch
from handlers.commands.grammar import CommandError
from storage.models import ContentItemRow
from tests.integration.commanding import NOW, TZ, Team, command_context, make_team, say
from workflow.roles import Actor, Role
from workflow.states import State

SUNDAY = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)  # Sunday 10:00 in Shanghai


@pytest.fixture
def team(engine: Engine) -> Team:
    return make_team(engine)


@pytest.fixture
def item(engine: Engine, team: Team) -> int:
    with Session(engine) as session:
        row = ContentItemRow(title="冬季助学", body="<p>寒假前为山区学生募集冬衣。</p>",
                             author_id=team.wang, state=State.APPROVED.value,
                             review_round=1, created_at=NOW, updated_at=NOW)
        session.add(row)
        session.commit()
        return row.id


def _refused(engine: Engine, team: Team, text: str, now: datetime = NOW) -> CommandError:
    admin = Actor(team.admin, "张敏", frozenset({Role.ADMIN}))
    with engine.begin() as conn, pytest.raises(CommandError) as refusal:
        dispatch.perform(command_context(conn, admin, "o_staff0", text, now), trusted=True)
    return refusal.value


def _scheduled(engine: Engine, item: int) -> tuple[str, datetime | None]:
    with engine.connect() as conn:
        row = conn.execute(select(ContentItemRow.state, ContentItemRow.scheduled_at)
                           .where(ContentItemRow.id == item)).one()
    when = row.scheduled_at
    if when is not None and when.tzinfo is None:  # SQLite keeps UTC without its zone
        when = when.replace(tzinfo=UTC)
    return row.state, when.astimezone(TZ) if when else None


ASKED = [  # at NOW, Thursday 2026-11-26 14:00 in Shanghai
    ("11月25日 9:00", "date", datetime(2027, 11, 25, 9, 0), "2027-11-25 9:00"),
    ("9:00", "time", datetime(2026, 11, 27, 9, 0), "明天 9:00"),
    ("下午1点", "time", datetime(2026, 11, 27, 13, 0), "明天 下午1点"),
    ("周四 9:00", "weekday", datetime(2026, 12, 3, 9, 0), "下周四 9:00"),
]


def test_a_day_or_time_already_gone_is_asked_and_the_offer_schedules_it(
        engine: Engine, team: Team, item: int) -> None:
    for when, what, candidate, suggestion in ASKED:
        asked = _refused(engine, team, f"排期 {item} {when}")
        assert (asked.code, asked.data["what"]) == ("when_passed", what), when
        assert asked.data["reply"] == f"排期 {item} {suggestion}"
        assert asked.data["candidate"] == candidate.replace(tzinfo=TZ)
        assert _scheduled(engine, item) == (State.APPROVED.value, None)  # nothing moved
        say(engine, team.admin, asked.data["reply"])
        assert _scheduled(engine, item) == (State.SCHEDULED.value, candidate.replace(tzinfo=TZ))
        say(engine, team.admin, f"取消排期 {item}")


def test_a_past_moment_written_in_full_is_refused_and_named(
        engine: Engine, team: Team, item: int) -> None:
    for text in ("2026-11-25 09:00", "今天 9:00", "11月26日 9:00"):
        refusal = _refused(engine, team, f"排期 {item} {text}")
        assert refusal.code == "when_past", text
    assert "2026年11月25日（周三）09:00" in say(engine, team.admin, f"排期 {item} 2026-11-25 9:00")
    assert _scheduled(engine, item) == (State.APPROVED.value, None)


def test_today_ahead_and_later_days_are_taken_as_written(
        engine: Engine, team: Team, item: int) -> None:
    say(engine, team.admin, f"排期 {item} 15:00")
    assert _scheduled(engine, item) == (State.SCHEDULED.value, datetime(2026, 11, 26, 15, 0,
                                                                       tzinfo=TZ))
    say(engine, team.admin, f"取消排期 {item}")
    say(engine, team.admin, f"排期 {item} 12月1日 9:00")
    assert _scheduled(engine, item) == (State.SCHEDULED.value, datetime(2026, 12, 1, 9, 0,
                                                                       tzinfo=TZ))


def test_the_questions_name_the_candidate_and_the_command_to_send(
        engine: Engine, team: Team, item: int) -> None:
    assert say(engine, team.admin, f"排期 {item} 12月1日 9:00", now=SUNDAY) == (
        f"12月1日已经过去了。是指 2027年12月1日 吗？回复「排期 {item} 2027-12-01 9:00」")
    assert say(engine, team.admin, f"排期 {item} 9:00", now=SUNDAY) == (
        f"今天 9:00 已经过去了。是指明天（12月7日）9:00 吗？回复「排期 {item} 明天 9:00」")
    assert say(engine, team.admin, f"排期 {item} 周日 9:00", now=SUNDAY) == (
        f"今天（周日）9:00 已经过去了。是指下周日（12月13日）9:00 吗？"
        f"回复「排期 {item} 下周日 9:00」")

