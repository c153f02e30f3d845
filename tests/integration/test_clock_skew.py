"""Hosts whose clocks disagree, on one PostgreSQL database: the worker reads the
time by the database server's clock (bot/clock.py), so a host 90 s ahead neither
takes a row another host has in flight for abandoned nor sends one early.

PostgreSQL only: a SQLite database is a file on one host, with that host's clock
(``server_now`` is None there, which tests/unit/test_clock.py covers)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from bot.clock import DatabaseClock
from storage import outbox
from storage.clock import server_now

LEASE = timedelta(seconds=5)
POSTGRES_ONLY = pytest.mark.parametrize("engine", ["postgresql"], indirect=True)


def host(engine: Engine, skew: float) -> DatabaseClock:
    """The clock of a worker on a host whose own clock is ``skew`` seconds off."""
    return DatabaseClock(lambda: server_now(engine),
                         local=lambda: datetime.now(UTC) + timedelta(seconds=skew))


def queue(engine: Engine, key: str, due: datetime) -> None:
    with engine.begin() as conn:
        outbox.add(conn, "cs_reply", {"text": key}, key, due, recipient="o_fan", due=due)


@POSTGRES_ONLY
def test_a_host_ahead_leaves_alone_what_a_host_behind_has_in_flight(engine: Engine) -> None:
    ahead, behind = host(engine, 90), host(engine, -90)
    assert abs(ahead() - behind()) < timedelta(seconds=1)
    queue(engine, "now", behind())
    [row] = outbox.claim_due(engine, "behind", behind())
    assert outbox.start_attempt(engine, row.id, "behind", behind())
    assert outbox.recover_stale(engine, ahead(), LEASE) == (0, 0)
    assert outbox.still_attempting(engine, row.id, "behind")
    # By its own clock the host ahead would have taken the row for abandoned
    # (and parked it as in doubt): what the database's clock prevents.
    skewed = datetime.now(UTC) + timedelta(seconds=90)
    assert outbox.recover_stale(engine, skewed, LEASE) == (0, 1)


@POSTGRES_ONLY
def test_a_host_ahead_sends_nothing_before_it_is_due(engine: Engine) -> None:
    ahead = host(engine, 90)
    queue(engine, "later", ahead() + timedelta(seconds=30))
    assert outbox.claim_due(engine, "ahead", ahead()) == []
    skewed = datetime.now(UTC) + timedelta(seconds=90)
    assert [r.idempotency_key for r in outbox.claim_due(engine, "ahead", skewed)] == ["later"]


@POSTGRES_ONLY
def test_the_server_clock_is_postgresql_s(engine: Engine) -> None:
    moment = server_now(engine)
    assert moment is not None and abs(moment - datetime.now(UTC)) < timedelta(seconds=2)
