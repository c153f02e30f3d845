"""The archive: entries written when an item is archived or an article comes down,
and what an export reads of an item (and an import writes back) as plain JSON
values, one item at a time.

Rows travel as ``{column: value}`` with dates and times in ISO 8601 and bytes
never (images travel as files): ``dump_row`` and ``load_row`` are each other's
inverse for every table used here, so an export imported into an empty database
exports again the same.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    Date,
    Integer,
    Table,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from storage.models import (
    ArchiveEntryRow,
    ArticleMetric,
    AuditRow,
    CommentTicketRow,
    ContentItemRow,
    KeptImageRow,
    LinkCheckRow,
    ReviewRow,
    Revision,
    Staff,
    TicketMessage,
    UploadedMaterialRow,
)
from storage.types import UTCDateTime
from workflow.archive import EXPORTED_STATES, ArchiveRequest, Reason
from workflow.states import State

ITEMS: Table = ContentItemRow.__table__  # type: ignore[assignment]
ENTRIES: Table = ArchiveEntryRow.__table__  # type: ignore[assignment]
METRICS: Table = ArticleMetric.__table__  # type: ignore[assignment]
#: Tables an item's record holds rows of, by the record's key.
RECORD_TABLES: dict[str, Table] = {
    "item": ITEMS,
    "people": Staff.__table__,  # type: ignore[dict-item]
    "revisions": Revision.__table__,  # type: ignore[dict-item]
    "reviews": ReviewRow.__table__,  # type: ignore[dict-item]
    "audit": AuditRow.__table__,  # type: ignore[dict-item]
    "link_checks": LinkCheckRow.__table__,  # type: ignore[dict-item]
    "archive": ENTRIES,
}
PUBLISH_EVENTS = ("publish_succeeded", "record_published")


def dump_row(table: Table, row: Mapping[Any, Any]) -> dict[str, Any]:
    """A row as JSON values (ISO 8601 for dates and times)."""
    out: dict[str, Any] = {}
    for column in table.columns:
        value = row[column.name]
        out[column.name] = value.isoformat() if isinstance(value, date | datetime) else value
    return out


def load_row(table: Table, values: Mapping[str, Any]) -> dict[str, Any]:
    """``dump_row``'s inverse; also takes a CSV row's strings (metrics.csv)."""
    out: dict[str, Any] = {}
    for column in table.columns:
        if column.name not in values:
            continue
        value, kind = values[column.name], column.type
        if value is None or (value == "" and column.nullable and not isinstance(kind, JSON)):
            out[column.name] = None
        elif isinstance(kind, UTCDateTime):
            out[column.name] = datetime.fromisoformat(value)
        elif isinstance(kind, Date):
            out[column.name] = date.fromisoformat(value)
        elif isinstance(kind, JSON) and isinstance(value, str):
            out[column.name] = json.loads(value)
        elif isinstance(kind, Integer) and isinstance(value, str):
            out[column.name] = int(value)
        elif column.type.python_type is bool and isinstance(value, str):
            out[column.name] = value == "True"
        else:
            out[column.name] = value
    return out


def _rows(conn: Connection, table: Table, *where: Any) -> list[dict[str, Any]]:
    primary = list(table.primary_key.columns)
    found = conn.execute(select(table).where(*where).order_by(*primary)).mappings()
    return [dump_row(table, row) for row in found]


# --- what an export reads ------------------------------------------------------------


def exported_ids(conn: Connection) -> list[int]:
    """The items an export holds, by id: once public (published, to update,
    withdrawn, archived, or published before and being revised now)."""
    states = [s.value for s in EXPORTED_STATES]
    once_public = or_(ContentItemRow.state.in_(states), ContentItemRow.published_at.is_not(None))
    return list(conn.scalars(select(ContentItemRow.id).where(once_public)
                             .order_by(ContentItemRow.id)))


def record(conn: Connection, item_id: int, entries: bool = True) -> dict[str, Any]:
    """An item's record: its row, its revisions, reviews, audit trail (publish
    results among them), the addresses it cites and how they answered, the
    people named in them, and its archive entries (``entries``)."""
    t = RECORD_TABLES
    item = _rows(conn, ITEMS, ContentItemRow.id == item_id)
    if not item:
        raise LookupError(f"item {item_id} is gone")
    found: dict[str, Any] = {
        "item": item[0],
        "revisions": _rows(conn, t["revisions"], Revision.item_id == item_id),
        "reviews": _rows(conn, t["reviews"], ReviewRow.item_id == item_id),
        "audit": _rows(conn, t["audit"], AuditRow.item_id == item_id),
        "link_checks": _rows(conn, t["link_checks"], LinkCheckRow.item_id == item_id),
    }
    if entries:
        found["archive"] = _rows(conn, ENTRIES, ArchiveEntryRow.item_id == item_id)
    people = {found["item"]["author_id"]}
    people |= {r["reviewer_id"] for r in found["reviews"]}
    people |= {r["actor_id"] for r in found["audit"] if r["actor_id"]}
    people |= {r["editor_id"] for r in found["revisions"] if r["editor_id"]}
    found["people"] = _rows(conn, t["people"], Staff.id.in_(people))
    return found


def metrics(conn: Connection, item_id: int) -> list[dict[str, Any]]:
    """The platform's figures matched to the item, day by day."""
    return _rows(conn, METRICS, ArticleMetric.item_id == item_id)


