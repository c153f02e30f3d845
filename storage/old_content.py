"""The read side of 旧文 (workflow.old_content.OldContentView): every article still
on the platform with its last re-check, its reads over two windows, the
complaints about it and its open comments. The re-checks' own view
(storage/rechecks.py) reads the audit trail, the comments and messages and the
platform's daily reads; this adds the articles flagged to update and the open
comments."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.among import among
from storage.models import CommentTicketRow, ContentItemRow, ReplyTicket
from storage.rechecks import SqlRecheckView
from storage.repositories import item_from_row
from workflow.old_content import ON_PLATFORM, Facts, Windows
from workflow.recheck import DayReads, LastCheck, Said


class SqlOldContentView:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.rechecks = SqlRecheckView(session)

    def on_platform(self, window: Windows) -> Sequence[Facts]:
        rows = self.session.scalars(select(ContentItemRow).where(
            ContentItemRow.state.in_([s.value for s in ON_PLATFORM]))
            .order_by(ContentItemRow.id)).all()
        if not rows:
            return []
        ids = [r.id for r in rows]
        view = self.rechecks
        lasts = view.last_checks(ids)
        pulled = view.figures_from() is not None
        recent = _summed(view.reads_of(window.first, window.last, ON_PLATFORM))
        before = _summed(view.reads_of(window.before_first, window.before_last, ON_PLATFORM))
        complaints = _by_item(s for s in view.said_about(ids, _since(rows, lasts))
                              if s.complaint)
        comments = self._open_comments(ids)
        return [Facts(item_from_row(r), lasts.get(r.id),
                      recent.get(r.id, 0) if pulled else None,
                      before.get(r.id, 0) if pulled else None,
                      tuple(complaints.get(r.id, ())), comments.get(r.id, 0))
                for r in rows]

    def _open_comments(self, ids: list[int]) -> dict[int, int]:
        t, c = ReplyTicket, CommentTicketRow
        rows = self.session.execute(
            select(c.item_id, func.count().label("n")).join(t, t.id == c.ticket_id)
            .where(among(self.session, c.item_id, ids), t.status != "resolved").group_by(c.item_id))
        return {r.item_id: int(r.n) for r in rows}


def _since(rows: Sequence[ContentItemRow], lasts: Mapping[int, LastCheck]) -> datetime:
    """The earliest moment a complaint can still count: an article's complaints
    count from its last re-check, else from when it was made."""
    return min(lasts[r.id].at if r.id in lasts else (r.published_at or r.created_at)
               for r in rows)


def _by_item(said: Iterable[Said]) -> dict[int, list[Said]]:
    found: dict[int, list[Said]] = {}
    for s in said:
        found.setdefault(s.item_id, []).append(s)
    return found


def _summed(reads: Iterable[DayReads]) -> dict[int, int]:
    found: dict[int, int] = {}
    for r in reads:
        found[r.item_id] = found.get(r.item_id, 0) + r.reads
    return found
