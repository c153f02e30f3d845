"""Promises the routing table makes that no single command's test would catch."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from handlers import texts
from handlers.commands.confirm import CONFIRMED
from handlers.commands.table import TABLE
from handlers.replies import TEXT_REPLY_BYTES
from handlers.when import parse_when


def test_every_item_move_that_asks_for_confirmation_can_be_confirmed() -> None:
    """``ask_to_confirm(event)`` issues a code for the event; ``确认 CODE`` must
    know how to carry it out, or the code is useless."""
    asked = [spec.handler.__name__.removeprefix("confirm_") for spec in TABLE
             if spec.confirm and spec.handler.__name__.startswith("confirm_")]
    assert {"publish", "withdraw", "cancel"} <= set(asked)
    assert [action for action in asked if action not in CONFIRMED] == []


def test_help_for_schedule_says_how_the_time_words_read() -> None:
    """帮助 排期 states the reading of 周X, 本周X and 下周X, and what happens to a
    day or time already gone; its worked example is what the parser does."""
    spec = next(s for s in TABLE if s.name == "schedule")
    shown = texts.render("cmd/me_help_topic", spec=spec, roles=[], allowed=True)
    for words in ("一周从周一开始", "本周五", "下周五", "周日说「下周一」就是明天",
                  "不会自动改成明年", "不会自动改成明天",
                  "比如今天是周三：周五 = 后天，下周五 = 9天后，下周一 = 5天后"):
        assert words in shown, words
    assert len(shown.encode()) <= TEXT_REPLY_BYTES
    wednesday = datetime(2026, 11, 25, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    sunday = wednesday + timedelta(days=4)
    days = [(parse_when(text, now).date() - now.date()).days
            for text, now in (("周五 9:00", wednesday), ("下周五 9:00", wednesday),
                              ("下周一 9:00", wednesday), ("下周一 9:00", sunday))]
    assert days == [2, 9, 5, 1]


def test_help_for_other_commands_has_no_details() -> None:
    spec = next(s for s in TABLE if s.name == "approve")
    shown = texts.render("cmd/me_help_topic", spec=spec, roles=[], allowed=True)
    assert shown.splitlines()[1:3] == [spec.summary, f"例如：{spec.example}"]
