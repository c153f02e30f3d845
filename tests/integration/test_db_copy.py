"""`wxops db copy --to URL`: a team on SQLite moves to PostgreSQL (and back)
with every row, wxops goes on working on the copy, and a copy that cannot be
whole leaves the target as it was."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select, text

from bench.scale_data import fill
from storage import heartbeats, migrate, upkeep
from storage.db import make_engine
from storage.models import DERIVED, AutoReplyRule, Base
from storage.uow import SqlUnitOfWork
from tests.conftest import PgServer
from tests.integration.clirun import Wxops
from tests.integration.test_backup import rows
from workflow import recheck

TZ = ZoneInfo("Asia/Shanghai")
TODAY = date.today() + timedelta(days=400)  # every filled article due by then


@pytest.fixture
def other_url(engine_url: str, request: pytest.FixtureRequest, tmp_path: Path
              ) -> Iterator[str]:
    """An empty database of the other engine than ``engine_url``."""
    if engine_url.startswith("sqlite"):
        server: PgServer = request.getfixturevalue("pg_server")
        yield from server.lend()
        return
    yield f"sqlite:///{tmp_path / 'copy' / 'wxops.db'}"


@pytest.fixture
def cli(engine_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> Wxops:
    """`wxops` on a migrated database holding two months of a small account."""
    cli = Wxops(monkeypatch, capsys, tmp_path, WXOPS_DATABASE_URL=engine_url)
    assert cli("db", "upgrade").status == 0
    with engaged(engine_url) as engine:
        fill(engine, date.today(), items=60, published=30, tickets=120, messages=600,
             followers=80, days=60)
    assert cli("staff", "invite", "--role", "admin").status == 0
    assert cli("rules", "add", "--contains", "donate", "--reply", "thanks").status == 0
    return cli


@contextmanager
def engaged(url: str) -> Iterator[Engine]:
    """An engine for ``url``, disposed of on leaving."""
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def test_every_row_moves_to_the_other_engine_and_wxops_works_there(
        cli: Wxops, engine_url: str, other_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with engaged(engine_url) as engine:  # the source has re-check dates kept
        due = recheck.due_today(SqlUnitOfWork(engine), recheck.DEFAULT_INTERVALS, TZ, TODAY)
        upkeep.gather_statistics(engine)  # and, on SQLite, the worker's statistics: not data
    copied = cli("db", "copy", "--to", other_url)
    assert copied.status == 0, copied.err
    before, after = rows(engine_url), rows(other_url)
    assert {t: r for t, r in before.items() if t not in DERIVED} == \
        {t: r for t, r in after.items() if t not in DERIVED}
    assert before["recheck_dates"] and not any(after[t] for t in DERIVED)
    with engaged(other_url) as engine:  # computed there again, alike
        assert recheck.due_today(SqlUnitOfWork(engine), recheck.DEFAULT_INTERVALS, TZ,
                                 TODAY) == due != []
    assert all(before[t] for t in ("staff", "followers", "inbound_messages", "reply_tickets",
                                   "ticket_messages", "content_items", "revisions",
                                   "audit_log", "article_metrics", "auto_reply_rules"))

    monkeypatch.setenv("WXOPS_DATABASE_URL", other_url)
    assert cli("db", "current").status == 0
    added = cli("rules", "add", "--contains", "volunteer", "--reply", "welcome")
    assert added.status == 0, added.err  # new ids come after the copied ones
    with engaged(other_url) as engine, engine.connect() as conn:
        ids = conn.scalars(select(AutoReplyRule.id).order_by(AutoReplyRule.id)).all()
    assert len(ids) == len(set(ids)) == len(before["auto_reply_rules"]) + 1

    again = cli("db", "copy", "--to", engine_url)  # the target now holds data
    assert (again.status, again.code) == (1, "copy_target_holds_data")


@pytest.mark.parametrize("engine_url", ["sqlite"], indirect=True)
def test_a_row_postgresql_refuses_leaves_the_target_empty(
        cli: Wxops, engine_url: str, other_url: str) -> None:
    """SQLite keeps a NUL inside text; PostgreSQL refuses it. The copy stops at
    that table and undoes everything it wrote."""
    with engaged(engine_url) as engine, engine.begin() as conn:
        conn.execute(text("UPDATE auto_reply_rules SET reply_text = 'a' || char(0) || 'b'"))
    refused = cli("db", "copy", "--to", other_url)
    assert (refused.status, refused.code) == (1, "copy_failed")
    assert refused.data["table"] == "auto_reply_rules"
    with engaged(other_url) as engine, engine.connect() as conn:
        assert migrate.current_revision(engine) == migrate.head_revision(engine)
        assert all(conn.scalar(select(func.count()).select_from(t)) == 0
                   for t in Base.metadata.sorted_tables)


@pytest.mark.parametrize("engine_url", ["sqlite"], indirect=True)
def test_what_would_lose_rows_is_refused_before_anything_is_written(
        cli: Wxops, engine_url: str, tmp_path: Path) -> None:
    target = f"sqlite:///{tmp_path / 'target.db'}"
    assert cli("db", "copy", "--to", engine_url).code == "copy_same_database"
    same_file = f"sqlite:///{tmp_path / '.' / 'cli.db'}"
    assert cli("db", "copy", "--to", same_file).code == "copy_same_database"
    assert cli("db", "copy", "--to", "nosuchengine://x").code == "copy_bad_url"
    no_driver = cli("db", "copy", "--to", "postgresql://wxops:secret@db/wxops")  # psycopg2
    assert (no_driver.status, no_driver.code) == (1, "copy_no_driver"), no_driver.err
    assert "secret" not in no_driver.err and "postgresql+psycopg://" in no_driver.err

    with engaged(engine_url) as engine:
        with engine.begin() as conn:  # a worker that beat a moment ago
            heartbeats.beat(conn, "host:1", datetime.now(UTC))
        assert cli("db", "copy", "--to", target).code == "copy_worker_running"
        with engine.begin() as conn:
            heartbeats.stopped(conn, "host:1")
            conn.execute(text("CREATE TABLE notes_of_our_own (id INTEGER PRIMARY KEY)"))
        assert cli("db", "copy", "--to", target).code == "copy_unknown_tables"
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE notes_of_our_own"))
        migrate.downgrade(engine, "-1")
        behind = cli("db", "copy", "--to", target)
        assert (behind.code, behind.data["head"]) == ("copy_source_not_current",
                                                      migrate.head_revision(engine))
    assert not (tmp_path / "target.db").exists()


@pytest.mark.parametrize("engine_url", ["sqlite"], indirect=True)
def test_a_target_that_drops_rows_unseen_is_caught_by_the_count(
        cli: Wxops, engine_url: str, other_url: str) -> None:
    """A target that takes a row without keeping it (a trigger of someone's own)
    gives no error: the rows counted after the copy tell, and nothing is kept."""
    with engaged(other_url) as engine:
        migrate.upgrade(engine)
        with engine.begin() as conn:
            conn.execute(text("CREATE FUNCTION wxops_test_drop() RETURNS trigger "
                              "LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$"))
            conn.execute(text("CREATE TRIGGER wxops_test_drop BEFORE INSERT ON "
                              "auto_reply_rules FOR EACH ROW EXECUTE FUNCTION wxops_test_drop()"))
    refused = cli("db", "copy", "--to", other_url)
    assert (refused.status, refused.code) == (1, "copy_count_differs")
    assert (refused.data["table"], refused.data["found"]) == ("auto_reply_rules", 0)
    assert refused.data["expected"] == len(rows(engine_url)["auto_reply_rules"])
    with engaged(other_url) as engine, engine.connect() as conn:
        assert all(conn.scalar(select(func.count()).select_from(t)) == 0
                   for t in Base.metadata.sorted_tables)


@pytest.mark.parametrize("engine_url", ["sqlite"], indirect=True)
def test_a_server_that_does_not_answer_is_named_before_anything_is_read(
        engine_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    cli = Wxops(monkeypatch, capsys, tmp_path, WXOPS_DATABASE_URL=engine_url)
    assert cli("db", "upgrade").status == 0
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    refused = cli("db", "copy", "--to", f"postgresql+psycopg://postgres@127.0.0.1:{port}/x")
    assert (refused.status, refused.code) == (1, "copy_unreachable")
