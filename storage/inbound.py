"""The inbound log: replay guard, dedupe claim and stored replies.

Every push from WeChat runs these, so they are driver-level statements
(``storage.raw``): a claim is one ``INSERT ... ON CONFLICT DO NOTHING``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete

from storage.models import InboundNonce
from storage.raw import Raw

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
_STORED_REPLY = "SELECT reply FROM inbound_messages WHERE dedupe_key = :key"
_STORE_REPLY = ("UPDATE inbound_messages SET reply = :reply, handled_at = :handled_at,"
                " error = :error WHERE id = :id")


@dataclass(frozen=True)
class Claim:
    """The outcome of recording a push: new (handle it) or a retry (answer again)."""

    inbound_id: int | None
    previous_reply: str | None


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
    return Claim(None, (stored[0] if stored else None) or "")


def store_reply(conn: Connection, inbound_id: int, reply: str, now: datetime,
                error: str = "") -> None:
    """Keep the passive reply (or why handling failed) for the push's retries.

    A claimed push already reads as handled with no reply, so a push answered
    with plain ``success`` needs no second write.
    """
    if not reply and not error:
        return
    Raw.of(conn).run(_STORE_REPLY, {"id": inbound_id, "reply": reply,
                                    "handled_at": None if error else now,
                                    "error": error[:2000]})


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
