"""Confirmation codes decided without a database: once, only the asker, in time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.unit.fakes import FakeUnitOfWork
from workflow import confirm_cases, confirming
from workflow.errors import ConfirmationRefused, PermissionDenied
from workflow.model import ContentItem, Context
from workflow.roles import Action, Actor, Role
from workflow.states import Event, State

NOW = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
BOSS = Actor(1, "张敏", frozenset({Role.ADMIN}))
LI = Actor(2, "李雷", frozenset({Role.REVIEWER}))


def why(found: confirming.Confirmation | None, staff_id: int, now: datetime) -> str:
    with pytest.raises(ConfirmationRefused) as refused:
        confirming.use(found, staff_id, now)
    return refused.value.why


def test_a_code_is_for_its_asker_once_within_five_minutes() -> None:
    asked = confirming.issue(1, "publish", 12, 3, "", "发布 12", NOW, "K7M2QX")
    assert asked.expires_at == NOW + timedelta(minutes=5)
    used = confirming.use(asked, 1, NOW + timedelta(minutes=4))
    assert used.used_at == NOW + timedelta(minutes=4)
    assert why(used, 1, NOW) == "invalid"  # once
    assert why(asked, 2, NOW) == "invalid"  # someone else's reads like an unknown one
    assert why(None, 1, NOW) == "invalid"
    assert why(asked, 1, NOW + timedelta(minutes=5)) == "expired"


def test_a_code_from_before_notes_were_kept_is_void() -> None:
    legacy = confirming.Confirmation("K7M2QX", 1, "withdraw", 12, 3, None, "复查 12 删除 旧",
                                     NOW, NOW + timedelta(minutes=5))
    assert why(legacy, 1, NOW) == "outdated"


def test_asking_checks_the_move_and_stores_what_it_confirms() -> None:
    uow = FakeUnitOfWork([BOSS, LI])
    uow.items.rows[12] = ContentItem(12, "冬季助学", author_id=1, state=State.PUBLISHED,
                                     version=4)
    ctx = Context(now=NOW, command="复查 12 删除 过时了")
    with pytest.raises(PermissionDenied):
        confirm_cases.ask_item(uow, LI, Event.WITHDRAW, 12, ctx, "过时了")
    _, asked = confirm_cases.ask_item(uow, BOSS, Event.WITHDRAW, 12, ctx, "过时了")
    assert (asked.action, asked.subject_id, asked.subject_version, asked.note) == (
        "withdraw", 12, 4, "过时了")
    assert confirm_cases.take(uow, BOSS, asked.code.lower(), ctx) == \
        uow.confirmations.rows[asked.code]
    with pytest.raises(ConfirmationRefused):
        confirm_cases.take(uow, BOSS, asked.code, ctx)
    _, removal = confirm_cases.ask_removal(uow, BOSS, LI.id, ctx)
    assert removal.action == Action.REMOVE_STAFF.value and removal.note == ""


@pytest.mark.parametrize(("why_", "words"), [
    ("invalid", "确认码无效或已使用。请重新发起操作。"),
    ("expired", "确认码已过期（5 分钟内有效）。请重新发起操作。"),
    ("outdated", "这个确认码是系统升级前发出的，已作废。请重新发起操作。"),
])
def test_a_refused_code_is_worded_by_the_catalogue(why_: str, words: str) -> None:
    from handlers import refusals

    refused = ConfirmationRefused(why_)
    assert (refused.code, refused.data) == ("confirmation_refused", {"why": why_})
    assert refusals.say(refused) == words
