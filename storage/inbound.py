"""The inbound log: replay guard, dedupe claim and stored replies (Core statements).

This is the hot path of every push from WeChat, so it uses single statements
rather than ORM objects: a claim is one INSERT ... ON CONFLICT DO NOTHING.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session

from storage.models import InboundMessage, InboundNonce
from storage.sql import insert_or_ignore

NONCES = cast(Table, InboundNonce.__table__)
MESSAGES = cast(Table, InboundMessage.__table__)


@dataclass(frozen=True)
class Claim:
    """The outcome of recording a push: new (handle it) or a retry (answer again)."""

    inbound_id: int | None
    previous_reply: str | None

    @property
    def is_new(self) -> bool:
        return self.inbound_id is not None


def nonce_is_fresh(session: Session, timestamp: int, nonce: str, body_hash: str,
                   now: datetime) -> bool:
    """False when this (timestamp, nonce) came before with a different body."""
    values = {"timestamp": timestamp, "nonce": nonce[:64], "body_hash": body_hash,
              "seen_at": now}
    if insert_or_ignore(session, NONCES, values) is not None:
        return True
    seen = session.execute(
        select(InboundNonce.body_hash).where(InboundNonce.timestamp == timestamp,
                                             InboundNonce.nonce == nonce[:64])
    ).scalar()
    return seen == body_hash


def prune_nonces(session: Session, older_than: datetime) -> int:
    result = session.execute(delete(InboundNonce).where(InboundNonce.seen_at < older_than))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def dedupe_key(fields: dict[str, Any]) -> str:
    """MsgId for messages; sender + CreateTime + Event for events (WECHAT.md)."""
    msg_type = str(fields.get("MsgType", "")).lower()
    if msg_type != "event" and fields.get("MsgId"):
        return f"msg:{fields['MsgId']}"
    return (f"evt:{fields.get('FromUserName', '')}:{fields.get('CreateTime', '')}:"
            f"{str(fields.get('Event', '')).lower()}")[:160]


def claim(session: Session, fields: dict[str, Any], *, authenticated: bool, mode: str,
          now: datetime) -> Claim:
    """Record the push once. A retry gets the reply stored the first time."""
    key = dedupe_key(fields)
    row = _row(fields, key, authenticated, mode, now)
    new_id = insert_or_ignore(session, MESSAGES, row)
    if new_id is not None:
        return Claim(int(new_id), None)
    reply = session.execute(
        select(InboundMessage.reply).where(InboundMessage.dedupe_key == key)).scalar()
    return Claim(None, reply or "")


def store_reply(session: Session, inbound_id: int, reply: str, now: datetime,
                error: str = "") -> None:
    session.execute(
        update(InboundMessage).where(InboundMessage.id == inbound_id)
        .values(reply=reply, handled_at=None if error else now, error=error[:2000])
    )


def _row(fields: dict[str, Any], key: str, authenticated: bool, mode: str,
         now: datetime) -> dict[str, Any]:
    msg_id = fields.get("MsgId") or fields.get("MsgID")
    return {
        "dedupe_key": key,
        "from_openid": str(fields.get("FromUserName", ""))[:64],
        "to_user": str(fields.get("ToUserName", ""))[:64],
        "msg_type": str(fields.get("MsgType", "")).lower()[:32],
        "event": str(fields["Event"])[:64] if fields.get("Event") else None,
        "msg_id": _msg_id(msg_id),
        "create_time": _int(fields.get("CreateTime")),
        "payload": fields,
        "authenticated": authenticated,
        "mode": mode,
        "reply": None,
        "error": "",
        "received_at": now,
        "handled_at": None,
    }


def _msg_id(value: Any) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() and int(text) < 2**63 else None


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def nonce_retention(max_skew: int) -> timedelta:
    """Pairs older than twice the skew window can never be replayed (they'd be stale)."""
    return timedelta(seconds=2 * max_skew) if max_skew else timedelta(days=1)
