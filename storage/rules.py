"""Keyword auto-reply rules in the database; matching itself is ``workflow.autoreply``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from time import monotonic
from typing import Any, cast
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, Row, Table, bindparam, delete, select, update
from sqlalchemy.orm import Session

from storage.models import AutoReplyRule
from workflow.autoreply import Article, MatchType, NewRule, ReplyKind, Rule

RULES = cast(Table, AutoReplyRule.__table__)


class SqlRuleRepository:
    """Implements ``workflow.ports.RuleRepository``. A change here applies at
    once to this process's cached copy of the active rules."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, rule: NewRule, created_by: int | None, now: datetime) -> Rule:
        row = AutoReplyRule(
            match_type=rule.match_type.value, pattern=rule.pattern, priority=rule.priority,
            active=rule.active, active_from=rule.active_from, active_until=rule.active_until,
            reply_type=rule.reply_kind.value,
            reply_text=rule.reply_text if rule.reply_kind is ReplyKind.TEXT else "",
            reply_articles=_articles_json(rule.articles) if rule.articles else None,
            hits=0, created_by=created_by, created_at=now)
        self.session.add(row)
        self.session.flush()
        forget_cached_rules()
        return _rule(row)

    def listed(self, include_inactive: bool = True) -> list[Rule]:
        stmt = select(AutoReplyRule).order_by(AutoReplyRule.priority.desc(), AutoReplyRule.id)
        if not include_inactive:
            stmt = stmt.where(AutoReplyRule.active.is_(True))
        return [_rule(row) for row in self.session.scalars(stmt)]

    def get(self, rule_id: int) -> Rule | None:
        row = self.session.get(AutoReplyRule, rule_id)
        return None if row is None else _rule(row)

    def remove(self, rule_id: int) -> None:
        self.session.execute(delete(AutoReplyRule).where(AutoReplyRule.id == rule_id))
        forget_cached_rules()

    def set_active(self, rule_id: int, active: bool) -> Rule:
        row = self.session.get(AutoReplyRule, rule_id, populate_existing=True)
        assert row is not None, "the use case found the rule in this transaction"
        row.active = active
        self.session.flush()
        forget_cached_rules()
        return _rule(row)


_ACTIVE = (select(RULES).where(RULES.c.active.is_(True))
           .order_by(RULES.c.priority.desc(), RULES.c.id))
# One atomic statement: concurrent hits from many web workers must all count.
_HIT = update(RULES).where(RULES.c.id == bindparam("p_id")).values(hits=RULES.c.hits + 1)


#: Every follower message consults the rules, so each process keeps the active
#: ones this long. A change made in this process applies at once; one made by
#: another process (the CLI, another web worker) within this many seconds.
RULES_CACHE_SECONDS = 2.0
_cached: dict[str, tuple[float, list[Rule]]] = {}


def active_rules(conn: Connection | Session) -> list[Rule]:
    rules = cached_active_rules(conn)
    if rules is None:
        rules = [_rule(row) for row in conn.execute(_ACTIVE)]
        _cached[_cache_key(conn)] = (monotonic(), rules)
    return rules


def cached_active_rules(conn: Connection | Session) -> list[Rule] | None:
    """The active rules as this process last read them, unless that is too long ago.

    Needs no database: the endpoint matches against these before it takes the
    write lock, so a slow regex never holds up the other writers.
    """
    hit = _cached.get(_cache_key(conn))
    if hit is not None and monotonic() - hit[0] < RULES_CACHE_SECONDS:
        return hit[1]
    return None


_keys: WeakKeyDictionary[Engine, str] = WeakKeyDictionary()  # _cache_key's, by engine


def _cache_key(conn: Connection | Session) -> str:
    """The database, whichever engine reaches it. Rendering a URL takes a few
    microseconds, and every push asks: each engine's is kept."""
    engine = (conn.get_bind() if isinstance(conn, Session) else conn).engine
    key = _keys.get(engine)
    if key is None:
        key = _keys[engine] = str(engine.url)
    return key


def forget_cached_rules() -> None:
    _cached.clear()


def count_hit(conn: Connection | Session, rule: Rule) -> None:
    """One more message answered by ``rule`` (the caller commits)."""
    conn.execute(_HIT, {"p_id": rule.id})


def _rule(row: AutoReplyRule | Row[Any]) -> Rule:
    return Rule(
        id=row.id, match_type=MatchType(row.match_type), pattern=row.pattern,
        priority=row.priority, active=row.active, active_from=row.active_from,
        active_until=row.active_until, reply_kind=ReplyKind(row.reply_type),
        reply_text=row.reply_text, articles=_articles(row.reply_articles), hits=row.hits)


def _articles_json(articles: Sequence[Article]) -> dict[str, Any]:
    return {"articles": [{"title": a.title, "description": a.description, "url": a.url,
                          "picurl": a.picurl} for a in articles]}


def _articles(stored: dict[str, Any] | None) -> tuple[Article, ...]:
    items = (stored or {}).get("articles", [])
    return tuple(Article(str(a.get("title", "")), str(a.get("description", "")),
                         str(a.get("url", "")), str(a.get("picurl", ""))) for a in items)
