"""Driver-level statements queued on the sender's write connection
(``storage.raw.Raw.queueing``, psycopg's pipeline mode on PostgreSQL; nothing
changes on SQLite): what is queued is written, in order, with the commit or
before the next statement that needs an answer, including one SQLAlchemy makes."""

from __future__ import annotations

import gc
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError

from storage import followers, outbox
from storage.batch import BatchConnections
from storage.models import Follower
from storage.raw import Raw
from workflow.window import Counter

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def sent_count(engine: Engine, openid: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(Follower.message_window_sent)
                                .where(Follower.openid == openid)).scalar_one())


def test_queued_writes_reach_sqlalchemy_and_the_commit(engine: Engine) -> None:
    with engine.begin() as conn:
        followers.touch(conn, "o_fan", NOW, "message")
    kept = BatchConnections(engine)
    try:
        with kept.writing() as conn:
            assert Raw.of(conn).queued == (engine.dialect.name == "postgresql")
            followers.count_send(conn, "o_fan", Counter.MESSAGE)  # queued
            # SQLAlchemy's own statement sees it: the queue is sent first.
            assert conn.execute(select(Follower.message_window_sent)
                                .where(Follower.openid == "o_fan")).scalar_one() == 1
            assert not Raw.of(conn).queued  # out of pipeline mode for it
            followers.count_send(conn, "o_fan", Counter.MESSAGE)
            interactions = followers.interactions(conn, "o_fan")  # an answer: sent now
            assert interactions is not None and interactions.message_sent == 2
        with kept.writing() as conn:  # the next transaction queues again
            assert Raw.of(conn).queued == (engine.dialect.name == "postgresql")
            followers.count_send(conn, "o_fan", Counter.MESSAGE)
        assert sent_count(engine, "o_fan") == 3
    finally:
        kept.close()
    with engine.connect() as conn:  # the connection went back to the pool as it came
        assert not Raw.of(conn).queued
        assert conn.execute(select(Follower.openid)).scalars().all() == ["o_fan"]


def test_a_marker_queued_is_answered_once_committed(engine: Engine) -> None:
    with engine.begin() as conn:
        row_id = outbox.add(conn, "cs_reply", {"openid": "o_fan"}, "k1", NOW)
    assert row_id is not None
    [claimed] = outbox.claim_due(engine, "w1", NOW)
    kept = BatchConnections(engine)
    try:
        with kept.writing() as conn:
            mine = outbox.began(conn, claimed.id, "w1", NOW)
            theirs = outbox.began(conn, claimed.id, "w2", NOW)  # not w2's claim
        assert (mine(), theirs()) == (True, False)
        with kept.writing() as conn:
            again = outbox.began(conn, claimed.id, "w1", NOW)  # started already
        assert again() is False
    finally:
        kept.close()


def test_a_connection_lost_while_queueing_is_dropped_quietly(
        engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    """The write connection's server end goes away mid-transaction: the error
    reaches the caller, the next transaction gets a fresh connection, and the
    dead pipeline is not left to log its end later (at the process's exit)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("pipeline mode and a server to lose are PostgreSQL's")
    with engine.begin() as conn:
        followers.touch(conn, "o_fan", NOW, "message")
    kept = BatchConnections(engine)
    try:
        with kept.writing() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(DBAPIError), kept.writing() as conn:
            followers.count_send(conn, "o_fan", Counter.MESSAGE)
        with kept.writing() as conn:
            followers.count_send(conn, "o_fan", Counter.MESSAGE)
    finally:
        kept.close()
    gc.collect()
    assert sent_count(engine, "o_fan") == 1
    assert not [r for r in caplog.records if r.name.startswith("psycopg")]
