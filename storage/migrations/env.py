"""Alembic environment: the engine comes from the caller (storage.migrate).

Several hosts may upgrade at once (each web host's unit runs `wxops db upgrade`
before it starts). On PostgreSQL the upgrade holds an advisory lock for its
transaction: the others wait for it, then find the schema at the revision
asked for and change nothing. (SQLite's writers are serialised by its own lock.)
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, text

from storage.migrate import UPGRADE_LOCK
from storage.models import Base

engine = context.config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise RuntimeError("run migrations through `wxops db upgrade` (storage.migrate)")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=engine.dialect.name == "sqlite",  # SQLite cannot ALTER most things
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK})
        context.run_migrations()
    connection.commit()