def comments(conn: Connection, item_id: int) -> Iterator[dict[str, Any]]:
    """The item's comments read from the platform, each with the messages of its
    ticket (the comment, staff's replies), oldest first."""
    rows = conn.execute(select(CommentTicketRow).where(CommentTicketRow.item_id == item_id)
                        .order_by(CommentTicketRow.ticket_id)).mappings().all()
    for row in rows:
        messages = conn.execute(
            select(TicketMessage.direction, TicketMessage.kind, TicketMessage.content,
                   TicketMessage.created_at)
            .where(TicketMessage.ticket_id == row["ticket_id"]).order_by(TicketMessage.id))
        yield {"msg_data_id": row["msg_data_id"], "article_index": row["article_index"],
               "user_comment_id": row["user_comment_id"], "status": row["status"],
               "messages": [{"direction": m.direction, "kind": m.kind, "content": m.content,
                             "at": m.created_at.isoformat()} for m in messages]}


def cover_url(conn: Connection, media_id: str) -> str | None:
    """The address of a cover wxops uploaded (material/add_material's answer)."""
    if not media_id:
        return None
    return conn.execute(select(UploadedMaterialRow.url)
                        .where(UploadedMaterialRow.media_id == media_id)).scalar()


def kept_image(conn: Connection, sha256: str) -> tuple[str, bytes] | None:
    found = conn.execute(select(KeptImageRow.content_type, KeptImageRow.data)
                         .where(KeptImageRow.sha256 == sha256)).first()
    return (found[0], bytes(found[1])) if found else None


# --- entries -------------------------------------------------------------------------


def _replaced_revision(conn: Connection, item_id: int) -> int | None:
    """The revision an article replaced by a newer one shows: the item's publish
    before the one just written (by its audit trail)."""
    return conn.scalar(select(AuditRow.revision).where(
        AuditRow.item_id == item_id, AuditRow.event.in_(PUBLISH_EVENTS))
        .order_by(AuditRow.id.desc()).offset(1).limit(1))


def _revision_html(conn: Connection, item_id: int, revision: int) -> tuple[str, str] | None:
    found = conn.execute(select(Revision.title, Revision.body).where(
        Revision.item_id == item_id, Revision.revision == revision)).first()
    return (found[0], found[1]) if found else None


def store(conn: Connection, request: ArchiveRequest, now: datetime) -> int:
    """Write (or bring up to date) the item's entry for the article; the platform's
    HTML read into it before stays. Returns the entry's id."""
    item = conn.execute(select(ContentItemRow.title, ContentItemRow.body,
                               ContentItemRow.revision)
                        .where(ContentItemRow.id == request.item_id)).one()
    revision = request.revision
    if revision is None:  # the article a newer revision replaces
        revision = _replaced_revision(conn, request.item_id) or item.revision
    title, html = (item.title, item.body) if revision == item.revision else \
        _revision_html(conn, request.item_id, revision) or (item.title, item.body)
    values = {"reason": request.reason.value, "revision": revision, "title": title,
              "html": html, "meta": record(conn, request.item_id, entries=False),
              "taken_at": now}
    found = entry_id(conn, request.item_id, request.article_id)
    if found is not None:
        if request.reason is Reason.ARCHIVE:  # an article deleted before stays deleted
            del values["reason"]
        conn.execute(update(ArchiveEntryRow).where(ArchiveEntryRow.id == found).values(values))
        return found
    return int(conn.execute(insert(ArchiveEntryRow).values(
        item_id=request.item_id, article_id=request.article_id, **values)
        .returning(ArchiveEntryRow.id)).scalar_one())


