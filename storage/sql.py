"""Dialect helpers for single-round-trip statements on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_or_ignore(session: Session, table: Table, values: dict[str, Any]) -> int | None:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id: the new id, or None on conflict.

    RETURNING rather than rowcount: drivers disagree on rowcount here (psycopg
    reports -1). On PostgreSQL a concurrent insert of the same key waits for
    the other transaction, so a retry racing its original sees the committed row.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).values(**values).on_conflict_do_nothing()
    new_id = session.execute(stmt.returning(table.c.id)).scalar()
    return None if new_id is None else int(new_id)
