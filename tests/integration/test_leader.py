"""The scheduler leader lock: one holder, and a holder that lost the lock knows it.

The fault on PostgreSQL is the lock's session ending under the worker (a
restart, a failover, an administrator's pg_terminate_backend); on SQLite, the
lock file beside the database removed or replaced while it is held.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, text

from storage.db import make_engine
from storage.leader import LeaderLock

NAME = "test-leader"

# Session advisory locks on a bigint key held by other sessions of this database.
HOLDERS = text("""
    SELECT pid FROM pg_locks
    WHERE locktype = 'advisory' AND objsubid = 1 AND granted AND pid <> pg_backend_pid()
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
    ORDER BY pid""")


def holders(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(HOLDERS).scalars())


def lock_file(engine: Engine) -> str:
    return f"{engine.url.database}.{NAME}.lock"


def cut(engine: Engine) -> None:
    """Take the lock away from under its holder, as the outside world can."""
    if engine.dialect.name != "postgresql":
        os.remove(lock_file(engine))
        return
    pids = holders(engine)
    assert pids, "nobody holds the lock"
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM unnest(CAST(:p AS int[])) pid"),
                     {"p": pids})
    deadline = time.monotonic() + 10
    while set(pids) & set(holders(engine)):  # the backend exits a moment after the signal
        assert time.monotonic() < deadline, "the terminated backend still holds the lock"
        time.sleep(0.05)


Locks = Callable[[], LeaderLock]


@pytest.fixture
def locks(engine: Engine) -> Iterator[Locks]:
    """Locks on the test database, released whatever the test did to them: a lock
    left held would make the next test on the shared PostgreSQL database fail."""
    made: list[LeaderLock] = []

    def make() -> LeaderLock:
        made.append(LeaderLock(engine, NAME))
        return made[-1]

    yield make
    for lock in made:
        lock.release()
    engine.dispose()


def test_one_scheduler_leader_at_a_time(locks: Locks) -> None:
    first, second = locks(), locks()
    assert first.try_acquire() and first.try_acquire()
    assert not second.try_acquire()
    first.release()
    assert second.try_acquire()


def test_a_leader_that_lost_the_lock_stops_leading_and_another_takes_over(
        engine: Engine, locks: Locks) -> None:
    old, new = locks(), locks()
    assert old.try_acquire()
    cut(engine)
    assert new.try_acquire()
    assert not old.try_acquire()  # before its next job: not the leader any more
    assert not old.try_acquire()
    assert new.try_acquire()
    if engine.dialect.name == "postgresql":
        assert len(holders(engine)) == 1


def test_a_leader_that_lost_the_lock_takes_it_again_when_it_is_free(
        engine: Engine, locks: Locks) -> None:
    leader, other = locks(), locks()
    assert leader.try_acquire()
    before = holders(engine) if engine.dialect.name == "postgresql" else []
    cut(engine)
    assert leader.try_acquire()  # on a fresh connection, or a fresh lock file
    assert not other.try_acquire()
    if engine.dialect.name == "postgresql":
        after = holders(engine)
        assert len(after) == 1 and after != before
    else:
        assert os.path.exists(lock_file(engine))
    leader.release()
    assert other.try_acquire()


def test_a_leader_whose_lock_was_cut_releases_it_without_an_error(
        engine: Engine, locks: Locks) -> None:
    leader, other = locks(), locks()
    assert leader.try_acquire()
    cut(engine)
    leader.release()  # what a worker does when it stops: it must still exit cleanly
    assert other.try_acquire()


def test_an_unreachable_database_means_not_the_leader_rather_than_an_error() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{port}/wxops")
    lock = LeaderLock(engine, NAME)
    assert not lock.try_acquire()
    lock.release()
    engine.dispose()
