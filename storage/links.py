"""Links to web pages, persisted (``workflow.ports.PageLinks``).

Whether one may be opened, and who may make one, is decided in ``workflow/pages.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import PageLink as PageLinkRow
from storage.models import ReportRow, Revision
from workflow.pages import ArticleText, PageKind, PageLink, ReportRef


def _link(row: PageLinkRow) -> PageLink:
    return PageLink(row.id, row.key, PageKind(row.kind), row.item_id, row.item_version,
                    row.item_revision, row.created_by, row.created_at, row.expires_at,
                    row.revoked_at, row.report_id)


class SqlPageLinks:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, link: PageLink) -> PageLink:
        row = PageLinkRow(key=link.key, kind=link.kind.value, item_id=link.item_id,
                          item_version=link.item_version, item_revision=link.item_revision,
                          created_by=link.created_by, created_at=link.created_at,
                          expires_at=link.expires_at, revoked_at=link.revoked_at,
                          report_id=link.report_id)
        self.session.add(row)
        self.session.flush()
        return _link(row)

    def by_key(self, key: str) -> PageLink | None:
        row = self.session.scalar(select(PageLinkRow).where(PageLinkRow.key == key))
        return _link(row) if row else None

    def get(self, link_id: int) -> PageLink | None:
        row = self.session.get(PageLinkRow, link_id, populate_existing=True)
        return _link(row) if row else None

    def listed(self, item_id: int | None, include_ended: bool, now: datetime,
               limit: int) -> Sequence[PageLink]:
        stmt = select(PageLinkRow).order_by(PageLinkRow.id.desc()).limit(limit)
        if item_id is not None:
            stmt = stmt.where(PageLinkRow.item_id == item_id)
        if not include_ended:
            stmt = stmt.where(PageLinkRow.revoked_at.is_(None), PageLinkRow.expires_at > now)
        return [_link(r) for r in self.session.scalars(stmt)]

    def revoke(self, link_id: int, now: datetime) -> bool:
        done = self.session.execute(
            update(PageLinkRow)
            .where(PageLinkRow.id == link_id, PageLinkRow.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False))
        return bool(done.rowcount == 1)  # type: ignore[attr-defined]

    def revoke_item(self, item_id: int, now: datetime) -> int:
        done = self.session.execute(
            update(PageLinkRow)
            .where(PageLinkRow.item_id == item_id, PageLinkRow.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False))
        return int(done.rowcount)  # type: ignore[attr-defined]

    def article(self, item_id: int, revision: int) -> ArticleText | None:
        row = self.session.scalar(select(Revision).where(Revision.item_id == item_id,
                                                          Revision.revision == revision))
        if row is None:
            return None
        return ArticleText(row.title, row.body, row.digest, row.created_at, row.byline,
                           tuple(row.sources or ()))

    def report_page(self, report_id: int) -> str | None:
        return self.session.scalar(select(ReportRow.html).where(ReportRow.id == report_id))

    def latest_report(self) -> ReportRef | None:
        r = ReportRow
        row = self.session.execute(
            select(r.id, r.kind, r.first_day, r.last_day, r.path)
            .order_by((r.kind == "week").desc(), r.last_day.desc(), r.id.desc()).limit(1)).first()
        return ReportRef(row.id, row.kind, row.first_day, row.last_day, row.path) if row else None
