"""The outbox: claim due rows, record delivery, finish, recover, inspect.

What a sender writes for a row, and why no less (``bot.sender`` drives it):

- **The claim** takes a batch of due rows in one commit (``FOR UPDATE SKIP
  LOCKED`` on PostgreSQL, so workers side by side never take the same row) and
  stamps them with the worker and ``claimed_at``: the lease. A claimed row is
  not an attempt; given back (``release``) or recovered, it is pending again.
- **The in-flight marker** (``attempt_started_at``, ``begin_attempt``) is
  written per row and is durable before the row's first platform call. It is
  the one thing recovery needs to tell "may have been sent" from "never
  touched": after a crash every started row without a delivered marker is
  parked in doubt, every row never started goes back to pending. It cannot be
  written for the whole batch at the claim: a worker dying on the third row
  would leave the fourth to the last marked as started, and they would be
  parked for a person although nothing of them went out. So one durable write
  a call is the floor; the sender makes it the only one.
- **The outcome** of a row (``finish``, with its delivered marker
  ``delivered`` when the platform accepted a call, and what the acceptance
  changes) is written in the same transaction as the next row's in-flight
  marker: one commit a row, instead of three (marker, delivered marker,
  outcome). A crash between a call and that commit leaves the row started,
  not delivered: recovery parks it as may-have-arrived, never resends it
  (unless its kind is ``SAFE_TO_RESEND``) — as a crash between the call and
  the delivered marker's own commit did before, and that window is no longer.
  Rows after it were never started and are sent by the next worker.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, func, select, update
from sqlalchemy.sql import ColumnElement

from storage.batch import BatchConnections as BatchConnections  # the sender's, by the seam
from storage.db import write_lock
from storage.models import OutboxMessage
from storage.raw import Raw

OUTBOX = cast(Table, OutboxMessage.__table__)

#: Kinds whose resend the platform itself dedupes (clientmsgid) or that only read:
#: after a crash mid-send, or a call whose answer never came, they are simply
#: retried. Every other kind is parked for a person when its outcome is unknown.
SAFE_TO_RESEND = frozenset({"sendall", "archive_published"})

#: Statuses `retry` re-drives.
RETRYABLE = ("dead", "refused", "held")


@dataclass(frozen=True)
class OutboxRow:
    id: int
    kind: str
    payload: dict[str, Any]
    idempotency_key: str
    status: str
    attempts: int
    recipient: str | None
    delivered_at: datetime | None
    attempt_started_at: datetime | None
    result: dict[str, Any] | None
    last_error: str
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None
    in_doubt: bool = False
    dead_at: datetime | None = None


def _row(r: Any) -> OutboxRow:
    return OutboxRow(r.id, r.kind, r.payload, r.idempotency_key, r.status, r.attempts,
                     r.recipient, r.delivered_at, r.attempt_started_at, r.result, r.last_error,
                     r.next_attempt_at, r.created_at, r.sent_at, bool(r.in_doubt), r.dead_at)


def add(conn: Connection, kind: str, payload: dict[str, Any], key: str, now: datetime,
        recipient: str | None = None, due: datetime | None = None) -> int | None:
    """Queue a row in the caller's transaction, due ``due`` (default now); None if
    the key was queued before."""
    existing = conn.execute(select(OUTBOX.c.id).where(OUTBOX.c.idempotency_key == key)).first()
    if existing is not None:
        return None
    result = conn.execute(OUTBOX.insert().values(
        kind=kind, payload=payload, idempotency_key=key, status="pending", recipient=recipient,
        attempts=0, next_attempt_at=due or now, claimed_by="", last_error="", created_at=now))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def claim_due(engine: Engine, worker: str, now: datetime, limit: int = 20) -> list[OutboxRow]:
    """Take due rows for this worker. On PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets
    several workers claim side by side without ever taking the same row.

    A claim is not an attempt: until `start_attempt` marks a row, a worker that
    stops or dies can give it back (`release`, `recover_stale`) untouched."""
    with write_lock(engine), engine.begin() as conn:
        due = (select(OUTBOX.c.id)
               .where(OUTBOX.c.status == "pending", OUTBOX.c.next_attempt_at <= now)
               .order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.id).limit(limit))
        if conn.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = list(conn.execute(due).scalars())
        if not ids:
            return []
        conn.execute(update(OUTBOX).where(OUTBOX.c.id.in_(ids)).values(
            status="sending", claimed_by=worker, claimed_at=now, attempt_started_at=None,
            attempts=OUTBOX.c.attempts + 1))
        rows = conn.execute(select(OUTBOX).where(OUTBOX.c.id.in_(ids)).order_by(OUTBOX.c.id))
        return [_row(r) for r in rows]


def start_attempt(engine: Engine, row_id: int, worker: str, now: datetime) -> bool:
    """``begin_attempt`` in its own commit."""
    with write_lock(engine), engine.begin() as conn:
        return begin_attempt(conn, row_id, worker, now)


# The statements a sender makes for every row are driver-level (``storage.raw``):
# SQLAlchemy's statement machinery cost the sender more CPU a row than the SQL.
_BEGIN = ("UPDATE outbox SET attempt_started_at = :now, claimed_at = :now WHERE id = :row_id"
          " AND status = 'sending' AND claimed_by = :worker AND attempt_started_at IS NULL")


def begin_attempt(conn: Connection, row_id: int, worker: str, now: datetime) -> bool:
    """Mark, in the caller's transaction (committed before any call is made), that
    this worker starts on a row it claimed; from then on a crash leaves the row's
    outcome unknown. False if the row is no longer this worker's (a slow batch
    outlived its lease and the row was recovered): the worker must then leave it
    alone. Renews the lease for the attempt."""
    return began(conn, row_id, worker, now)()


def began(conn: Connection, row_id: int, worker: str, now: datetime) -> Callable[[], bool]:
    """``begin_attempt``, answered once the transaction is committed (its
    statement may be queued to go with the commit, ``Raw.queueing``)."""
    changed = Raw.of(conn).counted(_BEGIN, {"row_id": row_id, "worker": worker, "now": now})
    return lambda: bool(changed())


def release(engine: Engine, worker: str, row_ids: list[int]) -> int:
    """Give back claimed rows this worker never started on (it is stopping): pending
    again, due now, the claim's attempt not counted."""
    if not row_ids:
        return 0
    with write_lock(engine), engine.begin() as conn:
        released = conn.execute(update(OUTBOX).where(
            OUTBOX.c.id.in_(row_ids), OUTBOX.c.claimed_by == worker, _never_started(),
        ).values(**_unclaimed())).rowcount
    return int(released or 0)


