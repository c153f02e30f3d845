"""Admins' versions of the editable reply texts (``account_texts``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, select
from sqlalchemy.orm import Session

from storage.models import AccountText

_OVERRIDE = select(AccountText.body).where(AccountText.key == bindparam("p_key"))


class SqlTexts:
    """Implements ``handlers.texts.TextSource`` on a connection (or a session)."""

    def __init__(self, conn: Connection | Session) -> None:
        self.conn = conn

    def override(self, key: str) -> str | None:
        return self.conn.execute(_OVERRIDE, {"p_key": key}).scalar()


class SqlAccountTexts:
    """The editable texts as admins keep them (``wxops texts``), in a session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def custom(self, key: str) -> AccountText | None:
        return self.session.get(AccountText, key)

    def add(self, key: str, body: str, now: datetime) -> None:
        """A first version (seeding): one there already fails the commit."""
        self.session.add(AccountText(key=key, body=body, updated_at=now))

    def save(self, key: str, body: str, now: datetime) -> None:
        self.session.merge(AccountText(key=key, body=body, updated_at=now))

    def reset(self, key: str) -> None:
        self.session.execute(delete(AccountText).where(AccountText.key == key))
