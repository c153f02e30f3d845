"""Drafts seen in the WeChat draft box (``workflow.ports.BoxDrafts``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import BoxDraftRow, ContentItemRow
from workflow.draft_box import BoxDraft, SeenDraft


def _seen(row: BoxDraftRow) -> SeenDraft:
    return SeenDraft(number=row.id, media_id=row.media_id, title=row.title,
                     content=row.content, update_time=row.update_time, seen_at=row.seen_at,
                     judged_time=row.judged_time, item_id=row.item_id, revision=row.revision)


class SqlBoxDrafts:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _row(self, media_id: str) -> BoxDraftRow | None:
        return self.session.scalar(select(BoxDraftRow).where(BoxDraftRow.media_id == media_id))

    def get(self, media_id: str) -> SeenDraft | None:
        row = self._row(media_id)
        return _seen(row) if row is not None else None

    def numbered(self, number: int) -> SeenDraft | None:
        row = self.session.get(BoxDraftRow, number)
        return _seen(row) if row is not None else None

    def recent(self, limit: int) -> list[SeenDraft]:
        rows = self.session.scalars(select(BoxDraftRow).order_by(
            BoxDraftRow.update_time.desc(), BoxDraftRow.id.desc()).limit(limit))
        return [_seen(row) for row in rows]

    def item_using(self, media_id: str) -> int | None:
        return self.session.scalar(select(ContentItemRow.id).where(
            ContentItemRow.draft_media_id == media_id).limit(1))

    def record(self, draft: BoxDraft, at: datetime, item_id: int | None = None,
               revision: int | None = None, judged: bool = True) -> None:
        row = self._row(draft.media_id)
        if row is None:
            row = BoxDraftRow(media_id=draft.media_id, judged_time=0)
            self.session.add(row)
        row.title, row.content = draft.title[:128], draft.content
        row.update_time, row.seen_at = draft.update_time, at
        if item_id is not None:
            row.item_id = item_id
        if judged:
            row.judged_time = draft.update_time
        if revision is not None:
            row.revision = revision
        self.session.flush()

    def claim(self, draft: BoxDraft, was: int | None, at: datetime, item_id: int,
              revision: int) -> bool:
        values = {"title": draft.title[:128], "content": draft.content, "seen_at": at,
                  "update_time": draft.update_time, "judged_time": draft.update_time,
                  "item_id": item_id, "revision": revision}
        if was is None:
            return self._insert(draft.media_id, values)
        done = self.session.execute(update(BoxDraftRow).where(
            BoxDraftRow.media_id == draft.media_id, BoxDraftRow.judged_time == was)
            .values(**values))
        return bool(done.rowcount == 1)  # type: ignore[attr-defined]

    def _insert(self, media_id: str, values: dict[str, Any]) -> bool:
        """A first sight kept, unless another sync kept it first (the unique media_id)."""
        try:
            with self.session.begin_nested():
                self.session.add(BoxDraftRow(media_id=media_id, **values))
        except IntegrityError:
            return False
        return True

    def attach(self, media_id: str, item_id: int) -> None:
        self.session.execute(update(BoxDraftRow).where(BoxDraftRow.media_id == media_id)
                             .values(item_id=item_id, judged_time=0))
        self.session.execute(update(ContentItemRow).where(ContentItemRow.id == item_id)
                             .values(draft_media_id=media_id))

    def forget_except(self, media_ids: set[str]) -> int:
        gone = list(self.session.scalars(select(BoxDraftRow.id).where(
            BoxDraftRow.media_id.not_in(media_ids))))
        if gone:
            self.session.execute(delete(BoxDraftRow).where(BoxDraftRow.id.in_(gone)))
        return len(gone)
