"""Auto-reply rules in real databases: storage, matching and the hit counter."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, time
from typing import Any

import pytest
from sqlalchemy import Engine, select

from storage import rules as rule_store
from storage.models import AutoReplyRule
from storage.uow import SqlUnitOfWork
from workflow import rule_cases
from workflow.autoreply import Article, MatchType, NewRule, ReplyKind, Rule, match
from workflow.errors import InvalidInput, RuleNotFound
from workflow.model import Context
from workflow.roles import Actor, Role

NOW = datetime(2026, 11, 26, 8, 30, tzinfo=UTC)
NOON = time(12, 0)
ARTICLES = (Article("冬季助学", "为山区孩子送去冬衣", "https://example.org/a",
                    "https://example.org/a.jpg"),
            Article("志愿者招募", "", "http://example.org/v", ""))


ADMIN = Actor(0, "cli", frozenset({Role.ADMIN}))


def add(engine: Engine, match_type: MatchType, pattern: str, **kwargs: Any) -> Rule:
    kwargs.setdefault("reply_text", "" if "articles" in kwargs else f"答复：{pattern}")
    rule, _ = rule_cases.add(SqlUnitOfWork(engine), ADMIN, NewRule(match_type, pattern, **kwargs),
                             Context(now=NOW), NOON)
    return rule


def find(engine: Engine, text: str | None = None, click_key: str | None = None,
         at: time = NOON) -> Rule | None:
    """As the endpoint answers: match the active rules, count the hit."""
    with SqlUnitOfWork(engine) as uow:
        rule = match(rule_store.active_rules(uow.session), text=text, click_key=click_key,
                     local_time=at)
        if rule is not None:
            rule_store.count_hit(uow.session, rule)
        uow.commit()
    return rule


def hits(engine: Engine, rule_id: int) -> int:
    return rule_cases.get(SqlUnitOfWork(engine), rule_id).hits


def test_add_list_and_remove(engine: Engine) -> None:
    low = add(engine, MatchType.CONTAINS, "  捐款 ")
    high = add(engine, MatchType.EXACT, "帮助", priority=5, active_from=time(9),
               active_until=time(18))
    paused = add(engine, MatchType.REGEX, r"^\d+$", active=False)
    assert low.pattern == "捐款" and low.hits == 0
    every = rule_cases.listed(SqlUnitOfWork(engine))
    active = rule_cases.listed(SqlUnitOfWork(engine), include_inactive=False)
    assert [r.id for r in every] == [high.id, low.id, paused.id]  # the order they are tried
    assert [r.id for r in active] == [high.id, low.id]
    assert every[0] == high and (high.active_from, high.active_until) == (time(9), time(18))
    assert rule_cases.remove(SqlUnitOfWork(engine), ADMIN, low.id, Context(now=NOW)).id == low.id
    assert [r.id for r in rule_cases.listed(SqlUnitOfWork(engine))] == [high.id, paused.id]
    with pytest.raises(RuleNotFound) as gone:
        rule_cases.remove(SqlUnitOfWork(engine), ADMIN, low.id, Context(now=NOW))
    assert gone.value.rule_id == low.id


def test_an_invalid_rule_is_not_stored(engine: Engine) -> None:
    with pytest.raises(InvalidInput):
        add(engine, MatchType.REGEX, "(", reply_text="x")
    assert rule_cases.listed(SqlUnitOfWork(engine)) == []


def test_the_right_rule_answers_and_is_counted(engine: Engine) -> None:
    general = add(engine, MatchType.CONTAINS, "捐")
    specific = add(engine, MatchType.CONTAINS, "捐款", priority=5)
    night = add(engine, MatchType.CONTAINS, "捐款", priority=9, active_from=time(22),
                active_until=time(6))
    menu = add(engine, MatchType.CLICK, "MENU_DONATE")
    assert find(engine, "我想捐款") == specific
    assert find(engine, "我想捐款", at=time(23, 30)) == night
    assert find(engine, "捐书可以吗") == general
    assert find(engine, click_key="MENU_DONATE") == menu
    assert find(engine, "你好") is None
    assert find(engine, click_key="MENU_OTHER") is None
    counts = {r.id: hits(engine, r.id) for r in (general, specific, night, menu)}
    assert counts == {general.id: 1, specific.id: 1, night.id: 1, menu.id: 1}


def test_inactive_rules_are_skipped_until_enabled(engine: Engine) -> None:
    rule = add(engine, MatchType.EXACT, "地址", active=False)
    assert find(engine, "地址") is None
    enabled = rule_cases.set_active(SqlUnitOfWork(engine), ADMIN, rule.id, True, Context(now=NOW))
    assert enabled.active and find(engine, "地址") == enabled
    with pytest.raises(RuleNotFound):
        rule_cases.set_active(SqlUnitOfWork(engine), ADMIN, 999, True, Context(now=NOW))


def test_news_articles_round_trip(engine: Engine) -> None:
    rule = add(engine, MatchType.CLICK, "MENU_NEWS", articles=ARTICLES)
    assert rule.reply_kind is ReplyKind.NEWS and rule.articles == ARTICLES
    found = find(engine, click_key="MENU_NEWS")
    assert found is not None and found.articles == ARTICLES and found.reply_text == ""
    with SqlUnitOfWork(engine) as uow:
        stored = uow.session.scalar(select(AutoReplyRule.reply_articles))
    assert stored == {"articles": [
        {"title": "冬季助学", "description": "为山区孩子送去冬衣", "url": "https://example.org/a",
         "picurl": "https://example.org/a.jpg"},
        {"title": "志愿者招募", "description": "", "url": "http://example.org/v", "picurl": ""},
    ]}


def test_concurrent_hits_are_all_counted(engine: Engine) -> None:
    rule = add(engine, MatchType.EXACT, "你好")

    def hit_five_times(_: int) -> None:
        for _ in range(5):
            assert find(engine, "你好") is not None

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(hit_five_times, range(4)))
    assert hits(engine, rule.id) == 20