def _never_started() -> ColumnElement[bool]:
    return (OUTBOX.c.status == "sending") & OUTBOX.c.attempt_started_at.is_(None) \
        & OUTBOX.c.delivered_at.is_(None)


def _unclaimed() -> dict[str, Any]:
    # The claim counted an attempt that never happened.
    return {"status": "pending", "claimed_by": "", "claimed_at": None,
            "attempts": OUTBOX.c.attempts - 1}


def mark_delivered(engine: Engine, row_id: int, result: dict[str, Any], now: datetime,
                   also: Callable[[Connection], None] | None = None) -> None:
    """The platform accepted the call: ``delivered`` and ``also`` (what the
    acceptance itself changes, e.g. the window's send count) in their own commit.
    The sender writes them with the row's outcome; this is for when that commit
    failed."""
    with write_lock(engine), engine.begin() as conn:
        delivered(conn, row_id, result, now)
        if also is not None:
            also(conn)


def delivered(conn: Connection, row_id: int, result: dict[str, Any], now: datetime) -> None:
    """The delivered marker: the platform accepted the row's call, with ``result``.
    A row recovered with it is finished without a second call."""
    conn.execute(update(OUTBOX).where(OUTBOX.c.id == row_id)
                 .values(delivered_at=now, result=result))


def still_attempting(engine: Engine, row_id: int, worker: str) -> bool:
    """Whether the row is still this worker's attempt: asked just before the call,
    so a worker that stalled past its lease (its row recovered meanwhile, perhaps
    re-driven by a person) does not make the call as well."""
    with engine.connect() as conn:
        return attempting(conn, row_id, worker)


_ATTEMPTING = ("SELECT 1 FROM outbox"
               " WHERE id = :row_id AND status = 'sending' AND claimed_by = :worker")


def attempting(conn: Connection, row_id: int, worker: str) -> bool:
    """``still_attempting`` on the caller's connection."""
    return Raw.of(conn).one(_ATTEMPTING, {"row_id": row_id, "worker": worker}) is not None


