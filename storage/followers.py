"""Followers: subscription state and the last interaction, one upsert per push."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import Follower

FOLLOWERS = cast(Table, Follower.__table__)
Interaction = Literal["message", "event", "none"]


def touch(session: Session, openid: str, now: datetime, kind: Interaction,
          subscribed: bool | None = None, scene: str | None = None) -> int:
    """Create or update a follower in one statement; returns the follower id.

    A message opens a fresh 48-hour customer-service window (5 sends); an
    event such as a menu click or a subscription a 1-minute window (3 sends).
    """
    changes = _interaction(kind, now) | _subscription(subscribed, scene, now)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    insert_values = {"openid": openid[:64], "subscribed": subscribed is not False,
                     "message_window_sent": 0, "event_window_sent": 0, **changes}
    stmt = dialect.insert(FOLLOWERS).values(**insert_values)
    stmt = stmt.on_conflict_do_update(index_elements=["openid"],
                                      set_=changes or {"openid": stmt.excluded.openid})
    return int(session.execute(stmt.returning(FOLLOWERS.c.id)).scalar_one())


def _interaction(kind: Interaction, now: datetime) -> dict[str, Any]:
    if kind == "message":
        return {"last_interaction_at": now, "last_interaction_kind": "message",
                "last_message_at": now, "message_window_start": now, "message_window_sent": 0}
    if kind == "event":
        return {"last_interaction_at": now, "last_interaction_kind": "event",
                "last_event_at": now, "event_window_start": now, "event_window_sent": 0}
    return {}


def _subscription(subscribed: bool | None, scene: str | None, now: datetime) -> dict[str, Any]:
    if subscribed is True:
        values: dict[str, Any] = {"subscribed": True, "subscribed_at": now,
                                  "unsubscribed_at": None}
        if scene:
            values["source_scene"] = scene[:128]
        return values
    if subscribed is False:
        return {"subscribed": False, "unsubscribed_at": now}
    return {}
