"""Capabilities learnt missing: the platform answered 48001 to a call the
capability table grants the account's kind (workflow.capabilities).

One row per capability, the first time it was learnt kept: a second refusal
does not move ``missing_since``. Both engines insert with ON CONFLICT DO
NOTHING, so two workers learning it at once leave one row.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import cast

from sqlalchemy import Connection, Engine, Table, delete, select

from storage.models import LearntCapability
from storage.upsert import conflict_insert
from workflow.capabilities import Capability, LearntMissing

TABLE = cast(Table, LearntCapability.__table__)


def learn(conn: Connection, capability: Capability, at: datetime, errcode: int | None,
          call: str) -> None:
    """Record the capability missing since ``at`` unless it is already; in the
    caller's transaction."""
    values = {"capability": capability.value, "missing_since": at, "errcode": errcode,
              "call": call[:64]}
    conn.execute(conflict_insert(conn.dialect.name, TABLE).values(**values)
                 .on_conflict_do_nothing())


def missing(conn: Connection) -> dict[Capability, LearntMissing]:
    """Every capability learnt missing, with when and how. A row naming a
    capability this version does not know is left out."""
    known = {c.value for c in Capability}
    rows = conn.execute(select(TABLE).order_by(TABLE.c.capability)).all()
    return {Capability(r.capability): LearntMissing(r.missing_since, r.errcode, r.call)
            for r in rows if r.capability in known}


def forget(conn: Connection, capability: Capability) -> bool:
    """The account got the capability (it was verified, say): False when it was
    not learnt missing."""
    return bool(conn.execute(delete(TABLE).where(TABLE.c.capability == capability.value))
                .rowcount)


class SqlLearntCapabilities:
    """``workflow.ports.LearntCapabilities`` on an engine, one transaction a call."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def missing(self) -> Mapping[Capability, LearntMissing]:
        with self.engine.connect() as conn:
            return missing(conn)

    def learn(self, capability: Capability, at: datetime, errcode: int | None,
              call: str) -> None:
        with self.engine.begin() as conn:
            learn(conn, capability, at, errcode, call)

    def forget(self, capability: Capability) -> bool:
        with self.engine.begin() as conn:
            return forget(conn, capability)
