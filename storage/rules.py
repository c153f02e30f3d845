"""Keyword auto-reply rules in the database; matching itself is ``workflow.autoreply``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time
from time import monotonic
from typing import Any, cast
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, Row, Table, bindparam, select, update
from sqlalchemy.orm import Session

from storage.models import AutoReplyRule
from workflow.autoreply import Article, MatchType, ReplyKind, Rule, validate_rule
from workflow.errors import InvalidInput

RULES = cast(Table, AutoReplyRule.__table__)


def add_rule(session: Session, *, match_type: MatchType, pattern: str, reply_text: str = "",
             articles: Sequence[Article] = (), priority: int = 0, active: bool = True,
             active_from: time | None = None, active_until: time | None = None,
             now: datetime, created_by: int | None = None) -> Rule:
    """Store a validated rule. Articles make it a news reply, otherwise a text reply."""
    kind = ReplyKind.NEWS if articles else ReplyKind.TEXT
    if match_type is not MatchType.REGEX:
        pattern = pattern.strip()  # whitespace is significant only inside a regex
    validate_rule(match_type=match_type, pattern=pattern, reply_kind=kind,
                  reply_text=reply_text, articles=articles,
                  active_from=active_from, active_until=active_until)
    row = AutoReplyRule(
        match_type=match_type.value, pattern=pattern, priority=priority, active=active,
        active_from=active_from, active_until=active_until, reply_type=kind.value,
        reply_text=reply_text if kind is ReplyKind.TEXT else "",
        reply_articles=_articles_json(articles) if articles else None,
        hits=0, created_by=created_by, created_at=now)
    session.add(row)
    session.flush()
    forget_cached_rules()
    return _rule(row)


def list_rules(session: Session, include_inactive: bool = True) -> list[Rule]:
    """In the order they are tried: highest priority first, then the older rule."""
    stmt = select(AutoReplyRule).order_by(AutoReplyRule.priority.desc(), AutoReplyRule.id)
    if not include_inactive:
        stmt = stmt.where(AutoReplyRule.active.is_(True))
    return [_rule(row) for row in session.scalars(stmt)]


def load_active_rules(session: Session) -> list[Rule]:
    return list_rules(session, include_inactive=False)


def get_rule(session: Session, rule_id: int) -> Rule:
    return _rule(_row(session, rule_id))


def remove_rule(session: Session, rule_id: int) -> Rule:
    """Delete a rule for good; to pause one keep it and use ``set_active``."""
    row = _row(session, rule_id)
    removed = _rule(row)
    session.delete(row)
    session.flush()
    forget_cached_rules()
    return removed


def set_active(session: Session, rule_id: int, active: bool) -> Rule:
    row = _row(session, rule_id)
    row.active = active
    session.flush()
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


def _row(session: Session, rule_id: int) -> AutoReplyRule:
    row = session.get(AutoReplyRule, rule_id)
    if row is None:
        raise InvalidInput(f"找不到规则 {rule_id}")
    return row


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
