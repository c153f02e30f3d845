"""The connections an outbox sender keeps for one batch (``storage.outbox``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Connection, Engine

from storage.raw import Raw

T = TypeVar("T")


class BatchConnections:
    """The connections a sender keeps for one batch: one for its reads (the row
    still its own, the follower's window, ...), one for its commits.

    Taking a connection from the pool costs a round trip (its ping) and some
    CPU; a batch makes a commit and a few reads a row. On PostgreSQL the read
    connection is in autocommit: a read is one round trip instead of three
    (BEGIN, the query, ROLLBACK). Elsewhere each read is its own transaction,
    as before. No transaction stays open between statements' uses (nor during a
    platform call). A connection that saw an error is dropped; the next use
    takes a fresh one from the pool, which checks it.

    On PostgreSQL the commits' driver-level statements are queued
    (``Raw.queueing``): those that need no answer go with the next that does,
    or with the COMMIT, so a row's commit is three round trips (BEGIN; the
    statements up to the outcome's; the rest with the COMMIT) instead of one a
    statement. The write connection leaves pipeline mode before it goes back
    to the pool."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._reader: Connection | None = None
        self._writer: Connection | None = None

    def ask(self, query: Callable[[Connection], T]) -> T:
        conn = self._reader or self._connect_reader()
        try:
            answer = query(conn)
            conn.rollback()
        except BaseException:
            self._reader = None
            conn.close()
            raise
        return answer

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A transaction on the kept write connection (the caller holds the
        write lock)."""
        conn = self._writer or self.engine.connect()
        self._writer = conn
        try:
            with conn.begin():
                Raw.of(conn).queueing(conn)
                yield conn
        except BaseException:
            self._writer = None
            if conn.dialect.name == "postgresql":
                conn.invalidate()  # its pipeline may be in any state: not for the pool
            conn.close()
            raise

    def close(self) -> None:
        reader, writer = self._reader, self._writer
        self._reader = self._writer = None
        if writer is not None:
            try:
                Raw.of(writer).unqueued()  # every commit was answered: nothing is pending
            except Exception:  # the connection itself failed: not for the pool
                writer.invalidate()
        for conn in (reader, writer):
            if conn is not None:
                conn.close()

    def _connect_reader(self) -> Connection:
        conn = self.engine.connect()
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        self._reader = conn
        return conn