def entry_id(conn: Connection, item_id: int, article_id: str) -> int | None:
    return conn.scalar(select(ArchiveEntryRow.id).where(
        ArchiveEntryRow.item_id == item_id, ArchiveEntryRow.article_id == article_id))


def ensure(conn: Connection, item_id: int, article_id: str, now: datetime) -> int:
    """The entry for an article about to be deleted: the one its move wrote, or
    one written now (a delete queued before the archive existed)."""
    found = entry_id(conn, item_id, article_id)
    if found is not None:
        return found
    state, revision = conn.execute(select(ContentItemRow.state, ContentItemRow.revision)
                                   .where(ContentItemRow.id == item_id)).one()
    if state == State.WITHDRAWN.value:
        return store(conn, ArchiveRequest(item_id, article_id, Reason.WITHDRAW, revision), now)
    # still published: a newer article replaced this one
    return store(conn, ArchiveRequest(item_id, article_id, Reason.REPLACED, None), now)


def keep_platform_html(conn: Connection, entry: int, html: str, now: datetime) -> None:
    conn.execute(update(ArchiveEntryRow).where(ArchiveEntryRow.id == entry)
                 .values(platform_html=html, platform_read_at=now))


def platform_html(conn: Connection, item_id: int, article_id: str) -> str | None:
    return conn.scalar(select(ArchiveEntryRow.platform_html).where(
        ArchiveEntryRow.item_id == item_id, ArchiveEntryRow.article_id == article_id))


class SqlArchive:
    """``workflow.ports.ArchiveEntries`` on the unit of work's session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def store(self, request: ArchiveRequest, now: datetime) -> None:
        self.session.flush()  # the move's own rows are part of the record
        store(self.session.connection(), request, now)


# --- import --------------------------------------------------------------------------


def is_empty(conn: Connection) -> bool:
    """Nothing an import would collide with: no staff, no items."""
    return not conn.scalar(select(func.count()).select_from(Staff)) and \
        not conn.scalar(select(func.count()).select_from(ContentItemRow))


def restore(conn: Connection, found: Mapping[str, Any],
            metric_rows: Sequence[Mapping[str, Any]]) -> None:
    """Write one item's record back, with its ids (people already written are kept)."""
    people = found.get("people", [])
    known = set(conn.scalars(select(Staff.id).where(Staff.id.in_([p["id"] for p in people]))))
    for key in ("people", "item", "revisions", "reviews", "audit", "link_checks", "archive"):
        table = RECORD_TABLES[key]
        rows = [found[key]] if key == "item" else found.get(key, [])
        if key == "people":
            rows = [r for r in rows if r["id"] not in known]
        for row in rows:
            conn.execute(insert(table).values(load_row(table, row)))
    for row in metric_rows:
        conn.execute(insert(METRICS).values(load_row(METRICS, row)))


def keep_image(conn: Connection, sha256: str, content_type: str, data: bytes,
               now: datetime) -> None:
    if conn.scalar(select(KeptImageRow.sha256).where(KeptImageRow.sha256 == sha256)) is None:
        conn.execute(insert(KeptImageRow).values(sha256=sha256, content_type=content_type,
                                                 data=data, kept_at=now))


def keep_cover(conn: Connection, sha256: str, media_id: str, url: str,
               now: datetime) -> None:
    """A cover uploaded before, back among the uploaded materials (by its bytes)."""
    m = UploadedMaterialRow
    if conn.scalar(select(m.sha256).where(m.sha256 == sha256)) is None:
        conn.execute(insert(m).values(sha256=sha256, media_id=media_id, url=url,
                                      uploaded_at=now))


def reset_sequences(conn: Connection) -> None:
    """PostgreSQL: the id sequences past the ids written (SQLite needs nothing)."""
    if conn.dialect.name != "postgresql":
        return
    for table in (*RECORD_TABLES.values(), METRICS):
        if "id" not in table.columns:
            continue
        conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"))

