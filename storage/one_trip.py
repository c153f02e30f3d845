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

# Positional, in the function's order: psycopg converts and checks named
# parameters on every call, and the statement takes 22.
_PUSH = (
    "SELECT * FROM wxops_push(%s::boolean, %s::bigint, %s::text, %s::text, %s::text,"
    " %s::text, %s::text, %s::text, %s::text, %s::bigint, %s::bigint, %s::json,"
    " %s::boolean, %s::text, %s::timestamptz, %s::bigint, %s::text, %s::text, %s::text,"
    " %s::integer, %s::timestamptz, %s::boolean)"
)
#: ``Record.params``'s values that the statement takes, in its order.
_RECORD = ("dedupe_key", "from_openid", "to_user", "msg_type", "event", "msg_id",
           "create_time", "payload", "authenticated", "mode", "now")


def available(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def push(conn: Connection, record: Record, nonce: Nonce | None, text: FollowerText) -> OneTrip:
    """Run the push's one statement, outside any transaction of SQLAlchemy's."""
    raw = Raw.of(conn)
    row = record.params
    values = (nonce is not None, nonce and nonce.timestamp, nonce and nonce.nonce[:64],
              nonce and nonce.body_hash, *[row[k] for k in _RECORD], text.rule_id,
              text.reply, "text", text.content, text.priority,
              raw.adapt_one(text.quiet_since), text.open)
    driver: Any = raw.dbapi  # a psycopg connection
    driver.autocommit = True  # the statement is its own transaction
    try:
        found = raw.positional(_PUSH, values)
    finally:
        if not driver.closed and not driver.broken:
            driver.autocommit = False
    assert found is not None
    return OneTrip(PushStatus(found[0]), None if found[1] is None else int(found[1]),
                   found[2] or "", acknowledgement(found[3]), found[4])
