"""``column IN (ids)`` for lists of any length."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, Integer, any_, bindparam, literal
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.types import TypeEngine


def among(session: Session, column: ColumnElement[Any] | InstrumentedAttribute[Any],
          ids: Collection[int]) -> ColumnElement[bool]:
    """``column IN ids``. On PostgreSQL the ids go as one array (``= ANY``): the
    re-check views pass every published item, thousands of ids, and psycopg
    parses a statement of thousands of placeholders slower than the database
    runs it (bench/scale.py)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(list(ids), type_=postgresql.ARRAY(Integer)))
    return column.in_(list(ids))


def among_given(dialect: str, column: ColumnElement[Any] | InstrumentedAttribute[Any],
                name: str, of: TypeEngine[Any] | None = None) -> ColumnElement[bool]:
    """``among`` with the ids given when the statement runs, as the parameter
    ``name`` (a list): for a statement built once for the ``dialect`` and run
    often, which then skips building itself again (storage/rechecks.py).
    ``of``: the values' type, if not integers."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=postgresql.ARRAY(of or Integer())))
    return column.in_(bindparam(name, expanding=True))
