"""How wxops sets up a SQLite file: WAL, and 2 KiB pages for a new database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from storage import migrate
from storage.db import make_engine


def _pragma(path: Path, name: str) -> object:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]


def test_a_new_database_gets_small_pages_and_the_wal(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    assert _pragma(path, "page_size") == 2048  # SQLite's own default is 4096
    assert _pragma(path, "journal_mode") == "wal"


def test_an_existing_database_keeps_its_page_size(tmp_path: Path) -> None:
    """Created before the change (SQLite's 4 KiB): upgraded and used as it is."""
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA page_size=4096")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE kept (id INTEGER PRIMARY KEY)")
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    assert _pragma(path, "page_size") == 4096
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM inbound_messages").fetchone() == (0,)
