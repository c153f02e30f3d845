"""Followers: subscription state and the last interaction, one upsert per push."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from storage.models import Follower
from storage.raw import Raw, as_utc
from workflow.window import Counter, Interaction, Interactions

# message: opens a fresh 48-hour customer-service window (5 sends);
# event: a subscription, a scan or a menu click (CLICK, or the two scan-code
#   menus); opens a 1-minute window (3 sends);
# seen: an event that opens no window (VIEW, a location report, the photo and
#   location menus), recorded only as the last interaction;
# none: nothing to record (an unsubscription).

_INTERACTION_COLUMNS: dict[str, tuple[str, ...]] = {
    "message": ("last_interaction_at", "last_interaction_kind", "last_message_at",
                "message_window_start", "message_window_sent"),
    "event": ("last_interaction_at", "last_interaction_kind", "last_event_at",
              "event_window_start", "event_window_sent"),
    "seen": ("last_interaction_at", "last_interaction_kind"),
    "none": (),
}


@dataclass(frozen=True)
class Sender:
    """Who pushed: their follower row, and the active staff member with that
    openid, if they are one."""

    follower_id: int
    staff_id: int | None
    in_survey: bool = False  # they have a survey's answer set started (workflow.surveys)


def touch(conn: Connection, openid: str, now: datetime, kind: Interaction,
          subscribed: bool | None = None, scene: str | None = None) -> Sender:
    """Create or update a follower in one statement, which also tells whether
    the openid is a staff member's.

    Every push records its sender, so the same statement answers the questions
    each push asks next (staff command or follower? in a survey?) and a
    follower's push needs no lookup of its own.
    """
    changes = _interaction(kind, now) | _subscription(subscribed, scene, now)
    params = {"openid": openid[:64], "subscribed": subscribed is not False,
              "message_window_sent": 0, "event_window_sent": 0, **changes}
    row = Raw.of(conn).one(_upsert(tuple(params), tuple(changes)), params)
    assert row is not None
    return Sender(int(row[0]), None if row[1] is None else int(row[1]), bool(row[2]))


@cache
def _upsert(columns: tuple[str, ...], changed: tuple[str, ...]) -> str:
    updates = ", ".join(f"{c} = excluded.{c}" for c in changed) or "openid = excluded.openid"
    return (f"INSERT INTO followers ({', '.join(columns)}) "
            f"VALUES ({', '.join(':' + c for c in columns)}) "
            f"ON CONFLICT (openid) DO UPDATE SET {updates} RETURNING id, "
            "(SELECT staff.id FROM staff WHERE staff.openid = :openid"
            " AND staff.active), "
            "EXISTS (SELECT 1 FROM survey_answer_sets"
            " WHERE survey_answer_sets.follower_id = followers.id"
            " AND survey_answer_sets.state = 'started')")


def _interaction(kind: Interaction, now: datetime) -> dict[str, Any]:
    values = {"last_interaction_at": now,
              "last_interaction_kind": "event" if kind == "seen" else kind,
              "last_message_at": now, "message_window_start": now, "message_window_sent": 0,
              "last_event_at": now, "event_window_start": now, "event_window_sent": 0}
    return {c: values[c] for c in _INTERACTION_COLUMNS[kind]}


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


_SENT_COLUMNS = {Counter.MESSAGE: Follower.message_window_sent,
                 Counter.EVENT: Follower.event_window_sent}


# Read and written by the outbox sender for every reply (driver-level, as touch).
_INTERACTIONS = ("SELECT subscribed, last_message_at, message_window_sent, last_event_at,"
                 " event_window_sent FROM followers WHERE openid = :openid")
_COUNT_SEND = {counter: f"UPDATE followers SET {column.key} = {column.key} + 1"
               " WHERE openid = :openid" for counter, column in _SENT_COLUMNS.items()}


def interactions(conn: Connection, openid: str) -> Interactions | None:
    """What ``workflow.window`` decides a person's customer-service window from;
    None when nobody has that openid."""
    row = Raw.of(conn).one(_INTERACTIONS, {"openid": openid})
    if row is None:
        return None
    return Interactions(bool(row[0]), as_utc(row[1]), int(row[2]), as_utc(row[3]), int(row[4]))


def count_send(conn: Connection, openid: str, counter: Counter) -> None:
    Raw.of(conn).run(_COUNT_SEND[counter], {"openid": openid})


class SqlInteractions:
    """Implements ``workflow.ports.Interactions``."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def of(self, openid: str) -> Interactions | None:
        return interactions(self.session.connection(), openid)


def add_follower(session: Session, openid: str, now: datetime) -> None:
    """Add a subscribed follower as it is, no interaction recorded: for seeding
    (the demo)."""
    session.add(Follower(openid=openid, subscribed=True, subscribed_at=now,
                         message_window_sent=0, event_window_sent=0))
