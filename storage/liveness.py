"""Whether the addresses an article cites answer (workflow.ports LinkChecks).
Persists only: what is due and what becomes a finding is workflow/link_liveness.py."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import ContentItemRow, LinkCheckRow
from workflow.link_liveness import LinkStatus, Watched
from workflow.states import State

_CHUNK = 500  # addresses per IN (...): well under every engine's parameter limit


class SqlLinkChecks:
    def __init__(self, session: Session) -> None:
        self.session = session

    def watched(self, states: Sequence[State]) -> Sequence[Watched]:
        rows = self.session.execute(
            select(ContentItemRow.id, ContentItemRow.revision, ContentItemRow.body)
            .where(ContentItemRow.state.in_([s.value for s in states]))
            .order_by(ContentItemRow.id))
        return [Watched(item_id, revision, body or "") for item_id, revision, body in rows]

    def latest(self, urls: Collection[str]) -> Mapping[str, LinkStatus]:
        found: dict[str, LinkStatus] = {}
        ordered = sorted(urls)
        for start in range(0, len(ordered), _CHUNK):
            rows = self.session.execute(
                select(LinkCheckRow.url, LinkCheckRow.status, LinkCheckRow.checked_at)
                .where(LinkCheckRow.url.in_(ordered[start:start + _CHUNK])))
            for url, status, at in rows:
                if url not in found or found[url].checked_at < at:
                    found[url] = LinkStatus(url, status, at)
        return found

    def record(self, item_id: int, revision: int, status: LinkStatus) -> None:
        changed = self.session.execute(
            update(LinkCheckRow)
            .where(LinkCheckRow.item_id == item_id, LinkCheckRow.revision == revision,
                   LinkCheckRow.url == status.url)
            .values(status=status.status, checked_at=status.checked_at)
            .execution_options(synchronize_session=False))
        if not changed.rowcount:  # type: ignore[attr-defined]
            self.session.add(LinkCheckRow(item_id=item_id, revision=revision, url=status.url,
                                          status=status.status, checked_at=status.checked_at))
            self.session.flush()
