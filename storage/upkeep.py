"""The database's upkeep by the worker: SQLite's planner statistics.

SQLite chooses how to read a table from its statistics (``sqlite_stat1``),
and it has none until something runs ``ANALYZE``; PostgreSQL's autovacuum
gathers its own. Without them SQLite guessed, and guessed badly where it
matters most: it found 队列's unresolved tickets by their status, made each
one's line and sorted all of them for a page of fifteen (bench/scale.py: 4,000
tickets, 12-25 ms), instead of reading the queue's own index in its order
(0.9-1.3 ms once the statistics exist).

The statistics are gathered whole, a table at a time: SQLite's sampling
(``PRAGMA analysis_limit``) reads the first rows of each index, and for a
column of a few values, such as a ticket's status, saw one value only and
counted 401 tickets of a status that has 25,000, which kept the bad guess. At
bench/scale.py's size the whole database takes 180 ms, its largest table
about 100; each table's ANALYZE is its own write transaction, so a push waits
for one table at most. Once a day is enough: the shape of the data changes
slowly."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from storage.db import write_lock

#: How often the worker gathers SQLite's statistics afresh.
EVERY = timedelta(days=1)


def gather_statistics(engine: Engine) -> bool:
    """Gather SQLite's statistics afresh, a table at a time; nothing on
    PostgreSQL. Whether anything was gathered."""
    if engine.dialect.name != "sqlite":
        return False
    with engine.connect() as conn:
        tables = list(conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'"
        ).scalars())
    for table in tables:
        with write_lock(engine), engine.begin() as conn:
            conn.exec_driver_sql(f'ANALYZE "{table}"')
    return True
