"""The facts behind re-check dates (workflow.ports.RecheckView): queries only;
workflow/recheck.py decides what they mean."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.among import among
from storage.literal import constant
from storage.models import (
    TITLED_LIKE,
    AnalyticsDay,
    ArticleMetric,
    AuditRow,
    CommentTicketRow,
    ContentItemRow,
    RecheckSignalRow,
    ReplyTicket,
    TicketMessage,
)
from storage.plans import custom_plans
from storage.titles import quoted_titles
from workflow.recheck import (
    RECHECK_WORDS,
    Article,
    DayReads,
    LastCheck,
    Said,
    Signal,
    SignalKind,
    verdict_of,
)
from workflow.reply_queue import COMPLAINT_PRIORITY
from workflow.states import State
from workflow.suggestions import named_items

#: The interface whose daily answer gives every article's reads that day.
READS = "getarticleread"
#: How a message naming an article in 《》 is found: as a literal, which the
#: partial index of such messages (``ix_ticket_messages_titled``) repeats.
TITLED = constant(TITLED_LIKE)
#: The audit events that may record a re-check (recheck.verdict_of decides).
CHECK_EVENTS = ("recheck_ok", "flag_outdated", "withdraw")


class SqlRecheckView:
    def __init__(self, session: Session) -> None:
        self.session = session

    def published(self) -> Sequence[Article]:
        c = ContentItemRow
        rows = self.session.connection().execute(  # Core: thousands of rows, no ORM
            select(c.id, c.title, c.topic, c.author_id, c.published_at, c.expires_on)
            .where(c.state == State.PUBLISHED.value, c.published_at.is_not(None))
            .order_by(c.id)).all()
        return [Article(r.id, r.title, r.topic or "", r.author_id, r.published_at,
                        r.expires_on) for r in rows]

    def last_checks(self, item_ids: Collection[int]) -> Mapping[int, LastCheck]:
        if not item_ids:
            return {}
        a = AuditRow
        rows = self.session.connection().execute(
            select(a.item_id, a.event, a.command, a.comment, a.actor_id, a.actor_name, a.at)
            .where(among(self.session, a.item_id, item_ids),
                   a.event.in_([constant(e) for e in CHECK_EVENTS]))
            .order_by(a.id)).all()
        found: dict[int, LastCheck] = {}
        for r in rows:  # oldest first: the last one stays
            verdict = verdict_of(r.event, r.command or "")
            if verdict is not None and r.item_id is not None:
                found[r.item_id] = LastCheck(r.at, verdict, r.actor_id, r.actor_name,
                                             r.comment or "")
        return found

    def said_about(self, item_ids: Collection[int], since: datetime | None) -> Sequence[Said]:
        if not item_ids or since is None:
            return []
        custom_plans(self.session)  # an array of every published item, since long ago
        return sorted([*self._comments(item_ids, since), *self._messages(item_ids, since)],
                      key=lambda s: (s.at, s.ticket_id))

    def _comments(self, item_ids: Collection[int], since: datetime) -> list[Said]:
        c, t, m = CommentTicketRow, ReplyTicket, TicketMessage
        rows = self.session.execute(
            select(c.item_id, c.ticket_id, t.priority, m.content, m.created_at)
            .join(t, t.id == c.ticket_id).join(m, m.ticket_id == c.ticket_id)
            .where(among(self.session, c.item_id, item_ids), m.direction == "in",
                   m.created_at >= since, _may_signal(t, m)))
        return [Said(r.item_id, r.created_at, r.content or "",
                     r.priority >= COMPLAINT_PRIORITY, r.ticket_id, "comment") for r in rows]

    def _messages(self, item_ids: Collection[int], since: datetime) -> list[Said]:
        """Followers' messages (not comments) naming a published item in 《》: read
        through the index of such messages (migration 0029), so not every
        message since the oldest unanswered day."""
        t, m, c = ReplyTicket, TicketMessage, CommentTicketRow
        rows = self.session.execute(
            select(m.ticket_id, m.content, m.created_at, t.priority)
            .join(t, t.id == m.ticket_id).outerjoin(c, c.ticket_id == t.id)
            .where(c.ticket_id.is_(None), m.direction == constant("in"),
                   m.created_at >= since, m.content.like(TITLED), _may_signal(t, m)))
        found = list(rows)
        if not found:
            return []
        titles = quoted_titles(self.session, (r.content for r in found))
        wanted = set(item_ids)
        return [Said(i, r.created_at, r.content, r.priority >= COMPLAINT_PRIORITY,
                     r.ticket_id, "message")
                for r in found for i in named_items(r.content, titles) if i in wanted]

    def daily_reads(self, first: date, last: date) -> Sequence[DayReads]:
        return self.reads_of(first, last, (State.PUBLISHED,))

    def reads_of(self, first: date, last: date, states: Collection[State]) -> list[DayReads]:
        """getarticleread's answer of each day (every article read that day, by its
        msgid) mapped to the items in ``states`` by the msgids article_metrics has
        matched; a day without that answer falls back to article_metrics' own rows
        (the first 30 days after publishing)."""
        items = self._msgids(states)
        by_day: dict[tuple[int, date], int] = {}
        answered: set[date] = set()
        a = AnalyticsDay
        for day, rows in self.session.execute(select(a.day, a.rows).where(
                a.endpoint == READS, a.day >= first, a.day <= last)):
            answered.add(day)
            for row in rows or []:
                item_id = items.get(str(row.get("msgid", "")))
                if item_id is not None:
                    key = (item_id, day)
                    by_day[key] = by_day.get(key, 0) + _read_users(row)
        m = ArticleMetric
        for r in self.session.execute(select(m.item_id, m.day, m.reads).where(
                among(self.session, m.item_id, set(items.values())),
                m.day >= first, m.day <= last)):
            if r.day not in answered:  # an item published again: its articles add up
                by_day[(r.item_id, r.day)] = by_day.get((r.item_id, r.day), 0) + int(r.reads)
        return [DayReads(i, d, n) for (i, d), n in sorted(by_day.items())]

    def _msgids(self, states: Collection[State]) -> dict[str, int]:
        m, c = ArticleMetric, ContentItemRow
        rows = self.session.execute(select(m.msgid, m.item_id).distinct()
                                    .join(c, c.id == m.item_id)
                                    .where(c.state.in_([s.value for s in states])))
        return {r.msgid: r.item_id for r in rows}

    def figures_from(self) -> date | None:
        a, m = AnalyticsDay, ArticleMetric
        days = [self.session.scalar(select(func.min(a.day)).where(a.endpoint == READS)),
                self.session.scalar(select(func.min(m.day)))]
        return min((d for d in days if d is not None), default=None)

    def kept_signals(self, item_ids: Collection[int]) -> Sequence[tuple[int, Signal]]:
        if not item_ids:
            return []
        k = RecheckSignalRow
        rows = self.session.connection().execute(
            select(k.item_id, k.kind, k.signal_day, k.detail)
            .where(among(self.session, k.item_id, item_ids)).order_by(k.signal_day, k.id)).all()
        return [(r.item_id, Signal(SignalKind(r.kind), r.signal_day, dict(r.detail or {})))
                for r in rows]

    def keep_signal(self, item_id: int, signal: Signal, now: datetime) -> bool:
        stmt = insert(RecheckSignalRow).values(
            item_id=item_id, kind=signal.kind.value, signal_day=signal.on,
            detail=dict(signal.detail), found_at=now)
        try:
            with self.session.begin_nested():
                self.session.execute(stmt)
        except IntegrityError:
            return False
        return True


def _may_signal(t: type[ReplyTicket], m: type[TicketMessage]) -> ColumnElement[bool]:
    """What can be a signal (recheck.said_signal): a complaint, or words that say
    the article may be wrong. The rest (写得真好) is not read at all."""
    return or_(t.priority >= COMPLAINT_PRIORITY, *[m.content.contains(w) for w in RECHECK_WORDS])


def _read_users(row: dict[str, Any]) -> int:
    """A getarticleread row's readers (its ``detail``; at the top in older answers)."""
    found = row.get("detail")
    detail: dict[str, Any] = found if isinstance(found, dict) else row
    try:
        return int(detail.get("read_user", 0))
    except (TypeError, ValueError):
        return 0
