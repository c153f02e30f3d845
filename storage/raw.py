"""Driver-level statements for the inbound hot path.

The inbound profile showed SQLAlchemy's per-statement machinery (about 25 us
a statement against under 1 us for the driver on SQLite) as the largest cost
of a push, ahead of the SQL itself. The few statements every push runs go
straight to the DBAPI cursor of the SQLAlchemy connection, inside the
transaction SQLAlchemy opened, so commit and rollback stay where they were.

SQL is written once with ``:name`` placeholders and the same ``ON CONFLICT``
and ``RETURNING`` syntax, which SQLite and PostgreSQL share. Values are
adapted the way the models' column types store them, so rows written here
read back through the ORM unchanged (tests check that on both engines).
Driver errors are raised as SQLAlchemy's ``DBAPIError``, as SQLAlchemy would
raise them, marked ``connection_invalidated`` when the connection is gone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine.interfaces import DBAPIModule
from sqlalchemy.exc import DBAPIError, StatementError

DriverError = DBAPIModule.Error  # the driver's base exception (sqlite3.Error, psycopg.Error)

_PLAIN = frozenset({str, int, bool, float, type(None)})
_PLACEHOLDER = re.compile(r"(?<![:\w]):(\w+)")


class Raw:
    """A DBAPI cursor bound to the transaction of one SQLAlchemy connection."""

    def __init__(self, conn: Connection) -> None:
        self.postgres = conn.dialect.name == "postgresql"
        self._json: Callable[[Any], Any] = json.dumps
        if self.postgres:  # imported here: a SQLite process need not load psycopg
            from psycopg.types.json import Json

            self._json = Json
        self.dialect = conn.dialect
        self.dbapi = conn.connection.driver_connection
        assert self.dbapi is not None
        self.cursor = self.dbapi.cursor()
        self.driver_error: type[DriverError] = conn.dialect.loaded_dbapi.Error

    @classmethod
    def of(cls, conn: Connection) -> Raw:
        """One cursor per DBAPI connection, reused across pushes."""
        info = conn.connection.info
        raw = info.get("wxops_raw")
        if not isinstance(raw, Raw) or raw.dbapi is not conn.connection.driver_connection:
            raw = info["wxops_raw"] = cls(conn)
        return raw

    def one(self, sql: str, params: dict[str, Any]) -> tuple[Any, ...] | None:
        rows = self._execute(sql, params, fetch=True)
        return rows[0] if rows else None

    def all(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        return self._execute(sql, params, fetch=True)

    def run(self, sql: str, params: dict[str, Any]) -> None:
        self._execute(sql, params, fetch=False)

    def count(self, sql: str, params: dict[str, Any]) -> int:
        """Rows the statement changed: an insert that found its key taken changed
        none. Cheaper than ``RETURNING`` on SQLite, which buffers the rows."""
        self._execute(sql, params, fetch=False)
        return int(self.cursor.rowcount)

    def positional(self, sql: str, values: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """One row of a statement in the driver's own positional placeholders, its
        values already adapted. psycopg prepares it on the server at its fifth use
        (asked to prepare at once, it would spend a round trip on each new
        combination of the values' types)."""
        try:
            row: tuple[Any, ...] | None = self.cursor.execute(sql, values).fetchone()
            return row
        except self.driver_error as exc:
            raise self._error(sql, values, exc) from exc

    def _execute(self, sql: str, params: dict[str, Any], fetch: bool) -> list[tuple[Any, ...]]:
        try:
            self.cursor.execute(_sql(sql, self.postgres), self.adapt(params))
            return self.cursor.fetchall() if fetch else []  # rows are tuples with both drivers
        except self.driver_error as exc:
            raise self._error(sql, params, exc) from exc

    def _error(self, sql: str, params: Any, exc: DriverError) -> StatementError:
        """The driver's error as SQLAlchemy raises it, marked when the connection is gone."""
        gone = self.dialect.is_disconnect(exc, self.dbapi, self.cursor)
        return DBAPIError.instance(sql, params, exc, self.driver_error,
                                   connection_invalidated=gone, dialect=self.dialect)

    def adapt(self, params: dict[str, Any]) -> dict[str, Any]:
        """Values as the driver takes them; adapted values pass through unchanged.

        Most values are plain and pass as they are; only datetimes and dicts change.
        """
        return {k: v if type(v) in _PLAIN else self._value(v) for k, v in params.items()}

    def adapt_one(self, value: Any) -> Any:
        return value if type(value) in _PLAIN else self._value(value)

    def _value(self, value: Any) -> Any:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            return value.astimezone(UTC) if self.postgres else _sqlite_datetime(value)
        if isinstance(value, dict):
            return self._json(value)
        return value


def as_utc(value: datetime | str | None) -> datetime | None:
    """A timestamp read with a driver-level statement, as the models read it: aware,
    in UTC. SQLite gives back the text ``_sqlite_datetime`` wrote."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@lru_cache(maxsize=8)  # a push uses one "now" several times
def _sqlite_datetime(value: datetime) -> str:
    """SQLAlchemy's ``%Y-%m-%d %H:%M:%S.%f``; ``isoformat`` writes the same, faster."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


@cache
def _sql(sql: str, postgres: bool) -> str:
    """``:name`` placeholders as the driver wants them: named for sqlite3, pyformat
    for psycopg."""
    return _PLACEHOLDER.sub(r"%(\1)s", sql) if postgres else sql
