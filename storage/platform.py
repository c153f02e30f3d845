"""What the worker learns from WeChat about items and assets, written back, and
the item versions its notices are checked against."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from storage.models import ContentItemRow, PlatformAsset, Staff
from storage.raw import Raw
from workflow.states import State


def set_item_ids(conn: Connection, item_id: int, **ids: Any) -> None:
    """Store draft_media_id / publish_id / ... on an item.

    The version is bumped too: a workflow decision made on the older copy must
    fail its optimistic check rather than write the old ids back.
    """
    allowed = {"draft_media_id", "publish_id", "article_id", "url"}
    if not set(ids) <= allowed:
        raise ValueError(f"not platform ids: {set(ids) - allowed}")
    conn.execute(update(ContentItemRow).where(ContentItemRow.id == item_id)
                 .values(version=ContentItemRow.version + 1, **ids))


def item_row(conn: Connection, item_id: int) -> Any:
    return conn.execute(select(ContentItemRow).where(ContentItemRow.id == item_id)).first()


def item_versions(conn: Connection, ids: Collection[int]) -> dict[int, tuple[int, str]]:
    """(version, state) of each of these content items that exists."""
    if not ids:
        return {}
    rows = conn.execute(select(ContentItemRow.id, ContentItemRow.version, ContentItemRow.state)
                        .where(ContentItemRow.id.in_(ids)))
    return {row.id: (row.version, row.state) for row in rows}


def asset(conn: Connection, key: str) -> str | None:
    return conn.execute(select(PlatformAsset.value).where(PlatformAsset.key == key)).scalar()


def set_asset(conn: Connection, key: str, value: str, now: datetime) -> None:
    table = PlatformAsset.__table__
    if conn.execute(update(PlatformAsset).where(PlatformAsset.key == key)
                    .values(value=value, updated_at=now)).rowcount == 0:
        conn.execute(table.insert().values(key=key, value=value, updated_at=now))  # type: ignore[attr-defined]


def staff_openid(conn: Connection, staff_id: int) -> str | None:
    return conn.execute(select(Staff.openid).where(Staff.id == staff_id,
                                                   Staff.active.is_(True))).scalar()


_SET_DELIVERY = "UPDATE ticket_messages SET delivery = :delivery WHERE id = :id"


def set_delivery(conn: Connection, message_id: int, delivery: str) -> None:
    """A reply's delivery state (driver-level: the sender writes it for every reply)."""
    Raw.of(conn).run(_SET_DELIVERY, {"delivery": delivery[:32], "id": message_id})


def scheduled_due(conn: Connection, now: datetime) -> list[int]:
    """Items scheduled for ``now`` or earlier (the worker's timed publishes)."""
    return list(conn.execute(select(ContentItemRow.id).where(
        ContentItemRow.state == State.SCHEDULED.value,
        ContentItemRow.scheduled_at <= now)).scalars().all())


def publishing_since(conn: Connection, before: datetime) -> list[str]:
    """The publish_ids of items submitted and not heard of since ``before``
    (the worker asks freepublish/get about them)."""
    return [str(publish_id) for publish_id in conn.execute(
        select(ContentItemRow.publish_id).where(
            ContentItemRow.state == State.PUBLISHING.value,
            ContentItemRow.publish_id.is_not(None),
            ContentItemRow.updated_at < before)).scalars().all()]
