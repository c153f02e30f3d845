"""What handlers see of a push: the fields they need, typed, and the context."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from handlers.hours import OfficeHours
from storage import staff as staff_directory
from workflow.ports import UnitOfWork
from workflow.roles import Actor


@dataclass(frozen=True)
class Inbound:
    openid: str
    account: str
    msg_type: str  # text, image, voice, video, shortvideo, location, link, event
    event: str  # lower case; "" for messages
    create_time: int
    authenticated: bool
    fields: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_fields(cls, fields: Mapping[str, Any], authenticated: bool) -> Inbound:
        return cls(
            openid=str(fields.get("FromUserName", "")),
            account=str(fields.get("ToUserName", "")),
            msg_type=str(fields.get("MsgType", "")).lower(),
            event=str(fields.get("Event", "")).lower(),
            create_time=as_int(fields.get("CreateTime")),
            authenticated=authenticated,
            fields=fields,
        )

    def text(self, name: str) -> str:
        value = self.fields.get(name)
        return value.strip() if isinstance(value, str) else ""


@dataclass
class HandlerContext:
    """One push's transaction and the account's settings."""

    conn: Connection
    now: datetime
    tz: ZoneInfo
    hours: OfficeHours
    complaint_words: tuple[str, ...]
    inbound_id: int
    joined_uow: Callable[[], UnitOfWork]
    plaintext_commands: bool = False  # staff commands accepted from unauthenticated bodies
    reply_sla_minutes: int = 30
    _staff: dict[str, Actor | None] = field(default_factory=dict)

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(self.tz)

    def staff(self, openid: str) -> Actor | None:
        """The staff member behind ``openid``, looked up once per push."""
        if openid not in self._staff:
            self._staff[openid] = staff_directory.actor_by_openid(self.conn, openid)
        return self._staff[openid]


def as_int(value: Any, default: int = 0) -> int:
    """A number from a pushed field, which may be missing or not a number."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
