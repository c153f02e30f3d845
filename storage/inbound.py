"""The inbound log: replay guard, dedupe claim and stored replies.

Every push from WeChat runs these, so they are driver-level statements
(``storage.raw``): a claim is one ``INSERT ... ON CONFLICT DO NOTHING``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete

from storage.models import InboundNonce
from storage.raw import Raw

_NONCE = ("INSERT INTO inbound_nonces (timestamp, nonce, body_hash, seen_at) "
          "VALUES (:ts, :nonce, :body_hash, :now) ON CONFLICT DO NOTHING RETURNING id")
_SEEN_BODY = "SELECT body_hash FROM inbound_nonces WHERE timestamp = :ts AND nonce = :nonce"
_CLAIM = (
    "INSERT INTO inbound_messages (dedupe_key, from_openid, to_user, msg_type, event, msg_id,"
    " create_time, payload, authenticated, mode, reply, error, received_at, handled_at)"
    " VALUES (:dedupe_key, :from_openid, :to_user, :msg_type, :event, :msg_id, :create_time,"
    " :payload, :authenticated, :mode, NULL, '', :now, NULL)"
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


def nonce_is_fresh(conn: Connection, timestamp: int, nonce: str, body_hash: str,
                   now: datetime) -> bool:
    """False when this (timestamp, nonce) came before with a different body."""
    raw, params = Raw.of(conn), {"ts": timestamp, "nonce": nonce[:64]}
    if raw.one(_NONCE, {**params, "body_hash": body_hash, "now": now}) is not None:
        return True
    seen = raw.one(_SEEN_BODY, params)
    return seen is not None and seen[0] == body_hash


def prune_nonces(conn: Connection, older_than: datetime) -> int:
    result = conn.execute(delete(InboundNonce).where(InboundNonce.seen_at < older_than))
    return int(result.rowcount or 0)


def dedupe_key(fields: dict[str, Any]) -> str:
    """MsgId for messages; sender + CreateTime + Event for events (WECHAT.md)."""
    msg_type = str(fields.get("MsgType", "")).lower()
    if msg_type != "event" and fields.get("MsgId"):
        return f"msg:{fields['MsgId']}"
    return (f"evt:{fields.get('FromUserName', '')}:{fields.get('CreateTime', '')}:"
            f"{str(fields.get('Event', '')).lower()}")[:160]


def claim(conn: Connection, fields: dict[str, Any], *, authenticated: bool, mode: str,
          now: datetime) -> Claim:
    """Record the push once. A retry gets the reply stored the first time.

    On PostgreSQL a retry racing its original waits on the unique key until
    the original commits, then finds its reply.
    """
    key = dedupe_key(fields)
    raw = Raw.of(conn)
    new = raw.one(_CLAIM, _row(fields, key, authenticated, mode, now))
    if new is not None:
        return Claim(int(new[0]), None)
    stored = raw.one(_STORED_REPLY, {"key": key})
    return Claim(None, (stored[0] if stored else None) or "")


def store_reply(conn: Connection, inbound_id: int, reply: str, now: datetime,
                error: str = "") -> None:
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
    return int(text) if text.isdigit() and int(text) < 2**63 else None


def _int(value: Any) -> int:
    try:
        return min(int(value), 2**63 - 1)
    except (TypeError, ValueError):
        return 0


def nonce_retention(max_skew: int) -> timedelta:
    """Pairs older than twice the skew window can never be replayed (they'd be stale)."""
    return timedelta(seconds=2 * max_skew) if max_skew else timedelta(days=1)
