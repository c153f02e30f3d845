"""Engines for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import fcntl
import itertools
import logging
import os
import signal
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

log = logging.getLogger("wxops.db")

SQLITE_BUSY_TIMEOUT_MS = 10_000
# A push writes about 7 pages to the WAL, and a checkpoint must sync them all
# before copying them back: with 2 KiB pages instead of SQLite's 4 KiB a push
# costs less CPU and much less waiting for the disk (docs/performance.md).
# It takes effect when a database is created; an existing one keeps its size.
SQLITE_PAGE_SIZE = 2048
# SQLite copies the WAL back into the database file (a checkpoint, with two
# fsyncs) inside the commit that takes the WAL past wal_autocheckpoint frames,
# so inside the write lock, where the other workers wait for it, and before
# the follower's reply. The inbound endpoint checkpoints every CHECKPOINT_EVERY
# pushes once the reply is sent instead; SQLite's own stays on, much later,
# as a backstop.
CHECKPOINT_EVERY = 100  # pushes a process handles between its checkpoints
BACKSTOP_AUTOCHECKPOINT = 10_000  # WAL frames (about 20 MB of 2 KiB pages)


class WriteLockBusy(Exception):
    """Another writer held the SQLite write lock for longer than this one could wait."""


class SqliteWriteLock:
    """Serialises SQLite writers across threads and processes with flock(2).

    SQLite lets only one writer in at a time anyway, but a waiting writer
    polls with sleeps of 1 to 100 ms; under load that sleeping, not the work,
    sets the latency. A blocking flock wakes the next writer at once. Each
    thread of each process holds its own descriptor: flock excludes between
    descriptors, not within one.

    ``within(seconds)`` bounds the wait (``WriteLockBusy`` after it): a push
    must be answered inside WeChat's 5 s even while another writer is stuck.
    """

    def __init__(self, database: str) -> None:
        self.path = f"{database}.writelock"
        self._local = threading.local()

    def _fd(self) -> int:
        local = self._local
        if getattr(local, "generation", None) != _fork_generation:
            local.fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
            local.generation = _fork_generation
        return int(local.fd)

    def __enter__(self) -> None:
        fcntl.flock(self._fd(), fcntl.LOCK_EX)

    def __exit__(self, *_exc: object) -> None:
        fcntl.flock(self._local.fd, fcntl.LOCK_UN)

    @contextmanager
    def within(self, seconds: float) -> Iterator[None]:
        fd = self._fd()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _wait_for_lock(fd, seconds)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def can_write(self, patience: float) -> bool:
        """Whether a writer gets the lock within ``patience`` seconds (it is given
        back at once): the lock changes hands all the time, but nobody keeps it."""
        try:
            with self.within(patience):
                return True
        except WriteLockBusy:
            return False


class _Expired(Exception):
    pass


def _expire(_signum: int, _frame: object) -> None:
    raise _Expired


def _wait_for_lock(fd: int, seconds: float) -> None:
    """Block on the lock for at most ``seconds``.

    In the main thread (a gunicorn sync worker) an interval timer interrupts a
    blocking flock, which still wakes the moment the lock is free; polling
    would add its sleep to every contended push. Elsewhere, poll.
    """
    if threading.current_thread() is not threading.main_thread():
        _poll_for_lock(fd, seconds)
        return
    previous = signal.signal(signal.SIGALRM, _expire)
    try:
        signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
        fcntl.flock(fd, fcntl.LOCK_EX)
        _disarm(previous)
    except _Expired:
        # The alarm may have come just after the lock was granted: let it go.
        _disarm(previous)
        fcntl.flock(fd, fcntl.LOCK_UN)
        raise WriteLockBusy(f"the SQLite write lock stayed taken for {seconds:.1f} s") from None


def _disarm(previous: Any) -> None:
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


def _poll_for_lock(fd: int, seconds: float) -> None:
    deadline, pause = time.monotonic() + seconds, 0.0005
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise WriteLockBusy(
                    f"the SQLite write lock stayed taken for {seconds:.1f} s") from None
            time.sleep(pause)
            pause = min(pause * 2, 0.01)


# A forked child (a gunicorn worker) opens its own descriptors: one inherited
# from the parent shares the parent's lock. Counting forks costs nothing per
# push, where comparing process ids took a system call each time.
_fork_generation = 0


def _forked() -> None:
    global _fork_generation
    _fork_generation += 1


os.register_at_fork(after_in_child=_forked)

_WRITE_LOCKS: dict[int, SqliteWriteLock] = {}


def write_lock(engine: Engine, within: float | None = None) -> AbstractContextManager[None]:
    """Hold around a write transaction: a real lock on SQLite files, nothing elsewhere.
    ``within``: wait at most that many seconds, then raise ``WriteLockBusy``."""
    lock = _WRITE_LOCKS.get(id(engine))
    if lock is None:
        return nullcontext()
    return lock if within is None else lock.within(within)


def writes_flow(engine: Engine, patience: float = 0.5) -> bool:
    """False while another writer keeps a SQLite file's write lock for longer than
    ``patience`` seconds; True elsewhere."""
    lock = _WRITE_LOCKS.get(id(engine))
    return lock is None or lock.can_write(patience)


#: SQLSTATE classes (PostgreSQL) of faults that pass: asking again can succeed
#: with nothing changed. 08 connection, 40 serialisation or deadlock, 53 out of
#: resources, 57 a cancelled statement (statement_timeout) or a server shutting
#: down, 55P03 a lock_timeout.
_PASSING_SQLSTATES = ("08", "40", "53", "57", "55P03")
#: SQLite's result codes for the same: another writer has the database.
_PASSING_SQLITE = frozenset({"SQLITE_BUSY", "SQLITE_LOCKED"})


def transient(error: BaseException) -> bool:
    """Whether a database error passes (a busy, slow or restarted database) rather
    than saying something is wrong with the statement, the data or the schema."""
    if isinstance(error, WriteLockBusy):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    original = error.orig
    sqlstate = getattr(original, "sqlstate", None)
    if isinstance(sqlstate, str):
        return sqlstate.startswith(_PASSING_SQLSTATES)
    if isinstance(original, sqlite3.Error):
        return getattr(original, "sqlite_errorname", "") in _PASSING_SQLITE \
            or "database is locked" in str(original)
    # No SQLSTATE: no server answered (psycopg's connection refused, reset or lost),
    # as when PostgreSQL restarts or the network to it goes away.
    return isinstance(error, OperationalError) and hasattr(original, "sqlstate")


def describe(error: BaseException) -> str:
    """One line on what went wrong, without the statement and its parameters (a
    follower's message is among them)."""
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    first = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    return f"{type(cause).__name__}: {first}"[:500]


def _refuse_to_make(engine: Engine, database: Path) -> None:
    """Connections to ``database`` fail while the file is not there (sqlite3 would
    make an empty one)."""

    @event.listens_for(engine, "do_connect")
    def _there(*_args: Any) -> None:
        if not database.exists():
            raise sqlite3.OperationalError(f"{NO_FILE} {database}")


def sqlite_file(url: str | URL) -> Path | None:
    """The file of a SQLite URL; None for another engine or an in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


#: What a connection to a SQLite file that is not there fails with, where the
#: engine may not make one (``make_engine(create=False)``).
NO_FILE = "no database file at"


def missing_file(error: BaseException) -> str | None:
    """The path of the SQLite file a connection found not there (``NO_FILE``), or
    None for any other error."""
    first = str(getattr(error, "orig", error)).strip()
    return first.removeprefix(NO_FILE).strip() if first.startswith(NO_FILE) else None


def make_engine(url: str, create: bool = True, **kwargs: Any) -> Engine:
    """An engine tuned for its database: WAL and write locks on SQLite.

    On SQLite, ``create`` makes the file (and its folder) at the first
    connection, as ``wxops db upgrade`` must; without it, a connection to a file
    that is not there fails as the database's own errors do (an
    ``OperationalError`` saying ``NO_FILE`` and the path), and nothing is made:
    a mistyped ``WXOPS_DATABASE_URL`` leaves no empty database behind."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, sqlite_file(parsed), create, **kwargs)
    return create_engine(url, pool_pre_ping=True, future=True, **kwargs)


