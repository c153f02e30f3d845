"""Which database URLs name a SQLite file (the write lock and the demo's emulator
state go beside it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.db import sqlite_file


@pytest.mark.parametrize(("url", "expected"), [
    ("sqlite:///var/wxops.db", Path("var/wxops.db")),
    ("sqlite:////srv/wxops/wxops.db", Path("/srv/wxops/wxops.db")),
    ("sqlite://", None),
    ("sqlite:///:memory:", None),
    ("postgresql+psycopg://postgres@127.0.0.1/test", None),
])
def test_sqlite_file(url: str, expected: Path | None) -> None:
    assert sqlite_file(url) == expected
