"""The endpoint's kept connections: reused after a clean push, dropped after an error."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from storage.db import KeptConnections


def test_a_connection_is_kept_and_handed_out_again(engine: Engine) -> None:
    kept = KeptConnections(engine)
    with kept.connection() as first:
        first.execute(text("SELECT 1")).scalar()
        first.rollback()
    with kept.connection() as again:
        assert again is first and not again.closed
    kept.close()
    assert first.closed


def test_concurrent_users_get_their_own_connections(engine: Engine) -> None:
    kept = KeptConnections(engine)
    with kept.connection() as one, kept.connection() as other:
        assert one is not other
    with kept.connection() as a, kept.connection() as b:
        assert {a, b} == {one, other}  # both kept, both handed out again
    kept.close()


def test_a_connection_that_saw_an_error_is_closed_not_kept(engine: Engine) -> None:
    kept = KeptConnections(engine)
    with pytest.raises(SQLAlchemyError), kept.connection() as broken, broken.begin():
        broken.execute(text("SELECT * FROM no_such_table"))
    assert broken.closed
    with kept.connection() as fresh:
        assert fresh is not broken
        assert fresh.execute(text("SELECT 1")).scalar() == 1
        fresh.rollback()
    kept.close()


def test_kept_connections_go_back_to_the_pool_when_the_holder_goes(engine: Engine) -> None:
    kept = KeptConnections(engine)
    with kept.connection() as conn:
        conn.rollback()
    del kept  # as when a test's endpoint is dropped
    assert conn.closed
