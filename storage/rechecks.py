"""The facts behind re-check dates (workflow.ports.RecheckView): queries only;
workflow/recheck.py decides what they mean."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import (
    ArticleMetric,
    AuditRow,
    CommentTicketRow,
    ContentItemRow,
    ReplyTicket,
    TicketMessage,
)
from workflow.recheck import (
    SPIKE_TRAILING,
    Article,
    DayReads,
    LastCheck,
    Said,
    verdict_of,
)
from workflow.reply_queue import COMPLAINT_PRIORITY
from workflow.states import State
from workflow.suggestions import named_items, unique_titles

#: The audit events that may record a re-check (recheck.verdict_of decides).
CHECK_EVENTS = ("recheck_ok", "flag_outdated", "withdraw")


class SqlRecheckView:
    def __init__(self, session: Session) -> None:
        self.session = session

    def published(self) -> Sequence[Article]:
        c = ContentItemRow
        rows = self.session.execute(
            select(c.id, c.title, c.topic, c.author_id, c.published_at, c.expires_on)
            .where(c.state == State.PUBLISHED.value, c.published_at.is_not(None))
            .order_by(c.id))
        return [Article(r.id, r.title, r.topic or "", r.author_id, r.published_at,
                        r.expires_on) for r in rows]

    def last_checks(self, item_ids: Collection[int]) -> Mapping[int, LastCheck]:
        if not item_ids:
            return {}
        a = AuditRow
        rows = self.session.execute(
            select(a.item_id, a.event, a.command, a.comment, a.actor_id, a.actor_name, a.at)
            .where(a.item_id.in_(list(item_ids)), a.event.in_(CHECK_EVENTS))
            .order_by(a.id))
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
        return sorted([*self._comments(item_ids, since), *self._messages(item_ids, since)],
                      key=lambda s: (s.at, s.ticket_id))

    def _comments(self, item_ids: Collection[int], since: datetime) -> list[Said]:
        c, t, m = CommentTicketRow, ReplyTicket, TicketMessage
        rows = self.session.execute(
            select(c.item_id, c.ticket_id, t.priority, m.content, m.created_at)
            .join(t, t.id == c.ticket_id).join(m, m.ticket_id == c.ticket_id)
            .where(c.item_id.in_(list(item_ids)), m.direction == "in", m.created_at >= since))
        return [Said(r.item_id, r.created_at, r.content or "",
                     r.priority >= COMPLAINT_PRIORITY, r.ticket_id, "comment") for r in rows]

    def _messages(self, item_ids: Collection[int], since: datetime) -> list[Said]:
        """Followers' messages (not comments) naming a published item in 《》."""
        t, m, c = ReplyTicket, TicketMessage, CommentTicketRow
        rows = self.session.execute(
            select(m.ticket_id, m.content, m.created_at, t.priority)
            .join(t, t.id == m.ticket_id).outerjoin(c, c.ticket_id == t.id)
            .where(c.ticket_id.is_(None), m.direction == "in", m.created_at >= since,
                   m.content.contains("《")))
        found = list(rows)
        if not found:
            return []
        item = ContentItemRow
        titles = unique_titles([(r.id, r.title) for r in self.session.execute(
            select(item.id, item.title).where(item.published_at.is_not(None)))])
        wanted = set(item_ids)
        return [Said(i, r.created_at, r.content, r.priority >= COMPLAINT_PRIORITY,
                     r.ticket_id, "message")
                for r in found for i in named_items(r.content, titles) if i in wanted]

    def daily_reads(self, item_ids: Collection[int],
                    since: datetime | None) -> Sequence[DayReads]:
        if not item_ids or since is None:
            return []
        m = ArticleMetric
        first = since.date() - timedelta(days=SPIKE_TRAILING + 1)
        rows = self.session.execute(
            select(m.item_id, m.day, m.reads)
            .where(m.item_id.in_(list(item_ids)), m.day >= first))
        by_day: dict[tuple[int, date], int] = {}
        for r in rows:  # an item published again is two articles: their reads add up
            key = (int(r.item_id), r.day)
            by_day[key] = by_day.get(key, 0) + int(r.reads or 0)
        return [DayReads(i, d, n) for (i, d), n in sorted(by_day.items())]
