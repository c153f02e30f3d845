"""`wxops texts`: an admin's version of an editable reply is kept, listed and
taken back, and what is kept is what the follower path reads."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine

from storage.texts import SqlTexts
from tests.integration.test_cli import run


def stored(engine_url: str, key: str) -> str | None:
    engine = create_engine(engine_url)
    try:
        with engine.connect() as conn:
            return SqlTexts(conn).override(key)
    finally:
        engine.dispose()


def test_a_text_is_set_listed_and_reset(engine_url: str, tmp_path: Path) -> None:
    env = {"WXOPS_DATABASE_URL": engine_url}
    assert run(["db", "upgrade"], tmp_path, **env).returncode == 0
    shipped = run(["texts", "list"], tmp_path, **env).stdout
    assert stored(engine_url, "welcome") is None

    body = "Welcome to the clinic account"
    changed = run(["texts", "set", "welcome", f"  {body}  "], tmp_path, **env)
    assert changed.returncode == 0, changed.stderr
    assert stored(engine_url, "welcome") == body  # kept stripped
    assert body in run(["texts", "list"], tmp_path, **env).stdout

    again = run(["texts", "set", "welcome", "A second version"], tmp_path, **env)
    assert again.returncode == 0 and stored(engine_url, "welcome") == "A second version"

    assert run(["texts", "reset", "welcome"], tmp_path, **env).returncode == 0
    assert stored(engine_url, "welcome") is None
    assert run(["texts", "list"], tmp_path, **env).stdout == shipped
