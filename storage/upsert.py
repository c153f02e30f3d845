"""``INSERT … ON CONFLICT`` on either engine: PostgreSQL's and SQLite's insert
constructs both have the clause; the engine in use decides which one builds
the statement."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite


def conflict_insert(dialect_name: str, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An insert into ``table`` that takes ``on_conflict_do_nothing`` and
    ``on_conflict_do_update``, for the engine named ``dialect_name``."""
    if dialect_name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
