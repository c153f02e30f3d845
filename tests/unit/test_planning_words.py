"""选题 … 截止 日期: where the title ends and the due day begins."""

from __future__ import annotations

import pytest

from handlers.commands.planning import title_and_due


@pytest.mark.parametrize(("text", "title", "day"), [
    ("冬季助学 截止 周五", "冬季助学", "周五"),
    ("冬季助学", "冬季助学", ""),
    ("报名截止提醒", "报名截止提醒", ""),  # 截止 inside a word: part of the title
    ("关于 截止 日期 的说明 截止 下周五", "关于 截止 日期 的说明", "下周五"),  # the last one counts
    ("Winter drive due 12-20", "Winter drive", "12-20"),
])
def test_the_due_day_follows_the_last_截止(text: str, title: str, day: str) -> None:
    assert title_and_due(text) == (title, day)
