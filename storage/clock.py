"""The database server's clock: the one clock all the hosts of a deployment share."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, text


def server_now(engine: Engine) -> datetime | None:
    """Now by PostgreSQL's clock (``clock_timestamp()``, not the transaction's
    start), or None on SQLite: a file on this host, whose clock is this host's."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        moment: datetime = conn.execute(text("SELECT clock_timestamp()")).scalar_one()
    return moment
