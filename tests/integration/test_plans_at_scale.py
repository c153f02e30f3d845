"""The reads that must stay fast at scale find their rows by index on PostgreSQL.

队列, 查看 N, 统计 30天, the worker's due-publish scan and 复查 run through the
code wxops runs for them (bench/scale_ops.py) on an account filled by the
scale generator (bench/scale_data.py) at a few per cent of the benchmark's
size, and every SELECT they send is recorded with its values and explained
(``EXPLAIN (FORMAT JSON)``) with sequential scans, hash and merge joins
priced out: a big table still read whole (a Seq Scan, or an index walked
end to end) has no index to find its rows by, and that read grows with the
account. At a few per cent of the size the planner would rightly read small
tables whole, so this checks that an indexed way exists for every read; that
the planner takes it at full size, and how fast, is bench/scale.py's
(docs/performance.md, "Data at scale").
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from bench import scale_ops
from bench.scale_data import Filled, fill, local_today
from storage import migrate
from storage.db import make_engine
from tests.conftest import PgServer

#: The tables that grow with the account (inbound messages, tickets, items...).
BIG = frozenset({"inbound_messages", "ticket_messages", "reply_tickets", "content_items",
                 "audit_log", "article_metrics", "revisions", "reviews", "followers"})


@pytest.fixture(scope="module")
def account(pg_server: PgServer) -> Iterator[tuple[Engine, Filled]]:
    engine = make_engine(pg_server.create())
    migrate.upgrade(engine)
    filled = fill(engine, local_today(), items=400, published=200, tickets=4000,
                  messages=40_000, followers=4000)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    yield engine, filled
    engine.dispose()


_INDEXED = ("Index Scan", "Index Only Scan", "Bitmap Index Scan")
#: Each index: its table, and whether it is partial (holds only what it is for).
_INDEXES = ("SELECT c.relname, t.relname, i.indpred IS NOT NULL FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid")


def _whole(node: dict[str, Any], indexes: dict[str, tuple[str, bool]]) -> Iterator[str]:
    """The big tables a plan reads whole: a Seq Scan, or a full index walked from
    end to end (no condition on it)."""
    kind = node.get("Node Type")
    if kind == "Seq Scan":
        yield str(node.get("Relation Name"))
    elif kind in _INDEXED and "Index Cond" not in node:
        table, partial = indexes[node["Index Name"]]
        if not partial:
            yield f"{table} (by {node['Index Name']})"
    for child in node.get("Plans", ()):
        if kind == "Limit" and child.get("Node Type") in ("Seq Scan", *_INDEXED):
            continue  # stops at the first rows it needs (an EXISTS, a first match)
        yield from _whole(child, indexes)


def _walks(engine: Engine, statement: str, parameters: Any) -> list[str]:
    """Sequential scans and hash or merge joins priced out: what still reads a
    big table whole has no index to find its rows by."""
    with engine.begin() as conn:
        for setting in ("enable_seqscan", "enable_hashjoin", "enable_mergejoin"):
            conn.execute(text(f"SET LOCAL {setting} = off"))
        indexes = {r[0]: (r[1], r[2]) for r in conn.execute(text(_INDEXES))}
        found = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}",
                                     parameters).scalar_one()
    return [walk for walk in _whole(found[0]["Plan"], indexes) if walk.split(" ")[0] in BIG]


@pytest.mark.parametrize("name", scale_ops.NAMES)
def test_a_read_at_scale_walks_no_big_table(account: tuple[Engine, Filled], name: str) -> None:
    engine, filled = account
    operation = scale_ops.operations(engine, filled.history_item)[name]
    with scale_ops.recorded(engine) as seen:
        operation()
    selects = [(s, p) for s, p in seen if s.lstrip().upper().startswith("SELECT")]
    assert selects  # it did read
    walks = [(table, statement[:160]) for statement, parameters in selects
             for table in _walks(engine, statement, parameters)]
    assert not walks, "\n".join(f"{table}: {statement}" for table, statement in walks)


def test_the_scans_find_what_they_look_for(account: tuple[Engine, Filled]) -> None:
    """The reads above are over real rows: the due-publish scan finds the items
    whose time has come, and 复查 lists re-checks due."""
    engine, filled = account
    assert len(scale_ops.due_publishes(engine)) == 3  # scale_data.SCHEDULED_DUE
    actor, openid = scale_ops.admin(engine)
    assert str(filled.history_item) in scale_ops.chat(engine, actor, openid,
                                                      f"查看 {filled.history_item}")
