"""Migrations: from empty, down to nothing, and back up, on both engines."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from storage import migrate
from storage.db import make_engine
from storage.models import Base
from tests.integration.clirun import Wxops

TABLES = {t.name for t in Base.metadata.sorted_tables}


def test_upgrade_from_empty_creates_every_table(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    assert migrate.current_revision(engine) is None
    migrate.upgrade(engine)
    assert migrate.is_current(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES
    engine.dispose()


def test_downgrade_and_upgrade_round_trip(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    migrate.upgrade(engine)
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) - {"alembic_version"} == set()
    assert migrate.current_revision(engine) is None
    migrate.upgrade(engine)
    assert migrate.is_current(engine)
    engine.dispose()


# SQLite cannot reflect an expression index (ix_content_items_stripped_title), so
# there it is left out of the comparison, as these two warnings say; PostgreSQL
# compares it.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_models_and_migrations_agree(empty_database_url: str) -> None:
    """A model change without a migration fails here."""
    engine = make_engine(empty_database_url)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(ctx, Base.metadata)
    engine.dispose()
    assert diff == []


def test_the_replay_guard_keeps_its_pairs_across_0005(empty_database_url: str) -> None:
    """0005 rebuilds the guard table: pairs seen before the upgrade stay refused."""
    from datetime import UTC, datetime

    from sqlalchemy import text

    from storage import inbound

    engine = make_engine(empty_database_url)
    migrate.upgrade(engine, "0004")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO inbound_nonces (timestamp, nonce, body_hash, seen_at)"
                          " VALUES (1700000000, 'n1', 'body-a', :now)"),
                     {"now": datetime.now(UTC)})
    migrate.upgrade(engine)
    with engine.begin() as conn:
        assert inbound.nonce_is_fresh(conn, 1700000000, "n1", "body-a")  # a genuine retry
        assert not inbound.nonce_is_fresh(conn, 1700000000, "n1", "body-b")  # a forgery
    migrate.downgrade(engine, "0004")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT timestamp, nonce, body_hash FROM inbound_nonces"))
        assert [tuple(r) for r in rows] == [(1700000000, "n1", "body-a")]
    engine.dispose()


def test_0005_keeps_every_ticket_and_its_messages(empty_database_url: str) -> None:
    """Dropping reply_tickets.acknowledged must not rebuild the table: on SQLite a
    rebuild drops the old table, which cascades to the tickets' messages."""
    from datetime import UTC, datetime

    from sqlalchemy import text

    engine = make_engine(empty_database_url)
    migrate.upgrade(engine, "0004")
    now = datetime.now(UTC)
    with engine.begin() as conn:
        follower = conn.execute(text(
            "INSERT INTO followers (openid, subscribed, message_window_sent, event_window_sent)"
            " VALUES ('o1', true, 0, 0) RETURNING id")).scalar_one()
        ticket = conn.execute(text(
            "INSERT INTO reply_tickets (follower_id, status, priority, summary, acknowledged,"
            " opened_at, resolution, version) VALUES (:f, 'open', 0, 's', true, :now, '', 1)"
            " RETURNING id"), {"f": follower, "now": now}).scalar_one()
        conn.execute(text(
            "INSERT INTO ticket_messages (ticket_id, direction, kind, content, delivery,"
            " created_at) VALUES (:t, 'in', 'text', '你好', '', :now)"), {"t": ticket, "now": now})
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM reply_tickets")).scalar_one() == 1
        assert conn.execute(text("SELECT content FROM ticket_messages")).scalar_one() == "你好"
    migrate.downgrade(engine, "0004")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT acknowledged FROM reply_tickets")).scalar_one()
    engine.dispose()


