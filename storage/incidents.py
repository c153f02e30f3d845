"""One notice per person for a burst of replies given up.

A proxy's 502s for ten seconds can kill a hundred replies; their writers want
to hear it once each, with the tickets listed, not a hundred times. A reply
given up joins its writer's open notice: a pending ``notify`` row created with
the first reply of the incident and due ``window`` later, so that the others
given up meanwhile (in this batch, later batches, other workers) are folded
into it before it goes. Once a worker has claimed it, the next reply given up
opens a new incident.

Every change to a person's notices first locks that person's staff row
(PostgreSQL; SQLite writers are serialised anyway), so two workers giving up
replies of one writer at once cannot both open a notice, nor lose an entry by
rewriting the list side by side. A claim does not take that lock: the rewrite
is conditional on the notice still being pending, and a lost race means the
notice went out, which the caller then deals with (a new notice, a correction).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, update

from storage import outbox
from storage.models import Staff
from storage.outbox import OUTBOX

TEMPLATE = "replies_undelivered"
#: Not yet shown to the person: a notice in these states can still be changed.
UNSHOWN = ("pending", "held")

Reply = dict[str, Any]  # row_id, ticket_id, reason, unconfirmed


def tell(conn: Connection, staff_id: int, reply: Reply, now: datetime,
         window: timedelta) -> None:
    """Add a reply given up to its writer's open notice, or open one due ``window``
    from now. In the caller's transaction."""
    _lock_person(conn, staff_id)
    for notice_id, status, payload in _notices(conn, staff_id, statuses=("pending",), limit=1):
        replies = _replies(payload)
        if any(r.get("row_id") == reply["row_id"] for r in replies):
            return
        if _rewrite(conn, notice_id, status, payload, [*replies, reply]):
            return
    outbox.add(conn, "notify", {"staff_id": staff_id, "template": TEMPLATE,
                                "context": {"replies": [reply]}},
               f"{TEMPLATE}:{staff_id}:{reply['row_id']}", now, due=now + window)


def take_back(conn: Connection, staff_id: int, row_id: int, since: datetime,
              cancelled_because: str) -> bool:
    """The reply of outbox row ``row_id`` turned out delivered: take it out of
    the notices that would say otherwise. A notice not yet shown loses the entry
    (and is cancelled, ``cancelled_because``, when nothing is left); True if one
    had already gone out, so the person needs to be told it arrived after all."""
    _lock_person(conn, staff_id)
    told = False
    for notice_id, status, payload in [*_notices(conn, staff_id, since=since),
                                       *_single_notice(conn, row_id)]:
        replies = _replies(payload)
        if not any(r.get("row_id") == row_id for r in replies):
            continue
        left = [r for r in replies if r.get("row_id") != row_id]
        told |= not _rewrite(conn, notice_id, status, payload, left, cancelled_because)
    return told


def _lock_person(conn: Connection, staff_id: int) -> None:
    conn.execute(select(Staff.id).where(Staff.id == staff_id).with_for_update())


def _notices(conn: Connection, staff_id: int, statuses: tuple[str, ...] | None = None,
             since: datetime | None = None, limit: int = 200
             ) -> list[tuple[int, str, dict[str, Any]]]:
    """This person's incident notices, newest first."""
    stmt = select(OUTBOX.c.id, OUTBOX.c.status, OUTBOX.c.payload).where(
        OUTBOX.c.kind == "notify",
        OUTBOX.c.idempotency_key.startswith(f"{TEMPLATE}:{staff_id}:", autoescape=True))
    if statuses is not None:
        stmt = stmt.where(OUTBOX.c.status.in_(statuses))
    if since is not None:
        stmt = stmt.where(OUTBOX.c.created_at >= since)
    rows = conn.execute(stmt.order_by(OUTBOX.c.id.desc()).limit(limit))
    return [(int(i), str(s), dict(p)) for i, s, p in rows]


def _single_notice(conn: Connection, row_id: int) -> list[tuple[int, str, dict[str, Any]]]:
    """The notice of one reply, as written before incidents were gathered (a
    ``reply_refused`` notice keyed by the reply's row), seen as an incident of one."""
    row = conn.execute(select(OUTBOX.c.id, OUTBOX.c.status, OUTBOX.c.payload).where(
        OUTBOX.c.idempotency_key == f"reply_refused:{row_id}")).first()
    if row is None:
        return []
    payload = dict(row.payload)
    return [(int(row.id), str(row.status), {**payload, "context": {
        **payload.get("context", {}), "replies": [{"row_id": row_id}]}})]


def _replies(payload: dict[str, Any]) -> list[Reply]:
    return list(payload.get("context", {}).get("replies", []))


def _rewrite(conn: Connection, notice_id: int, status: str, payload: dict[str, Any],
             replies: list[Reply], cancelled_because: str = "") -> bool:
    """Give a notice not yet shown this list (cancel it if empty); False if it has
    gone out (or is going) meanwhile, and nothing was changed."""
    if status not in UNSHOWN:
        return False
    values: dict[str, Any] = {"payload": {**payload, "context": {
        **payload.get("context", {}), "replies": replies}}}
    if not replies:
        values |= {"status": "cancelled", "last_error": cancelled_because}
    changed = conn.execute(update(OUTBOX).where(
        OUTBOX.c.id == notice_id, OUTBOX.c.status == status).values(**values)).rowcount
    return bool(changed)
