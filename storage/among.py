"""``column IN (ids)`` for lists of any length."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, Integer, any_, literal
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import InstrumentedAttribute, Session


def among(session: Session, column: ColumnElement[Any] | InstrumentedAttribute[Any],
          ids: Collection[int]) -> ColumnElement[bool]:
    """``column IN ids``. On PostgreSQL the ids go as one array (``= ANY``): the
    re-check views pass every published item, thousands of ids, and psycopg
    parses a statement of thousands of placeholders slower than the database
    runs it (bench/scale.py)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(list(ids), type_=postgresql.ARRAY(Integer)))
    return column.in_(list(ids))
