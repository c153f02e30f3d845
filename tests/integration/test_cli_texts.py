"""`wxops texts`: an admin's version of an editable reply is kept, listed and
taken back, and what is kept is what the follower path reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine

from storage.texts import SqlTexts
from tests.integration.clirun import Wxops


def stored(engine_url: str, key: str) -> str | None:
    engine = create_engine(engine_url)
    try:
        with engine.connect() as conn:
            return SqlTexts(conn).override(key)
    finally:
        engine.dispose()


def test_a_text_is_set_listed_and_reset(engine_url: str, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    wxops = Wxops(monkeypatch, capsys, tmp_path, WXOPS_DATABASE_URL=engine_url)
    assert wxops("db", "upgrade").status == 0
    shipped = wxops("texts", "list").out
    assert stored(engine_url, "welcome") is None

    body = "Welcome to the clinic account"
    changed = wxops("texts", "set", "welcome", f"  {body}  ")
    assert changed.status == 0, changed.err
    assert stored(engine_url, "welcome") == body  # kept stripped
    assert body in wxops("texts", "list").out

    again = wxops("texts", "set", "welcome", "A second version")
    assert again.status == 0 and stored(engine_url, "welcome") == "A second version"

    assert wxops("texts", "reset", "welcome").status == 0
    assert stored(engine_url, "welcome") is None
    assert wxops("texts", "list").out == shipped