def _sqlite_engine(url: str, database: Path | None, create: bool, **kwargs: Any) -> Engine:
    if database is not None and create:
        database.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
    )
    if database is not None and not create:
        _refuse_to_make(engine, database)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")  # before WAL: a no-op after
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # BEGIN IMMEDIATE takes the write lock up front. A deferred transaction
        # that reads and then writes can fail with SQLITE_BUSY when another
        # writer committed in between, which no busy timeout can wait out.
        # Sent on the DBAPI connection: it runs on every push, and SQLAlchemy's
        # statement machinery would cost more than the statement.
        try:
            conn.connection.dbapi_connection.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise DBAPIError.instance("BEGIN IMMEDIATE", None, exc, sqlite3.Error) from exc

    if database is not None:
        _WRITE_LOCKS[id(engine)] = SqliteWriteLock(str(database))
    return engine


class KeptConnections:
    """Connections kept open between pushes, for the inbound endpoint.

    On a SQLite file their commits leave the WAL checkpoint to the endpoint:
    ``checkpoint_due`` says when (every ``CHECKPOINT_EVERY`` pushes), and
    ``checkpoint`` does it (PASSIVE: it waits for nobody), outside the write lock.

    Taking a connection from SQLAlchemy's pool and giving it back costs about a
    sixth of a push on SQLite (pool events, the reset, a new ``Connection``).
    The endpoint keeps the connections it used instead, one per request in
    flight, and takes one again for the next push. A connection that saw any
    error is closed, not kept: the next push gets a fresh one from the pool,
    which checks it before use.

    Kept connections are not checked before use, so one the server dropped
    (a PostgreSQL restart) fails on its first statement with
    ``connection_invalidated`` set; the caller retries on a fresh connection.

    ``wait`` bounds, in seconds, how long a statement on these connections may
    wait for another writer (SQLite's busy timeout) or run at all
    (PostgreSQL's statement_timeout): a push is answered within WeChat's 5 s.
    """

    def __init__(self, engine: Engine, wait: float | None = None) -> None:
        self.engine, self.wait = engine, wait
        self._idle: list[Connection] = []  # list.pop and append are atomic
        self._finalizer = weakref.finalize(self, _close_all, self._idle)
        self._sqlite_file = id(engine) in _WRITE_LOCKS
        self._uses = itertools.count(1)  # next() is atomic

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        try:
            conn = self._idle.pop()
        except IndexError:
            conn = self._connect()
        try:
            yield conn
        except BaseException as error:
            _discard(conn, error)
            raise
        self._idle.append(conn)

    def checkpoint_due(self) -> bool:
        """Counts a push; True for every ``CHECKPOINT_EVERY``-th on a SQLite file."""
        return self._sqlite_file and next(self._uses) % CHECKPOINT_EVERY == 0

    def checkpoint(self) -> None:
        """Copy the WAL into the database file as far as no reader needs it."""
        with self.connection() as conn:
            _checkpoint(conn)

    def _connect(self) -> Connection:
        conn = self.engine.connect()
        if conn.dialect.name == "sqlite":  # on the driver: through SQLAlchemy it would begin
            driver = _driver(conn)
            if self._sqlite_file:
                driver.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_AUTOCHECKPOINT}")
            if self.wait is not None:
                driver.execute(f"PRAGMA busy_timeout={int(self.wait * 1000)}")
        elif self.wait is not None and conn.dialect.name == "postgresql":
            # Session settings, committed: a rolled-back SET would be undone.
            milliseconds = int(self.wait * 1000)
            conn.exec_driver_sql(f"SET statement_timeout = {milliseconds}")
            conn.exec_driver_sql(f"SET lock_timeout = {milliseconds}")
            conn.commit()
        return conn

    def close(self) -> None:
        """Give every kept connection back to the pool."""
        self._finalizer()


def _driver(conn: Connection) -> sqlite3.Connection:
    driver = conn.connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)
    return driver


def _checkpoint(conn: Connection) -> None:
    """The pushes are committed already: a checkpoint that fails is logged, and
    the next one, or SQLite's backstop, does the work."""
    try:
        _driver(conn).execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    except sqlite3.Error as exc:
        log.warning("WAL checkpoint failed: %s", exc)


def _discard(conn: Connection, error: BaseException) -> None:
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        conn.invalidate()  # the server is gone: do not try to roll back on it
    try:
        conn.close()
    except SQLAlchemyError:
        conn.invalidate()


def _close_all(idle: list[Connection]) -> None:
    while idle:
        idle.pop().close()
