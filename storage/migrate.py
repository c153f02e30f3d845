"""Alembic, driven from code: ``wxops db upgrade`` and the tests call these.

Alembic is imported when a migration function runs, not with this module:
every ``wxops`` command imports the wiring that imports this module, and
alembic would add about a sixth to their start-up for the few that migrate.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"  # Alembic's default, which the migrations keep
#: The PostgreSQL advisory lock an upgrade holds (storage/migrations/env.py): the
#: first 7 bytes of SHA-1("wxops db upgrade"), apart from the leader's and the token's.
UPGRADE_LOCK = int.from_bytes(hashlib.sha1(b"wxops db upgrade").digest()[:7], "big")


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    """The database's revision; None for a database never migrated. Read from
    Alembic's version table directly: its MigrationContext logs two INFO lines a
    call, and /healthz asks on every probe."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return None
        revision = conn.scalar(text(f"SELECT version_num FROM {VERSION_TABLE}"))
    return None if revision is None else str(revision)


def head_revision(engine: Engine) -> str | None:
    return known_revisions(engine)[0]


def known_revisions(engine: Engine) -> tuple[str | None, frozenset[str]]:
    """This code's head revision, and every revision its migrations know."""
    # Importing alembic logs a line per plugin at INFO, which the web process shows.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(engine))
    return script.get_current_head(), frozenset(r.revision for r in script.walk_revisions())


def is_current(engine: Engine) -> bool:
    return current_revision(engine) == head_revision(engine)
