"""The read side of 旧文 (workflow.old_content.OldContentView): every article still
on the platform with its last re-check, its reads over two windows, the
complaints tied to it and its open comments. Five queries, whatever the count
of articles."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy import ScalarSelect, func, select
from sqlalchemy.orm import Session

from storage.models import ArticleMetric, AuditRow, CommentTicketRow, ContentItemRow, ReplyTicket
from storage.repositories import item_from_row
from storage.views import named_complaints
from workflow.old_content import ON_PLATFORM, Facts, Recheck, Windows
from workflow.reply_queue import COMPLAINT_PRIORITY
from workflow.states import Event

Ids = ScalarSelect[int]  # the ids of the items on the platform, as a subquery
RECHECKS = (Event.RECHECK_OK, Event.FLAG_OUTDATED)
#: Every complaint ever made: the message scan is bounded by the articles, not by time.
_ALWAYS = (datetime(2000, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC))


class SqlOldContentView:
    def __init__(self, session: Session) -> None:
        self.session = session

    def on_platform(self, window: Windows) -> Sequence[Facts]:
        ids = select(ContentItemRow.id).where(
            ContentItemRow.state.in_([s.value for s in ON_PLATFORM])).scalar_subquery()
        rows = self.session.scalars(select(ContentItemRow).where(ContentItemRow.id.in_(ids))
                                    .order_by(ContentItemRow.id)).all()
        if not rows:
            return []
        rechecks = self._rechecks(ids)
        recent = self._reads(ids, window.first, window.last)
        before = self._reads(ids, window.before_first, window.before_last)
        pulled = self.session.scalar(select(func.count()).select_from(
            select(ArticleMetric.id).limit(1).subquery())) == 1
        complaints = self._complaints(ids, {r.id for r in rows})
        comments = self._open_comments(ids)
        return [Facts(item_from_row(r), rechecks.get(r.id),
                      recent.get(r.id, 0) if pulled else None,
                      before.get(r.id, 0) if pulled else None,
                      tuple(sorted(complaints.get(r.id, ()))), comments.get(r.id, 0))
                for r in rows]

    def _rechecks(self, ids: Ids) -> dict[int, Recheck]:
        a = AuditRow
        newest = (select(func.max(a.id)).where(
            a.item_id.in_(ids), a.event.in_([e.value for e in RECHECKS]))
            .group_by(a.item_id))
        rows = self.session.execute(select(a.item_id, a.at, a.event, a.actor_name)
                                    .where(a.id.in_(newest)))
        return {r.item_id: Recheck(r.at, Event(r.event), r.actor_name) for r in rows}

    def _reads(self, ids: Ids, first: date, last: date) -> dict[int, int]:
        m = ArticleMetric
        rows = self.session.execute(
            select(m.item_id, func.sum(m.reads).label("reads"))
            .where(m.item_id.in_(ids), m.day >= first, m.day <= last).group_by(m.item_id))
        return {r.item_id: int(r.reads or 0) for r in rows}

    def _complaints(self, ids: Ids, known: set[int]) -> dict[int, list[datetime]]:
        t, c = ReplyTicket, CommentTicketRow
        found: dict[int, list[datetime]] = {}
        rows = self.session.execute(
            select(c.item_id, t.opened_at).join(t, t.id == c.ticket_id)
            .where(c.item_id.in_(ids), t.priority >= COMPLAINT_PRIORITY))
        for item_id, opened in [*rows, *named_complaints(self.session, *_ALWAYS)]:
            if item_id in known:
                found.setdefault(item_id, []).append(opened)
        return found

    def _open_comments(self, ids: Ids) -> dict[int, int]:
        t, c = ReplyTicket, CommentTicketRow
        rows = self.session.execute(
            select(c.item_id, func.count().label("n")).join(t, t.id == c.ticket_id)
            .where(c.item_id.in_(ids), t.status != "resolved").group_by(c.item_id))
        return {r.item_id: int(r.n) for r in rows}

