"""Reports made, persisted (``reports``): one row a period, its page as served and
where it was kept on disk. Making a period's report again replaces its page and
keeps its id, so the links already sent open the new one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, insert, select, update

from storage.models import ReportRow
from workflow.report import ReportKind, ReportPeriod


@dataclass(frozen=True)
class Kept:
    id: int
    period: ReportPeriod
    made_at: datetime
    path: str
    sent_at: datetime | None


def _period(kind: str, first: date, last: date) -> ReportPeriod:
    return ReportPeriod(ReportKind(kind), first, last)


def find(conn: Connection, period: ReportPeriod) -> Kept | None:
    r = ReportRow
    row = conn.execute(select(r.id, r.kind, r.first_day, r.last_day, r.made_at, r.path,
                              r.sent_at).where(r.kind == period.kind.value,
                                               r.first_day == period.first,
                                               r.last_day == period.last)).first()
    if row is None:
        return None
    return Kept(row.id, _period(row.kind, row.first_day, row.last_day), row.made_at,
                row.path, row.sent_at)


def save(conn: Connection, period: ReportPeriod, html: str, path: str, now: datetime) -> int:
    """Store the period's page (replacing an earlier one of the same period)."""
    found = find(conn, period)
    if found is not None:
        conn.execute(update(ReportRow).where(ReportRow.id == found.id)
                     .values(html=html, path=path, made_at=now))
        return found.id
    return int(conn.execute(insert(ReportRow).values(
        kind=period.kind.value, first_day=period.first, last_day=period.last,
        made_at=now, html=html, path=path).returning(ReportRow.id)).scalar_one())


def claim_sending(conn: Connection, report_id: int, now: datetime) -> bool:
    """Mark the report sent; False when it was already (another worker, an earlier
    round): the caller queues the notices only when this is True, in the same
    transaction."""
    done = conn.execute(update(ReportRow).where(ReportRow.id == report_id,
                                                ReportRow.sent_at.is_(None))
                        .values(sent_at=now))
    return bool(done.rowcount == 1)