def finish(conn: Connection, row_id: int, status: str, now: datetime, error: str = "",
           next_attempt: datetime | None = None, recipient: str | None = None, *,
           worker: str | None = None, in_doubt: bool = False,
           accepted: dict[str, Any] | None = None) -> bool:
    """Record a row's outcome. With ``worker``, only while the row is still that
    worker's claim: False when it is not (it stalled past its lease and the row
    was recovered), and nothing is written. ``in_doubt`` (dead only): the
    platform may have acted on it. ``accepted``: the platform's answer to a call
    it accepted, written as the delivered marker with the outcome."""
    dead = status == "dead"
    values: dict[str, Any] = {"status": status, "last_error": error[:2000],
                              "in_doubt": dead and in_doubt, "dead_at": now if dead else None}
    if accepted is not None:
        values["delivered_at"], values["result"] = now, accepted
    if status == "sent":
        values["sent_at"] = now
    if next_attempt is not None:
        values["next_attempt_at"] = next_attempt
    if recipient is not None:
        values["recipient"] = recipient
    sql = _finishing(tuple(values), worker is not None)
    return bool(Raw.of(conn).count(sql, {**values, "row_id": row_id, "worker": worker}))


@cache
def _finishing(columns: tuple[str, ...], claimed: bool) -> str:
    """``finish``'s UPDATE of these columns (a few sets of them are ever written)."""
    sets = ", ".join(f"{column} = :{column}" for column in columns)
    mine = " AND status = 'sending' AND claimed_by = :worker" if claimed else ""
    return f"UPDATE outbox SET {sets} WHERE id = :row_id{mine}"


def sent_after_all(conn: Connection, row_id: int, now: datetime, note: str) -> bool:
    """A row given up as in doubt that its worker, stalled past its lease, then
    saw WeChat accept (the delivered marker): sent after all, with ``note``.
    False if it is no longer dead in doubt (a person re-drove it meanwhile)."""
    return bool(conn.execute(update(OUTBOX).where(
        OUTBOX.c.id == row_id, OUTBOX.c.status == "dead", OUTBOX.c.in_doubt.is_(True),
        OUTBOX.c.delivered_at.is_not(None),
    ).values(status="sent", sent_at=now, in_doubt=False, last_error=note[:2000])).rowcount)


def recover_stale(engine: Engine, now: datetime, lease: timedelta,
                  on_dead: Callable[[Connection, OutboxRow], None] | None = None, *,
                  interrupted: str = "") -> tuple[int, int]:
    """Rows a dead (or stalled) worker left in 'sending'; returns (resumed, dead).

    Rows it claimed but never started on go back to pending as if never claimed.
    Delivered ones, and kinds the platform dedupes, go back to pending too (the
    sender will not call the API again for a delivered row). The rest were in
    flight when the worker died and cannot be known to have arrived or not:
    rather than risk a double send they go to dead in doubt, with the reason
    ``interrupted``, for a person to decide; ``on_dead`` runs for each of those
    in the same transaction.
    """
    stale = (OUTBOX.c.status == "sending") & (OUTBOX.c.claimed_at < now - lease)
    resumable = OUTBOX.c.delivered_at.is_not(None) | OUTBOX.c.kind.in_(SAFE_TO_RESEND)
    with write_lock(engine), engine.begin() as conn:
        untouched = conn.execute(update(OUTBOX).where(stale & _never_started()).values(
            **_unclaimed(), next_attempt_at=now)).rowcount
        resumed = conn.execute(update(OUTBOX).where(stale & resumable).values(
            status="pending", next_attempt_at=now)).rowcount
        given_up = update(OUTBOX).where(stale & ~resumable).values(
            status="dead", last_error=interrupted[:2000], in_doubt=True, dead_at=now)
        dead = [_row(r) for r in conn.execute(given_up.returning(*OUTBOX.c))]
        if on_dead is not None:
            for row in dead:
                on_dead(conn, row)
    return int(untouched or 0) + int(resumed or 0), len(dead)


