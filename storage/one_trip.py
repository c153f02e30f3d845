"""A follower's text on PostgreSQL in one round trip: ``wxops_push`` (migration 0030).

The transaction a push makes through ``storage.inbound`` costs six round
trips on PostgreSQL (BEGIN, the replay guard, the claim, the follower, the
ticket log or the rule's hit, COMMIT), each with psycopg's own cost around
it. Here the function does all of it as one statement, run with the driver
in autocommit: it is its own transaction, and a fault undoes it whole, as a
rollback would. The endpoint decides beforehand what it can (the rule from
its copy, the priority, the office hours); the function answers
``fallback``, having written nothing, for a sender it cannot finish alone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from storage.inbound import Record, acknowledgement
from storage.raw import Raw
from workflow.follower_push import FollowerText, Nonce, OneTrip, PushStatus

_PUSH = (
    "SELECT * FROM wxops_push(CAST(:check AS boolean), CAST(:ts AS bigint),"
    " CAST(:nonce AS text), CAST(:body_hash AS text), CAST(:dedupe_key AS text),"
    " CAST(:from_openid AS text), CAST(:to_user AS text), CAST(:msg_type AS text),"
    " CAST(:event AS text), CAST(:msg_id AS bigint), CAST(:create_time AS bigint),"
    " CAST(:payload AS json), CAST(:authenticated AS boolean), CAST(:mode AS text),"
    " CAST(:now AS timestamptz), CAST(:rule AS bigint), CAST(:reply AS text),"
    " CAST(:kind AS text), CAST(:content AS text), CAST(:priority AS integer),"
    " CAST(:quiet_since AS timestamptz), CAST(:open AS boolean))"
)


def available(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def push(conn: Connection, record: Record, nonce: Nonce | None, text: FollowerText) -> OneTrip:
    """Run the push's one statement, outside any transaction of SQLAlchemy's."""
    raw = Raw.of(conn)
    params = {**record.params, "check": nonce is not None,
              "ts": nonce.timestamp if nonce else None,
              "nonce": nonce.nonce[:64] if nonce else None,
              "body_hash": nonce.body_hash if nonce else None,
              "rule": text.rule_id, "reply": text.reply, "kind": "text",
              "content": text.content, "priority": text.priority,
              "quiet_since": text.quiet_since, "open": text.open}
    driver: Any = raw.dbapi  # a psycopg connection
    driver.autocommit = True  # the statement is its own transaction
    try:
        row = raw.one(_PUSH, params)
    finally:
        if not driver.closed and not driver.broken:
            driver.autocommit = False
    assert row is not None
    return OneTrip(PushStatus(row[0]), None if row[1] is None else int(row[1]), row[2] or "",
                   acknowledgement(row[3]), row[4])

