"""``wxops db copy --to URL``: every row of this wxops database into another, empty
one; how a team that began on SQLite moves to PostgreSQL (and back, or between
two servers of either engine).

The target is migrated to this code's head first; the source must be there
already (``wxops db upgrade``), so both have the same tables. Rows go table by
table in foreign-key order through the models' own types (timestamps stay UTC,
JSON stays JSON), in chunks, inside one transaction on the target: a copy that
fails leaves the target as empty as it was. The source is read in one
transaction too (SQLite: the write lock, so nothing changes under the copy;
PostgreSQL: one repeatable-read snapshot). PostgreSQL's id sequences are moved
past the copied ids, and every table's count is checked at the end.

The services must be stopped first: a push accepted while the copy runs would
stay behind in the old database. A worker's heartbeat newer than
``heartbeats.RUNNING_WITHIN`` is taken for a worker still running and refused.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Integer, Table, func, inspect, select, text
from sqlalchemy.exc import DBAPIError

from storage import heartbeats, migrate
from storage.backup_copies import holds_data
from storage.db import sqlite_file
from storage.models import DERIVED, Base

CHUNK = 1000
VERSION_TABLE = "alembic_version"


class CopyError(Exception):
    """The copy cannot go on: a ``code`` (a macro of templates/cli/errors.j2) and
    its ``data``."""

    def __init__(self, code: str, /, **data: object) -> None:
        super().__init__(code)
        self.code, self.data = code, data


@dataclass(frozen=True)
class Copied:
    revision: str
    rows: Mapping[str, int]  # table -> rows copied, in the order copied

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def copy_database(source: Engine, target: Engine, now: datetime,
                  chunk: int = CHUNK) -> Copied:
    """Copy every row of ``source`` into ``target`` (empty; migrated here)."""
    revision = _check_source(source, target, now)
    if holds_data(target):  # before migrating it: a refused target is left as it was
        raise CopyError("copy_target_holds_data", target=_shown(target))
    _migrate(target)
    tables = [t for t in Base.metadata.sorted_tables if t.name not in DERIVED]
    with _snapshot(source) as src, target.begin() as dst:
        rows = {table.name: _copy_table(src, dst, table, chunk) for table in tables}
        for name in DERIVED:  # what the triggers marked while copying: all is computed again
            dst.execute(Base.metadata.tables[name].delete())
        if dst.dialect.name == "postgresql":
            _move_sequences(dst, tables)
        _check_counts(dst, rows)
    return Copied(revision, rows)


def _check_source(source: Engine, target: Engine, now: datetime) -> str:
    if _place(source) == _place(target):
        raise CopyError("copy_same_database")
    revision, head = migrate.current_revision(source), migrate.head_revision(source)
    if revision is None or revision != head:
        raise CopyError("copy_source_not_current", revision=revision or "base", head=head)
    with source.connect() as conn:
        present = set(inspect(conn).get_table_names()) - {VERSION_TABLE}
        worker = heartbeats.running(conn, now)
    unknown = sorted(present - set(Base.metadata.tables))
    if unknown:  # a table this code does not know would be left behind
        raise CopyError("copy_unknown_tables", tables=", ".join(unknown))
    if worker is not None:
        raise CopyError("copy_worker_running", worker=worker[0], seconds=worker[1])
    return revision


def _migrate(target: Engine) -> None:
    from alembic.util import CommandError  # with the migration, not at start-up

    try:
        migrate.upgrade(target)
    except CommandError as exc:  # a schema newer than this code's
        raise CopyError("copy_target_schema", target=_shown(target),
                        detail=str(exc).strip().splitlines()[0]) from None


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection reading one consistent state of ``engine``."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            conn.begin()
            conn.execute(text("SET TRANSACTION READ ONLY"))
        else:
            conn.begin()  # BEGIN IMMEDIATE (storage/db.py): no writer meanwhile
        try:
            yield conn
        finally:
            conn.rollback()


def _copy_table(src: Connection, dst: Connection, table: Table, chunk: int) -> int:
    copied = 0
    try:
        for rows in _chunks(src, table, chunk):
            dst.execute(table.insert(), rows)
            copied += len(rows)
    except DBAPIError as exc:
        raise CopyError("copy_failed", table=table.name,
                        detail=str(exc.orig).strip().splitlines()[0]) from None
    return copied


def _chunks(src: Connection, table: Table, size: int) -> Iterator[list[dict[str, Any]]]:
    """The table's rows in primary-key order, ``size`` at a time, as the models'
    types read them."""
    order = list(table.primary_key.columns) or list(table.columns)
    result = src.execution_options(yield_per=size).execute(select(table).order_by(*order))
    for part in result.partitions():
        yield [dict(row._mapping) for row in part]


def _move_sequences(dst: Connection, tables: Sequence[Table]) -> None:
    """Each serial id's sequence past the ids copied, so new rows do not collide."""
    quote = dst.dialect.identifier_preparer.quote
    for table in tables:
        for column in table.primary_key.columns:
            if isinstance(column.type, Integer):  # a column without one gets NULL: no-op
                dst.execute(text(
                    f"SELECT setval(pg_get_serial_sequence(:t, :c), "
                    f"COALESCE(MAX({quote(column.name)}), 0) + 1, false) "
                    f"FROM {quote(table.name)}"), {"t": table.name, "c": column.name})


def _check_counts(dst: Connection, rows: Mapping[str, int]) -> None:
    for name, expected in rows.items():
        found = dst.scalar(select(func.count()).select_from(Base.metadata.tables[name]))
        if found != expected:
            raise CopyError("copy_count_differs", table=name, expected=expected, found=found)


def _place(engine: Engine) -> str:
    """Where a database lives: its file, or its server and name."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        path = sqlite_file(url)
        return f"sqlite:{path.resolve() if path else ':memory:'}"
    return f"{url.get_backend_name()}://{url.host}:{url.port or 5432}/{url.database}"


def _shown(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)