def listing(conn: Connection, status: str | None = None, limit: int = 50) -> list[OutboxRow]:
    stmt = select(OUTBOX).order_by(OUTBOX.c.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(OUTBOX.c.status == status)
    return [_row(r) for r in conn.execute(stmt)]


def get(conn: Connection, row_id: int) -> OutboxRow | None:
    row = conn.execute(select(OUTBOX).where(OUTBOX.c.id == row_id)).first()
    return _row(row) if row else None


def retry(conn: Connection, row_id: int, now: datetime) -> bool:
    """Re-drive a dead, refused or held row: pending now, as if new."""
    return bool(conn.execute(_redriven(OUTBOX.c.id == row_id, now)).rowcount)


def dead_since(conn: Connection, since: datetime) -> list[OutboxRow]:
    """Dead rows that died at or after ``since``, oldest first."""
    return [_row(r) for r in conn.execute(select(OUTBOX).where(
        OUTBOX.c.status == "dead", OUTBOX.c.dead_at >= since).order_by(OUTBOX.c.id))]


def retry_many(conn: Connection, row_ids: list[int], now: datetime) -> list[int]:
    """Re-drive these rows (those still retryable); returns the ids re-driven."""
    if not row_ids:
        return []
    done = conn.execute(_redriven(OUTBOX.c.id.in_(row_ids), now).returning(OUTBOX.c.id))
    return sorted(int(i) for i in done.scalars())


def _redriven(which: ColumnElement[bool], now: datetime) -> Any:
    # A re-driven row starts over: the delivery marker is cleared, or the worker
    # would finish it as sent without calling (the point of --force).
    return update(OUTBOX).where(which, OUTBOX.c.status.in_(RETRYABLE)).values(
        status="pending", next_attempt_at=now, attempts=0, delivered_at=None,
        attempt_started_at=None, last_error="", in_doubt=False, dead_at=None)


def counts(conn: Connection) -> dict[str, int]:
    rows = conn.execute(select(OUTBOX.c.status, func.count()).group_by(OUTBOX.c.status))
    return {status: int(n) for status, n in rows}



def oldest_pending(conn: Connection) -> tuple[datetime | None, datetime | None]:
    """Of the rows waiting to be sent: when the oldest was written, and the
    earliest time one was due (None, None when none waits)."""
    row = conn.execute(select(func.min(OUTBOX.c.created_at), func.min(OUTBOX.c.next_attempt_at))
                       .where(OUTBOX.c.status == "pending")).one()
    return row[0], row[1]


_HELD = "SELECT id, payload FROM outbox WHERE recipient = :openid AND status = 'held' ORDER BY id"
_HANDED_OVER = ("UPDATE outbox SET status = 'sent', sent_at = :now,"
                " last_error = 'handed_over' WHERE id = :id AND status = 'held'")


def held_for(conn: Connection, openid: str) -> list[tuple[int, dict[str, Any]]]:
    """This person's held notices, oldest first: (row id, payload).

    Runs on every push from a staff member (a driver-level query on an indexed
    column), inside the push's transaction, so a retried push gets the stored
    reply and takes nothing more. On PostgreSQL the rows stay locked until that
    transaction ends: a second push from the same person at the same moment
    waits, then no longer finds the notices the first one showed.
    """
    raw = Raw.of(conn)
    rows = raw.all(_HELD + (" FOR UPDATE" if raw.postgres else ""), {"openid": openid})
    return [(int(row_id), p if isinstance(p, dict) else json.loads(p)) for row_id, p in rows]


def hand_over(conn: Connection, row_ids: Iterable[int], now: datetime) -> None:
    """Mark held notices sent: the passive reply the caller is answering with shows
    them. Only those: the rest stay held for the person's next message."""
    raw = Raw.of(conn)
    for row_id in row_ids:
        raw.run(_HANDED_OVER, {"now": now, "id": row_id})


_DROPPED = ("UPDATE outbox SET status = 'cancelled', last_error = :why"
            " WHERE id = :id AND status = 'held'")


def drop_held(conn: Connection, row_ids: Iterable[int], why: str) -> None:
    """Held notices nobody should see any more (what they asked is done): cancelled,
    with why, instead of shown."""
    raw = Raw.of(conn)
    for row_id in row_ids:
        raw.run(_DROPPED, {"id": row_id, "why": why})


def queued_for(conn: Connection, openid: str) -> int:
    """Customer-service sends to this person not yet made (they share one budget)."""
    return int(conn.execute(select(func.count()).select_from(OUTBOX).where(
        OUTBOX.c.recipient == openid, OUTBOX.c.kind == "cs_reply",
        OUTBOX.c.status.in_(("pending", "sending")))).scalar() or 0)
