"""Constants written into a statement's text rather than sent as parameters."""

from __future__ import annotations

from sqlalchemy import ColumnElement, literal_column


def constant(value: str) -> ColumnElement[str]:
    """``value`` (a constant of the code, never input) as an SQL string literal.

    A partial index serves a query only when the planner can see that the
    query's condition implies the index's: PostgreSQL cannot once a statement
    runs often enough (psycopg prepares it on the fifth run) for a generic
    plan, where a parameter's value is unknown, and SQLite never can."""
    assert "'" not in value
    return literal_column(f"'{value}'")
