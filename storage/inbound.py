"""The inbound log: replay guard, dedupe claim and stored replies.

Every push from WeChat runs these, so they are driver-level statements
(``storage.raw``): a claim is one ``INSERT ... ON CONFLICT DO NOTHING``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select
from sqlalchemy.orm import Session

from storage.models import InboundMessage, InboundNonce
from storage.raw import Raw
from workflow.follower_push import Acknowledgement

DEDUPE_KEY_LENGTH = 160  # the column's width

_NONCE = ("INSERT INTO inbound_nonces (timestamp, nonce, body_hash) "
          "VALUES (:ts, :nonce, :body_hash) ON CONFLICT DO NOTHING")
_SEEN_BODY = "SELECT body_hash FROM inbound_nonces WHERE timestamp = :ts AND nonce = :nonce"
_CLAIM = (
    "INSERT INTO inbound_messages (dedupe_key, from_openid, to_user, msg_type, event, msg_id,"
    " create_time, payload, authenticated, mode, reply, error, received_at, handled_at)"
    " VALUES (:dedupe_key, :from_openid, :to_user, :msg_type, :event, :msg_id, :create_time,"
    " :payload, :authenticated, :mode, '', '', :now, :now)"
    " ON CONFLICT DO NOTHING RETURNING id"
)
_STORED_REPLY = ("SELECT reply, reply_outcome FROM inbound_messages"
                 " WHERE dedupe_key = :key")
_STORE_REPLY = "UPDATE inbound_messages SET reply = :reply, handled_at = :now WHERE id = :id"
_STORE_FAILURE = ("UPDATE inbound_messages SET reply = '', handled_at = NULL, error = :error,"
                  " failures = failures + 1, replay_at = :replay_at WHERE id = :id{still}")
# Taken for a replay in the transaction that handles it, so one replay wins.
_TAKE = ("UPDATE inbound_messages SET error = '', replay_at = NULL, handled_at = :now"
         " WHERE id = :id AND error <> ''{due}"
         " RETURNING payload, authenticated, failures")
_DUE = ("SELECT id FROM inbound_messages WHERE error <> '' AND replay_at <= :now"
        " ORDER BY replay_at LIMIT :limit")
_FAILED_COUNTS = ("SELECT count(*), count(replay_at) FROM inbound_messages"
                  " WHERE error <> ''")


@dataclass(frozen=True)
class Claim:
    """The outcome of recording a push: new (handle it) or a retry (answer again)."""

    inbound_id: int | None
    previous_reply: str | None
    #: The acknowledgement a retry renders again, when the reply was rendered
    #: after the push was recorded (``storage.one_trip``).
    previous_acknowledgement: Acknowledgement | None = None


def nonce_is_fresh(conn: Connection, timestamp: int, nonce: str, body_hash: str) -> bool:
    """False when this (timestamp, nonce) came before with a different body."""
    raw, params = Raw.of(conn), {"ts": timestamp, "nonce": nonce[:64]}
    if raw.count(_NONCE, {**params, "body_hash": body_hash}):
        return True
    seen = raw.one(_SEEN_BODY, params)
    return seen is not None and seen[0] == body_hash


def prune_nonces(conn: Connection, signed_before: int) -> int:
    """Forget pairs whose signed timestamp is older than ``signed_before`` (epoch seconds)."""
    result = conn.execute(delete(InboundNonce).where(InboundNonce.timestamp < signed_before))
    return int(result.rowcount or 0)


def dedupe_key(fields: dict[str, Any]) -> str:
    """MsgId for messages; sender + CreateTime + Event for events (WECHAT.md),
    plus the job's id for job reports: two publications or mass sends can finish
    in the same second, and a retry repeats the id; plus the EventKey, which a
    retry repeats too, so that two menu clicks (or scans) in one second are two
    pushes.

    WeChat's keys are short; one longer than the column (a forged body can
    carry anything) is replaced by its digest, which still tells pushes apart.
    """
    msg_type = str(fields.get("MsgType", "")).lower()
    if msg_type != "event" and fields.get("MsgId"):
        key = f"msg:{fields['MsgId']}"
    else:
        key = (f"evt:{fields.get('FromUserName', '')}:{fields.get('CreateTime', '')}:"
               f"{str(fields.get('Event', '')).lower()}{_job_id(fields)}{_event_key(fields)}")
    if len(key) <= DEDUPE_KEY_LENGTH:
        return key
    return f"{key[:4]}sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def _event_key(fields: dict[str, Any]) -> str:
    key = fields.get("EventKey")
    return f":{key}" if isinstance(key, str) and key else ""


def _job_id(fields: dict[str, Any]) -> str:
    """``:id`` of the job an event reports on (MASSSEND/TEMPLATESEND/PUBLISHJOBFINISH)."""
    info = fields.get("PublishEventInfo")
    job = fields.get("MsgID") or fields.get("MsgId") or (
        info.get("publish_id") if isinstance(info, dict) else None)
    return f":{job}" if isinstance(job, str) and job else ""


@dataclass(frozen=True)
class Record:
    """A push's row in the inbound log, ready for the driver.

    Built before the write lock is taken: serialising the payload is work
    that need not hold up the other writers.
    """

    dedupe_key: str
    params: dict[str, Any]


def record(conn: Connection, fields: dict[str, Any], *, authenticated: bool, mode: str,
           now: datetime) -> Record:
    key = dedupe_key(fields)
    return Record(key, Raw.of(conn).adapt(_row(fields, key, authenticated, mode, now)))


def claim(conn: Connection, push: Record) -> Claim:
    """Record the push once, as handled with no reply. A retry gets the stored reply.

    The row is written in the transaction that handles the push, so nobody
    sees it before the handling commits; a reply, or an error, is stored
    over it (``store_reply``). On PostgreSQL a retry racing its original
    waits on the unique key until the original commits, then finds its reply.
    """
    raw = Raw.of(conn)
    new = raw.one(_CLAIM, push.params)
    if new is not None:
        return Claim(int(new[0]), None)
    stored = raw.one(_STORED_REPLY, {"key": push.dedupe_key})
    if stored is None:
        return Claim(None, "")
    return Claim(None, stored[0] or "", acknowledgement(stored[1]))


def acknowledgement(stored: dict[str, Any] | str | None) -> Acknowledgement | None:
    """An acknowledgement as ``wxops_push`` keeps it (``reply_outcome``; JSON text
    when read from SQLite)."""
    if not stored:
        return None
    value = json.loads(stored) if isinstance(stored, str) else stored
    return Acknowledgement(str(value["text"]), int(value["ticket"]), bool(value["complaint"]),
                           int(value.get("at") or 0))


def store_reply(conn: Connection, inbound_id: int, reply: str, now: datetime) -> None:
    """Keep the passive reply for the push's retries.

    A claimed push already reads as handled with no reply, so a push answered
    with plain ``success`` needs no second write.
    """
    if reply:
        Raw.of(conn).run(_STORE_REPLY, {"id": inbound_id, "reply": reply, "now": now})


def store_failure(conn: Connection, inbound_id: int, error: str,
                  replay_at: datetime | None, *, again: bool = False) -> None:
    """Keep why handling failed, and when the worker tries again (None: only when a
    person asks, ``wxops inbound replay``). ``again``: a replay failed, which is
    kept only while the push is still failed (another replay may have handled
    it meanwhile, and its success must stand)."""
    sql = _STORE_FAILURE.format(still=" AND error <> ''" if again else "")
    Raw.of(conn).run(sql, {"id": inbound_id, "error": error[:2000] or "?",
                           "replay_at": replay_at})


@dataclass(frozen=True)
class Failed:
    """A push taken for a replay: its fields, as handlers read them."""

    inbound_id: int
    fields: dict[str, Any]
    authenticated: bool
    failures: int


def take_for_replay(conn: Connection, inbound_id: int, now: datetime,
                    due_only: bool = False) -> Failed | None:
    """Mark a failed push handled, in the transaction that handles it again; None
    when it is not failed (any more), or, with ``due_only``, not due yet."""
    due = " AND replay_at <= :now" if due_only else ""
    row = Raw.of(conn).one(_TAKE.format(due=due), {"id": inbound_id, "now": now})
    if row is None:
        return None
    payload = row[0] if isinstance(row[0], dict) else json.loads(row[0])
    return Failed(inbound_id, payload, bool(row[1]), int(row[2]))


def due_replays(conn: Connection, now: datetime, limit: int = 50) -> list[int]:
    return [int(r[0]) for r in Raw.of(conn).all(_DUE, {"now": now, "limit": limit})]


def failed_counts(conn: Connection) -> tuple[int, int]:
    """(failed pushes, of which the worker will try again by itself)."""
    row = Raw.of(conn).one(_FAILED_COUNTS, {})
    return (int(row[0]), int(row[1])) if row else (0, 0)


def failures(conn: Connection, limit: int = 50) -> list[InboundMessage]:
    """Failed pushes, newest first."""
    return list(Session(bind=conn).scalars(
        select(InboundMessage).where(InboundMessage.error != "")
        .order_by(InboundMessage.id.desc()).limit(limit)))


def get(conn: Connection, inbound_id: int) -> InboundMessage | None:
    return Session(bind=conn).get(InboundMessage, inbound_id)


def _row(fields: dict[str, Any], key: str, authenticated: bool, mode: str,
         now: datetime) -> dict[str, Any]:
    return {
        "dedupe_key": key,
        "from_openid": str(fields.get("FromUserName", ""))[:64],
        "to_user": str(fields.get("ToUserName", ""))[:64],
        "msg_type": str(fields.get("MsgType", "")).lower()[:32],
        "event": str(fields["Event"])[:64] if fields.get("Event") else None,
        "msg_id": _msg_id(fields.get("MsgId") or fields.get("MsgID")),
        "create_time": _int(fields.get("CreateTime")),
        "payload": fields,
        "authenticated": authenticated,
        "mode": mode,
        "now": now,
    }


def _msg_id(value: Any) -> int | None:
    text = str(value or "")
    if not (text.isascii() and text.isdigit()):  # "²".isdigit() is true too
        return None
    number = int(text)
    return number if number < 2**63 else None


def _int(value: Any) -> int:
    """A BIGINT from a pushed field; out of range or not a number is 0."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 0
    return number if -(2**63) <= number < 2**63 else 0


def nonce_retention(max_skew: int) -> int:
    """Seconds a pair is kept after its signed time: past twice the skew window it
    could only come back stale. With the skew check off a day, after which a
    captured query could carry another body again: keep the check on."""
    return 2 * max_skew if max_skew else 24 * 3600
