"""Repositories: the workflow's ports, implemented on SQLAlchemy sessions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, fields, replace
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage import outbox
from storage.models import AuditRow, ContentItemRow, OutboxMessage, ReviewRow, Revision, Staff
from workflow.errors import StaleVersion
from workflow.model import (
    MAX_ID,
    ActionEntry,
    ArticleMeta,
    AuditEntry,
    ContentItem,
    Review,
    ReviewDecision,
    ReviewStage,
)
from workflow.roles import Actor, Role
from workflow.staffing import Member
from workflow.states import WRITING_STATES, Event, State

#: What the article says of itself (``ArticleMeta``): columns of the item and of
#: each revision, of the same names.
ARTICLE_META = tuple(f.name for f in fields(ArticleMeta))

#: More items than a calendar can show are not read (a team plans tens a month).
AGENDA_LIMIT = 1000

_ITEM_FIELDS = (
    "title", "topic", "body", "digest", "author_id", "sensitive", "revision",
    "review_round", "planned_at", "due_on", "scheduled_at", "published_at", "draft_media_id",
    "publish_id", "article_id", "url",
)


def item_from_row(row: ContentItemRow) -> ContentItem:
    values = {name: getattr(row, name) for name in _ITEM_FIELDS}
    return ContentItem(id=row.id, state=State(row.state), version=row.version,
                       meta=meta_of(row), **values)


def meta_of(row: ContentItemRow) -> ArticleMeta:
    """The item's ``ArticleMeta`` (sources: a JSON list)."""
    values = {name: getattr(row, name) for name in ARTICLE_META}
    return ArticleMeta(**{**values, "sources": tuple(row.sources or ())})


def _item_values(item: ContentItem) -> dict[str, Any]:
    values = {name: getattr(item, name) for name in _ITEM_FIELDS}
    values.update(asdict(item.meta), state=item.state.value, version=item.version,
                  sources=list(item.meta.sources))
    return values


class SqlItemRepository:
    def __init__(self, session: Session, now: datetime) -> None:
        self.session, self.now = session, now

    def get(self, item_id: int) -> ContentItem | None:
        row = self.session.get(ContentItemRow, item_id, populate_existing=True)
        if row is None:
            return None
        return replace(item_from_row(row), edited_by=self._editor(row))

    def add(self, item: ContentItem) -> ContentItem:
        row = ContentItemRow(**_item_values(item), created_at=self.now, updated_at=self.now)
        self.session.add(row)
        self.session.flush()
        self._snapshot(row)
        return item_from_row(row)

    def save(self, item: ContentItem, expected_version: int) -> None:
        stmt = (
            update(ContentItemRow)
            .where(ContentItemRow.id == item.id, ContentItemRow.version == expected_version)
            .values(**_item_values(item), updated_at=self.now)
            .execution_options(synchronize_session=False)
        )
        if self.session.execute(stmt).rowcount != 1:  # type: ignore[attr-defined]
            raise StaleVersion(item.id)
        row = self.session.get(ContentItemRow, item.id, populate_existing=True)
        assert row is not None
        if not self._has_revision(item.id, item.revision):
            self._snapshot(row, item.edited_by)

    def list(self, state: State | None = None, limit: int = 50) -> Sequence[ContentItem]:
        stmt = select(ContentItemRow).order_by(ContentItemRow.id.desc()).limit(limit)
        if state is not None:
            stmt = stmt.where(ContentItemRow.state == state.value)
        return [item_from_row(r) for r in self.session.scalars(stmt)]

    def by_publish_id(self, publish_id: str) -> ContentItem | None:
        stmt = select(ContentItemRow).where(ContentItemRow.publish_id == publish_id)
        row = self.session.scalars(stmt).first()
        return item_from_row(row) if row else None

    def agenda(self, start: datetime, end: datetime) -> Sequence[ContentItem]:
        col = ContentItemRow
        stmt = select(col).where(or_(
            col.state.in_([s.value for s in WRITING_STATES]),
            and_(col.scheduled_at >= start, col.scheduled_at < end),
            and_(col.published_at >= start, col.published_at < end),
        )).order_by(col.id).limit(AGENDA_LIMIT)
        return [item_from_row(r) for r in self.session.scalars(stmt)]

    def _has_revision(self, item_id: int, revision: int) -> bool:
        stmt = select(Revision.id).where(Revision.item_id == item_id,
                                         Revision.revision == revision)
        return self.session.scalar(stmt) is not None

    def _snapshot(self, row: ContentItemRow, editor: int | None = None) -> None:
        """Keep every revision's content and who wrote it, so reviews can be traced
        to what was read, and an editor kept from reviewing their own revision."""
        self.session.add(Revision(
            item_id=row.id, revision=row.revision, title=row.title, body=row.body,
            digest=row.digest, editor_id=editor or row.author_id, created_at=self.now,
            **{name: getattr(row, name) for name in ARTICLE_META},
        ))

    def _editor(self, row: ContentItemRow) -> int | None:
        """Who wrote the current revision, when not the author (ContentItem.edited_by)."""
        editor = self.session.scalar(select(Revision.editor_id).where(
            Revision.item_id == row.id, Revision.revision == row.revision))
        return editor if editor is not None and editor != row.author_id else None


class SqlReviewRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def for_item(self, item_id: int) -> Sequence[Review]:
        stmt = select(ReviewRow).where(ReviewRow.item_id == item_id).order_by(ReviewRow.id)
        return [
            Review(r.item_id, r.reviewer_id, ReviewStage(r.stage), ReviewDecision(r.decision),
                   r.revision, r.review_round, r.comment, r.at, r.quote)
            for r in self.session.scalars(stmt)
        ]

    def add(self, review: Review) -> None:
        self.session.add(ReviewRow(
            item_id=review.item_id, reviewer_id=review.reviewer_id, stage=review.stage.value,
            decision=review.decision.value, revision=review.revision,
            review_round=review.review_round, comment=review.comment, at=review.at,
            quote=review.quote,
        ))


class SqlAuditLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, entry: AuditEntry) -> None:
        self.session.add(AuditRow(
            item_id=entry.item_id, subject=f"item:{entry.item_id}",
            actor_id=entry.actor_id or None, actor_name=entry.actor_name,
            event=entry.event.value, from_state=entry.from_state.value,
            to_state=entry.to_state.value, revision=entry.revision, comment=entry.comment,
            command=entry.command, result=entry.result, at=entry.at,
        ))

    def record(self, entry: ActionEntry) -> None:
        self.session.add(AuditRow(
            item_id=None, subject=entry.subject, actor_id=entry.actor_id or None,
            actor_name=entry.actor_name, event=entry.event, from_state="", to_state="",
            revision=None, comment=entry.comment[:2000], command=entry.command,
            result=entry.result[:2000], at=entry.at,
        ))

    def latest(self, item_id: int) -> AuditEntry | None:
        stmt = (select(AuditRow).where(AuditRow.item_id == item_id)
                .order_by(AuditRow.id.desc()).limit(1))
        row = self.session.scalars(stmt).first()
        return _audit_entry(row) if row else None

    def history(self, item_id: int, last: int | None = None) -> Sequence[AuditEntry]:
        stmt = select(AuditRow).where(AuditRow.item_id == item_id)
        if last is None:
            return [_audit_entry(r) for r in self.session.scalars(stmt.order_by(AuditRow.id))]
        newest = stmt.order_by(AuditRow.id.desc()).limit(last)  # by ix_audit_log_item_id_id
        return [_audit_entry(r) for r in self.session.scalars(newest)][::-1]


def _audit_entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        item_id=row.item_id or 0, actor_id=row.actor_id or 0, actor_name=row.actor_name,
        event=Event(row.event), from_state=State(row.from_state), to_state=State(row.to_state),
        revision=row.revision or 0, at=row.at, comment=row.comment, command=row.command,
        result=row.result,
    )


class SqlOutbox:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, kind: str, payload: dict[str, Any], idempotency_key: str,
            now: datetime, recipient: str | None = None) -> bool:
        """Insert unless the key exists. A savepoint keeps the outer transaction usable."""
        stmt = insert(OutboxMessage).values(
            kind=kind, payload=payload, idempotency_key=idempotency_key, status="pending",
            attempts=0, next_attempt_at=now, last_error="", created_at=now, recipient=recipient,
        )
        try:
            with self.session.begin_nested():
                self.session.execute(stmt)
        except IntegrityError:
            return False
        return True


    def queued_sends(self, openid: str) -> int:
        return outbox.queued_for(self.session.connection(), openid)

    def replace_notices(self, staff_id: int, item_id: int, newer_key: str) -> int:
        """Found by their keys, which name the item first and the person last
        (``NotifyStaff.idempotency_key``); only rows no worker has claimed."""
        return self._supersede(f"notify:{item_id}:v%:{staff_id}", newer_key)

    def replace_reminders(self, staff_id: int, newer_key: str) -> int:
        """Found by their keys (``recheck_cases.reminder_key``: the day, then the person)."""
        return self._supersede(f"recheck:%:{staff_id}", newer_key)

    def _supersede(self, keys: str, newer_key: str) -> int:
        """Withdraw the notices whose keys are ``LIKE keys``, but ``newer_key``'s."""
        result = self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.kind == "notify",
                   OutboxMessage.status.in_(("pending", "held")),
                   OutboxMessage.idempotency_key.like(keys),
                   OutboxMessage.idempotency_key != newer_key)
            .values(status="cancelled", last_error=SUPERSEDED))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


#: Why a notice was withdrawn: a code `wxops outbox` shows in words
#: (handlers.texts.outbox_note).
SUPERSEDED = "superseded"


def parse_roles(text: str) -> frozenset[Role]:
    return frozenset(Role(part) for part in text.split(",") if part)


def format_roles(roles: frozenset[Role] | set[Role]) -> str:
    return ",".join(sorted(r.value for r in roles))


class SqlStaffDirectory:
    def __init__(self, session: Session) -> None:
        self.session = session

    def actor(self, staff_id: int) -> Actor | None:
        row = self.session.get(Staff, staff_id)
        if row is None or not row.active:
            return None
        return Actor(id=row.id, name=row.name, roles=parse_roles(row.roles))

    def with_role(self, role: Role) -> Sequence[Actor]:
        stmt = select(Staff).where(Staff.active.is_(True)).order_by(Staff.id)
        actors = [Actor(r.id, r.name, parse_roles(r.roles)) for r in self.session.scalars(stmt)]
        return [a for a in actors if role in a.roles]

    def matching(self, ref: str) -> Sequence[Member]:
        """By id, else by openid, else every active member of that name (by id)."""
        stmt = select(Staff).where(Staff.active.is_(True))
        if ref.isascii() and ref.isdigit() and int(ref) <= MAX_ID:  # a larger one is no id
            row = self.session.scalar(stmt.where(Staff.id == int(ref)))
            if row:
                return [member_of(row)]
        row = self.session.scalar(stmt.where(Staff.openid == ref))
        if row:
            return [member_of(row)]
        named = stmt.where(Staff.name == ref).order_by(Staff.id)
        return [member_of(r) for r in self.session.scalars(named)]


def member_of(row: Staff) -> Member:
    return Member(row.id, row.name, row.openid, parse_roles(row.roles), row.active)