def test_db_upgrade_says_what_it_did(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    engine = make_engine(url)
    head = migrate.head_revision(engine)
    engine.dispose()
    wxops = Wxops(monkeypatch, capsys, tmp_path, WXOPS_DATABASE_URL=url)
    first = wxops("db", "upgrade").out
    assert first.strip() == f"数据库已从版本 base 迁移到 {head}"
    again = wxops("db", "upgrade").out
    assert again.strip() == f"数据库已是版本 {head}，没有需要执行的迁移"
    down = wxops("db", "downgrade", "base").out
    assert down.strip() == f"数据库已从版本 {head} 迁移到 base"


def test_a_downgrade_of_a_database_holding_rows_needs_force(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`db downgrade base` dropped every table, rows and all, without a word."""
    url = f"sqlite:///{tmp_path / 'm.db'}"
    wxops = Wxops(monkeypatch, capsys, tmp_path, WXOPS_DATABASE_URL=url)
    assert wxops("db", "upgrade").status == 0
    assert wxops("rules", "add", "--contains", "donate", "--reply", "thanks").status == 0
    refused = wxops("db", "downgrade", "base")
    assert (refused.status, refused.code) == (1, "downgrade_holds_data")
    assert refused.err.startswith("wxops: 数据库里已有数据") and len(refused.err.splitlines()) == 1
    assert wxops("rules", "list").out.count("donate") == 1  # untouched
    assert wxops("db", "downgrade", "--force", "base").status == 0
    assert wxops("db", "current").out.startswith("当前 (空库)")


def test_0007_keeps_rows_in_flight_in_doubt(empty_database_url: str) -> None:
    """A row 'sending' under the old rule may have been in flight: after the upgrade
    recovery still parks it rather than resuming it as never attempted."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import text

    from storage import outbox

    engine = make_engine(empty_database_url)
    migrate.upgrade(engine, "0006")
    claimed = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO outbox (kind, payload, idempotency_key, status, attempts,"
            " next_attempt_at, claimed_by, claimed_at, last_error, created_at)"
            " VALUES ('cs_reply', '{}', 'k1', 'sending', 1, :t, 'old', :t, '', :t),"
            " ('cs_reply', '{}', 'k2', 'pending', 0, :t, '', NULL, '', :t)"), {"t": claimed})
    migrate.upgrade(engine)
    assert outbox.recover_stale(engine, claimed + timedelta(hours=1), timedelta(minutes=2)) \
        == (0, 1)
    with engine.connect() as conn:
        assert [r.status for r in outbox.listing(conn)] == ["pending", "dead"]
    migrate.downgrade(engine, "0006")
    engine.dispose()


def test_0009_tells_which_dead_rows_may_have_arrived(empty_database_url: str) -> None:
    """Before 0009 only a dead row's text said it was in doubt: the upgrade keeps
    such rows from being resent without --force, and dates every dead row."""
    from datetime import UTC, datetime

    from sqlalchemy import text

    from storage import outbox

    engine = make_engine(empty_database_url)
    migrate.upgrade(engine, "0008")
    claimed = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    old_texts = ["请求已发出，但没有收到微信的答复（超时或连接中断），无法确认是否已送达（502）",
                 "发送过程中断，无法确认是否已送达；请确认后用 wxops outbox retry 重发",
                 "对方超过 48 小时没有发消息，客服消息无法送达", ""]
    with engine.begin() as conn:
        for n, error in enumerate(old_texts):
            conn.execute(text(
                "INSERT INTO outbox (kind, payload, idempotency_key, status, attempts,"
                " next_attempt_at, claimed_by, claimed_at, last_error, created_at)"
                " VALUES ('cs_reply', '{}', :key, :status, 1, :t, 'w', :t, :error, :t)"),
                {"key": f"k{n}", "status": "dead" if error else "pending", "t": claimed,
                 "error": error})
    migrate.upgrade(engine)
    with engine.connect() as conn:
        rows = sorted(outbox.listing(conn), key=lambda r: r.id)
    assert [(r.in_doubt, r.dead_at) for r in rows] == [
        (True, claimed), (True, claimed), (False, claimed), (False, None)]
    migrate.downgrade(engine, "0008")
    engine.dispose()


def test_two_hosts_upgrading_at_once_both_succeed(empty_database_url: str) -> None:
    """Each web host's unit runs `wxops db upgrade` as it starts: two processes at
    once on one empty database both end well, and the schema is migrated once.
    (Processes, as hosts are: Alembic's context is one per process.)"""
    if not empty_database_url.startswith("postgresql"):
        pytest.skip("SQLite's writers queue on its own lock; the advisory lock is PostgreSQL's")
    env = {**os.environ, "WXOPS_DATABASE_URL": empty_database_url,
           "WXOPS_TEST_AT": str(time.time() + 5)}
    hosts = [subprocess.Popen([sys.executable, "-c", UPGRADE], env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
             for _ in range(2)]
    outputs = [host.communicate(timeout=120)[0] for host in hosts]
    assert [host.returncode for host in hosts] == [0, 0], outputs
    engine = make_engine(empty_database_url)
    try:
        assert migrate.current_revision(engine) == migrate.head_revision(engine)
        assert set(inspect(engine).get_table_names()) >= TABLES
    finally:
        engine.dispose()


#: `wxops db upgrade`'s work without the CLI's start-up, started as close together as
#: two processes can be: each waits until the same wall-clock instant.
UPGRADE = """
import os, time
from storage import migrate
from storage.db import make_engine
engine = make_engine(os.environ["WXOPS_DATABASE_URL"])
time.sleep(max(0.0, float(os.environ["WXOPS_TEST_AT"]) - time.time()))
migrate.upgrade(engine)
"""
