"""Plans made for the values a read runs with."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def custom_plans(session: Session) -> None:
    """Plan this transaction's statements for their values, every time.

    psycopg prepares a statement on its fifth run, and PostgreSQL may then
    plan it once for any values (a generic plan). Some reads' best plans hang
    on their values: the re-checks pass thousands of ids as one array, a date
    two years back, a list of quoted titles; planned blind, they read whole
    tables (bench/scale.py: 18 ms instead of 2.6 for the comments, 43 instead
    of 2.8 for the quoted titles). Planning each run costs a fraction of a
    millisecond. Until the transaction ends; nothing on SQLite. Said once a
    transaction (or savepoint): 统计 asked twice, a round trip each."""
    if session.get_bind().dialect.name != "postgresql":
        return
    conn = session.connection()
    current = conn.get_nested_transaction() or conn.get_transaction()
    if current is not None and session.info.get(_SAID) is current:
        return
    session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    session.info[_SAID] = current


#: Where a session keeps the transaction it last set the plans for.
_SAID = "custom_plans_in"
