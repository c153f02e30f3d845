"""Admins' versions of the editable reply texts (``account_texts``)."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from storage.models import AccountText

_OVERRIDE = select(AccountText.body).where(AccountText.key == bindparam("p_key"))


class SqlTexts:
    """Implements ``handlers.texts.TextSource`` on a connection (or a session)."""

    def __init__(self, conn: Connection | Session) -> None:
        self.conn = conn

    def override(self, key: str) -> str | None:
        return self.conn.execute(_OVERRIDE, {"p_key": key}).scalar()
