"""Keyword auto-reply matching and validation, on plain data."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import time
from typing import Any

import pytest

from handlers import refusals
from workflow.autoreply import (
    Article,
    MatchType,
    ReplyKind,
    Rule,
    answered_instead,
    match,
    parse_article,
    parse_hours,
    validate_rule,
)
from workflow.errors import InvalidInput, RuleRefused

NOON = time(12, 0)
ARTICLE = Article("冬季助学", "为山区孩子送去冬衣", "https://example.org/a", "https://example.org/p.jpg")


def rule(id: int, match_type: MatchType, pattern: str, **changes: Any) -> Rule:
    base = Rule(id=id, match_type=match_type, pattern=pattern, priority=0, active=True,
                active_from=None, active_until=None, reply_kind=ReplyKind.TEXT,
                reply_text=f"reply {id}", articles=())
    return replace(base, **changes)


def answer(rules: list[Rule], text: str | None = None, click_key: str | None = None,
           at: time = NOON) -> int | None:
    found = match(rules, text=text, click_key=click_key, local_time=at)
    return found.id if found else None


def test_a_text_reply_wechat_would_not_show_answers_nobody() -> None:
    """Saved while the limit counted characters: 700 汉字 are 2,100 bytes, over what
    one passive reply carries; the message goes to the queue, and a rule after it
    that can be shown answers instead."""
    too_long = rule(1, MatchType.CONTAINS, "活动", reply_text="长" * 700, priority=5)
    assert too_long.unshowable and not rule(2, MatchType.CONTAINS, "活动").unshowable
    assert answer([too_long], "活动安排") is None
    assert answer([too_long, rule(2, MatchType.CONTAINS, "活动")], "活动安排") == 2
    news = rule(3, MatchType.CONTAINS, "活动", reply_kind=ReplyKind.NEWS,
                reply_text="长" * 700, articles=(ARTICLE,))
    assert not news.unshowable


# --- each match type ---------------------------------------------------------

def test_exact_matches_the_whole_message_only() -> None:
    rules = [rule(1, MatchType.EXACT, "捐款")]
    assert answer(rules, "捐款") == 1
    assert answer(rules, "  捐款\n") == 1
    assert answer(rules, "我想捐款") is None


def test_contains_matches_anywhere_in_the_message() -> None:
    rules = [rule(1, MatchType.CONTAINS, "志愿者")]
    assert answer(rules, "请问怎么报名志愿者？") == 1
    assert answer(rules, "怎么捐款") is None


def test_regex_searches_the_message() -> None:
    rules = [rule(1, MatchType.REGEX, r"^(报名|参加)\s*\d{4}")]
    assert answer(rules, "报名 2026 冬令营") == 1
    assert answer(rules, "我要报名") is None


def test_exact_and_contains_ignore_case_and_width() -> None:
    rules = [rule(1, MatchType.EXACT, "VIP"), rule(2, MatchType.CONTAINS, "wifi")]
    assert answer(rules, "ｖｉｐ") == 1  # full-width letters
    assert answer(rules, "vip") == 1
    assert answer(rules, "办公室ＷＩＦＩ密码") == 2


def test_full_width_pattern_matches_half_width_text() -> None:
    assert answer([rule(1, MatchType.CONTAINS, "２０２６")], "2026年计划") == 1


def test_click_rules_match_only_the_exact_menu_key() -> None:
    rules = [rule(1, MatchType.CLICK, "MENU_DONATE"), rule(2, MatchType.CONTAINS, "MENU")]
    assert answer(rules, click_key="MENU_DONATE") == 1
    assert answer(rules, click_key="menu_donate") is None
    assert answer(rules, click_key="MENU_OTHER") is None


def test_text_never_triggers_a_click_rule_and_a_click_never_a_text_rule() -> None:
    rules = [rule(1, MatchType.CLICK, "MENU_DONATE", priority=9),
             rule(2, MatchType.EXACT, "MENU_DONATE")]
    assert answer(rules, text="MENU_DONATE") == 2
    assert answer([rules[1]], click_key="MENU_DONATE") is None


def test_no_input_matches_nothing() -> None:
    assert answer([rule(1, MatchType.REGEX, ".*")]) is None


# --- order, activity, time windows ------------------------------------------

def test_highest_priority_wins_whatever_the_order_given() -> None:
    rules = [rule(1, MatchType.CONTAINS, "捐"), rule(2, MatchType.CONTAINS, "捐款", priority=5)]
    assert answer(rules, "我要捐款") == 2
    assert answer(list(reversed(rules)), "我要捐款") == 2


def test_a_priority_tie_goes_to_the_older_rule() -> None:
    rules = [rule(7, MatchType.CONTAINS, "捐"), rule(3, MatchType.CONTAINS, "款")]
    assert answer(rules, "捐款") == 3


def test_inactive_rules_never_answer() -> None:
    rules = [rule(1, MatchType.CONTAINS, "捐款", active=False, priority=9),
             rule(2, MatchType.CONTAINS, "捐款")]
    assert answer(rules, "捐款") == 2
    assert answer(rules[:1], "捐款") is None


@pytest.mark.parametrize(("at", "expected"), [
    (time(8, 59), None), (time(9, 0), 1), (time(17, 59), 1), (time(18, 0), None),
])
def test_office_hours_window(at: time, expected: int | None) -> None:
    rules = [rule(1, MatchType.CONTAINS, "客服", active_from=time(9), active_until=time(18))]
    assert answer(rules, "客服在吗", at=at) == expected


@pytest.mark.parametrize(("at", "expected"), [
    (time(21, 59), 2), (time(22, 0), 1), (time(23, 59), 1), (time(0, 0), 1),
    (time(5, 59), 1), (time(6, 0), 2), (time(12, 0), 2),
])
def test_a_window_across_midnight(at: time, expected: int) -> None:
    rules = [rule(1, MatchType.CONTAINS, "客服", priority=5,
                  active_from=time(22), active_until=time(6)),
             rule(2, MatchType.CONTAINS, "客服")]
    assert answer(rules, "客服在吗", at=at) == expected


# --- a pathological regex cannot stall a request ------------------------------

@pytest.mark.parametrize("pattern", [r"(a+)+$", r"(a|aa)+$", r"(a|a)+$"])
def test_catastrophic_backtracking_finishes_without_a_match(
        pattern: str, caplog: pytest.LogCaptureFixture) -> None:
    rules = [rule(1, MatchType.REGEX, pattern, priority=9), rule(2, MatchType.CONTAINS, "b")]
    with caplog.at_level(logging.WARNING, logger="workflow.autoreply"):
        assert answer(rules, "a" * 30 + "b") == 2


def test_a_regex_timeout_is_logged_with_the_rule_id(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="workflow.autoreply"):
        assert answer([rule(41, MatchType.REGEX, r"(a|aa)+$")], "a" * 40 + "b") is None
    assert "rule 41" in caplog.text and "timed out" in caplog.text


class SteppingClock:
    """Each reading is ``step`` seconds after the previous one."""

    def __init__(self, step: float) -> None:
        self.step, self.now = step, 0.0

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_regex_rules_share_one_budget_per_message(caplog: pytest.LogCaptureFixture) -> None:
    # Every regex search appears to take 60 ms: after the 200 ms budget the
    # remaining regex rules are skipped, but plain rules are still tried.
    rules = [rule(i, MatchType.REGEX, "^不会匹配$", priority=100 - i) for i in range(1, 30)]
    rules += [rule(40, MatchType.REGEX, "捐款", priority=1), rule(50, MatchType.CONTAINS, "捐款")]
    with caplog.at_level(logging.WARNING, logger="workflow.autoreply"):
        found = match(rules, text="我想捐款", local_time=NOON, now=SteppingClock(0.06))
    assert found is not None and found.id == 50
    assert caplog.text.count("used up") == 1


def test_within_the_budget_every_regex_rule_is_tried() -> None:
    rules = [rule(i, MatchType.REGEX, "^不会匹配$", priority=100 - i) for i in range(1, 30)]
    rules.append(rule(40, MatchType.REGEX, "捐款", priority=1))
    assert match(rules, text="我想捐款", local_time=NOON, now=SteppingClock(0.001)) == rules[-1]


def test_a_broken_regex_from_the_database_is_no_match(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="workflow.autoreply"):
        assert answer([rule(5, MatchType.REGEX, "(")], "(") is None
    assert "rule 5" in caplog.text


# --- validation ---------------------------------------------------------------

def _validate(**changes: Any) -> None:
    args: dict[str, Any] = {"match_type": MatchType.CONTAINS, "pattern": "捐款",
                            "reply_kind": ReplyKind.TEXT, "reply_text": "谢谢"}
    validate_rule(**(args | changes))


def test_a_good_text_rule_and_a_good_news_rule_pass() -> None:
    _validate()
    _validate(reply_kind=ReplyKind.NEWS, reply_text="", articles=[ARTICLE] * 8,
              active_from=time(22), active_until=time(6))


@pytest.mark.parametrize(("changes", "fragment"), [
    ({"pattern": "  "}, "不能为空"),
    ({"pattern": "x" * 201}, "200"),
    ({"match_type": MatchType.REGEX, "pattern": "(unclosed"},
     "正则表达式无效：第 10 个字符处，括号 ( 没有对应的 )"),
    ({"match_type": MatchType.REGEX, "pattern": "a{2,1}"},
     "正则表达式无效：第 3 个字符处，{m,n} 里"),
    ({"match_type": MatchType.REGEX, "pattern": "(["}, "方括号 [ 没有对应的 ]"),
    ({"match_type": MatchType.REGEX, "pattern": r"\q"}, "无效的转义 \\q"),
    ({"match_type": MatchType.CLICK, "pattern": "键" * 50}, "128"),
    ({"reply_text": ""}, "回复内容不能为空"),
    ({"reply_text": "字" * 2001}, "2000"),
    ({"articles": [ARTICLE]}, "二选一"),
    ({"reply_kind": ReplyKind.NEWS, "reply_text": "", "articles": []}, "1 到 8"),
    ({"reply_kind": ReplyKind.NEWS, "reply_text": "", "articles": [ARTICLE] * 9}, "1 到 8"),
    ({"reply_kind": ReplyKind.NEWS, "articles": [ARTICLE]}, "二选一"),
    ({"reply_kind": ReplyKind.NEWS, "reply_text": "",
      "articles": [replace(ARTICLE, title=" ")]}, "缺少标题"),
    ({"reply_kind": ReplyKind.NEWS, "reply_text": "",
      "articles": [ARTICLE, replace(ARTICLE, url="javascript:alert(1)")]}, "第 2 篇"),
    ({"reply_kind": ReplyKind.NEWS, "reply_text": "",
      "articles": [replace(ARTICLE, url="ftp://example.org")]}, "http"),
    ({"reply_kind": ReplyKind.NEWS, "reply_text": "",
      "articles": [replace(ARTICLE, picurl="data:image/png")]}, "图片"),
    ({"active_from": time(9)}, "同时给出"),
    ({"active_until": time(18)}, "同时给出"),
    ({"active_from": time(9), "active_until": time(9)}, "不能相同"),
])
def test_validation_refuses_with_a_reason(changes: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        _validate(**changes)
    assert fragment in refusals.say(refused.value)


# --- parsing CLI / chat input -------------------------------------------------

def test_parse_hours_and_articles() -> None:
    assert parse_hours("09:00-18:00") == (time(9), time(18))
    assert parse_hours("22:00～06:30") == (time(22), time(6, 30))
    assert parse_article("标题|描述|https://e.org") == Article("标题", "描述", "https://e.org", "")


@pytest.mark.parametrize("text", ["9-18", "09:00", "25:00-06:00", "09:00-18:5", "❾:00-18:00"])
def test_parse_hours_refuses_nonsense(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_hours(text)


def test_parse_article_needs_three_or_four_parts() -> None:
    with pytest.raises(RuleRefused) as refused:
        parse_article("只有标题")
    assert refused.value.problem == "article_format"


def test_a_new_rule_is_reported_when_another_still_answers_its_trigger() -> None:
    """What 规则 添加/包含/菜单 warn about: the new rule's own keyword or menu key
    goes to a rule ahead of it."""
    ahead = rule(1, MatchType.CONTAINS, "地", priority=5)
    exact = rule(2, MatchType.EXACT, "地址")
    assert answered_instead([ahead, exact], exact, NOON) == ahead
    assert answered_instead([exact], exact, NOON) is None  # it answers itself
    key_ahead = rule(3, MatchType.CLICK, "CONTACT", priority=5)
    click = rule(4, MatchType.CLICK, "CONTACT")
    assert answered_instead([key_ahead, click], click, NOON) == key_ahead
    assert answered_instead([ahead, click], click, NOON) is None  # text rules answer no click
    pattern = rule(5, MatchType.REGEX, "地.*")
    assert answered_instead([ahead, pattern], pattern, NOON) is None  # no one text to try
