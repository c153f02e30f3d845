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
from contextlib import suppress
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import Any, TypeVar

from sqlalchemy import Connection, event
from sqlalchemy.engine.interfaces import DBAPIModule
from sqlalchemy.exc import DBAPIError, StatementError

T = TypeVar("T")
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
        dbapi = conn.connection.driver_connection
        assert dbapi is not None
        self.dbapi: Any = dbapi
        self.cursor = self.dbapi.cursor()
        self.driver_error: type[DriverError] = conn.dialect.loaded_dbapi.Error
        #: psycopg's pipeline, and its context, while statements are queued (``queueing``).
        self._pipeline: Any = None
        self._queue: Any = None

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
        self._execute(sql, params, fetch=False, sync=True)
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
            raise self._error(exc, sql, values) from exc

    def counted(self, sql: str, params: dict[str, Any]) -> Callable[[], int]:
        """``count`` answered later: while queueing, the rows changed are known once
        the statements queued are sent (the commit sends them)."""
        if self._pipeline is None:
            changed = self.count(sql, params)
            return lambda: changed
        cursor = self.dbapi.cursor()  # its own: the shared cursor's answer is the last one
        self._execute(sql, params, fetch=False, cursor=cursor)
        return lambda: int(cursor.rowcount)

    def queueing(self, conn: Connection) -> None:
        """On PostgreSQL, from now on send the statements that need no answer
        (``run``, ``counted``) with the next that does, or with the commit: one
        round trip instead of one each (psycopg's pipeline mode). The pipeline
        ends (``unqueued``) before any statement SQLAlchemy makes on ``conn``,
        which does not expect one."""
        if not self.postgres or self._pipeline is not None:
            return
        if not event.contains(conn, "before_cursor_execute", self._unqueue):
            event.listen(conn, "before_cursor_execute", self._unqueue)
        pool = conn.engine.pool
        if not event.contains(pool, "invalidate", _abandon):
            event.listen(pool, "invalidate", _abandon)
        self._queue = self.dbapi.pipeline()  # kept: the pipeline lasts as long as it
        self._pipeline = self._wrapped(self._queue.__enter__)

    @property
    def queued(self) -> bool:
        """Whether statements are being queued now."""
        return self._pipeline is not None

    def unqueued(self) -> None:
        """Out of pipeline mode, with every statement queued sent and answered."""
        queue, self._queue, self._pipeline = self._queue, None, None
        if queue is not None:
            self._wrapped(lambda: queue.__exit__(None, None, None))

    def _unqueue(self, *_event: Any) -> None:
        self.unqueued()

    def abandoned(self) -> None:
        """Out of pipeline mode on a connection being dropped. What was queued
        belongs to a transaction the connection's loss rolls back, so the error
        of ending the pipeline on it is of no use; left to the garbage
        collector, the pipeline would end later and log it, at worst at the
        process's exit."""
        with suppress(DBAPIError):
            self.unqueued()

    def _execute(self, sql: str, params: dict[str, Any], fetch: bool, sync: bool = False,
                 cursor: Any = None) -> list[tuple[Any, ...]]:
        cursor = cursor or self.cursor
        try:
            cursor.execute(_sql(sql, self.postgres), self.adapt(params))
            if sync and self._pipeline is not None:
                self._pipeline.sync()
            return cursor.fetchall() if fetch else []  # rows are tuples with both drivers
        except self.driver_error as exc:
            raise self._error(exc, sql, params) from exc

    def _wrapped(self, step: Callable[[], T]) -> T:
        try:
            return step()
        except self.driver_error as exc:
            raise self._error(exc, "(pipeline)", {}) from exc

    def _error(self, exc: DriverError, sql: str, params: Any) -> StatementError:
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


def _abandon(_dbapi: Any, record: Any, *_why: Any) -> None:
    """The pool is about to close an invalidated connection: its pipeline goes first."""
    raw = record.info.get("wxops_raw")
    if isinstance(raw, Raw):
        raw.abandoned()


@cache
def _sql(sql: str, postgres: bool) -> str:
    """``:name`` placeholders as the driver wants them: named for sqlite3, pyformat
    for psycopg."""
    return _PLACEHOLDER.sub(r"%(\1)s", sql) if postgres else sql
