"""What bot/ uses of storage, as contracts: the seams ``bot/wiring.py`` binds.

Only the composition root (and the storage-specific commands) import
``storage``; every other bot module takes these from ``bot.wiring`` and knows
them by the Protocols below. Most are storage modules of plain functions on a
connection (the inbound hot path's prepared statements among them), bound as
they are, so the hot path pays no indirection for the seam. Business ports
(units of work, repositories, read views) are in ``workflow/ports.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from workflow.analytics import DayRecord
from workflow.capabilities import Capability, LearntMissing
from workflow.follower_push import Acknowledgement, FollowerText, Nonce, OneTrip
from workflow.ports import UnitOfWork
from workflow.window import Counter, Interactions

#: Written with a row's delivery marker, or its outcome, in the same commit.
FollowUp = Callable[[Connection], None]
T = TypeVar("T")


class Database(Protocol):
    """The engine's write lock and what its faults mean (``storage.db``)."""

    @property
    def WriteLockBusy(self) -> type[Exception]:
        """Raised when another writer held the write lock past the wait allowed."""
        ...

    def write_lock(self, engine: Engine,
                   within: float | None = None) -> AbstractContextManager[None]:
        """Hold around a write transaction (a real lock on SQLite files)."""
        ...

    def transient(self, error: BaseException) -> bool:
        """Whether a database error passes (asking again can succeed)."""
        ...

    def describe(self, error: BaseException) -> str:
        """One line on what went wrong, without the statement's parameters."""
        ...

    def sqlite_file(self, url: str | URL) -> Path | None: ...

    def missing_file(self, error: BaseException) -> str | None:
        """The SQLite file a connection found not there, or None."""
        ...


class KeptConnections(Protocol):
    """Connections the inbound endpoint keeps open between pushes (``storage.db``)."""

    def connection(self) -> AbstractContextManager[Connection]: ...

    def checkpoint_due(self) -> bool: ...

    def checkpoint(self) -> None: ...

    def close(self) -> None: ...


class PushRecord(Protocol):
    """A push's row in the inbound log, built before the write lock is taken."""

    @property
    def dedupe_key(self) -> str: ...


class PushClaim(Protocol):
    """New (``inbound_id``: handle it) or a retry (``previous_reply``: answer again)."""

    @property
    def inbound_id(self) -> int | None: ...

    @property
    def previous_reply(self) -> str | None: ...

    @property
    def previous_acknowledgement(self) -> Acknowledgement | None:
        """What the reply was rendered from, when it was not stored (one-statement pushes)."""
        ...


class OneTripPushes(Protocol):
    """A follower's text recorded whole in one statement (``storage.one_trip``)."""

    def available(self, conn: Connection) -> bool:
        """Whether the connection's database has the statement (PostgreSQL)."""
        ...

    def push(self, conn: Connection, record: Any, nonce: Nonce | None,
             text: FollowerText) -> OneTrip:
        """``record``: what ``InboundLog.record`` returned. Outside any transaction."""
        ...


class TakenPush(Protocol):
    """A failed push taken for a replay."""

    @property
    def fields(self) -> dict[str, Any]: ...

    @property
    def authenticated(self) -> bool: ...

    @property
    def failures(self) -> int: ...


class LoggedPush(Protocol):
    """A push as the inbound log keeps it, for people to look at."""

    @property
    def id(self) -> int: ...

    @property
    def from_openid(self) -> str: ...

    @property
    def msg_type(self) -> str: ...

    @property
    def event(self) -> str | None: ...

    @property
    def payload(self) -> dict[str, Any]: ...

    @property
    def authenticated(self) -> bool: ...

    @property
    def reply(self) -> str | None: ...

    @property
    def error(self) -> str: ...

    @property
    def received_at(self) -> datetime: ...

    @property
    def handled_at(self) -> datetime | None: ...

    @property
    def replay_at(self) -> datetime | None: ...

    @property
    def failures(self) -> int: ...


class InboundLog(Protocol):
    """The inbound log: replay guard, dedupe claim, stored replies, failures
    (``storage.inbound``: the hot path's driver-level statements)."""

    def record(self, conn: Connection, fields: dict[str, Any], *, authenticated: bool,
               mode: str, now: datetime) -> PushRecord: ...

    def nonce_is_fresh(self, conn: Connection, timestamp: int, nonce: str,
                       body_hash: str) -> bool: ...

    def claim(self, conn: Connection, push: Any) -> PushClaim:
        """``push``: what ``record`` returned."""
        ...

    def store_reply(self, conn: Connection, inbound_id: int, reply: str,
                    now: datetime) -> None: ...

    def store_failure(self, conn: Connection, inbound_id: int, error: str,
                      replay_at: datetime | None, *, again: bool = False) -> None: ...

    def take_for_replay(self, conn: Connection, inbound_id: int, now: datetime,
                        due_only: bool = False) -> TakenPush | None: ...

    def due_replays(self, conn: Connection, now: datetime, limit: int = 50) -> list[int]: ...

    def failed_counts(self, conn: Connection) -> tuple[int, int]: ...

    def failures(self, conn: Connection, limit: int = 50) -> Sequence[LoggedPush]: ...

    def get(self, conn: Connection, inbound_id: int) -> LoggedPush | None: ...

    def prune_nonces(self, conn: Connection, signed_before: int) -> int: ...

    def nonce_retention(self, max_skew: int) -> int: ...


class OutboxRow(Protocol):
    """One outbox row as the sender and the CLI read it."""

    @property
    def id(self) -> int: ...

    @property
    def kind(self) -> str: ...

    @property
    def payload(self) -> dict[str, Any]: ...

    @property
    def idempotency_key(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def attempts(self) -> int: ...

    @property
    def delivered_at(self) -> datetime | None: ...

    @property
    def result(self) -> dict[str, Any] | None: ...

    @property
    def last_error(self) -> str: ...

    @property
    def next_attempt_at(self) -> datetime: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def sent_at(self) -> datetime | None: ...

    @property
    def in_doubt(self) -> bool: ...


class BatchConnections(Protocol):
    """The connections one sender batch keeps for its reads and its commits."""

    def ask(self, query: Callable[[Connection], T]) -> T: ...

    def writing(self) -> AbstractContextManager[Connection]: ...

    def close(self) -> None: ...


class OutboxLog(Protocol):
    """The outbox table: claim, attempt, finish, recover, inspect, re-drive
    (``storage.outbox``)."""

    @property
    def SAFE_TO_RESEND(self) -> frozenset[str]: ...

    @property
    def RETRYABLE(self) -> tuple[str, ...]: ...

    def add(self, conn: Connection, kind: str, payload: dict[str, Any], key: str,
            now: datetime, recipient: str | None = None,
            due: datetime | None = None) -> int | None: ...

    def claim_due(self, engine: Engine, worker: str, now: datetime,
                  limit: int = 20) -> Sequence[OutboxRow]: ...

    def start_attempt(self, engine: Engine, row_id: int, worker: str, now: datetime) -> bool: ...

    def begin_attempt(self, conn: Connection, row_id: int, worker: str,
                      now: datetime) -> bool: ...

    def began(self, conn: Connection, row_id: int, worker: str,
              now: datetime) -> Callable[[], bool]: ...

    def release(self, engine: Engine, worker: str, row_ids: list[int]) -> int: ...

    def mark_delivered(self, engine: Engine, row_id: int, result: dict[str, Any],
                       now: datetime, also: FollowUp | None = None) -> None: ...

    def delivered(self, conn: Connection, row_id: int, result: dict[str, Any],
                  now: datetime) -> None: ...

    def still_attempting(self, engine: Engine, row_id: int, worker: str) -> bool: ...

    def attempting(self, conn: Connection, row_id: int, worker: str) -> bool: ...

    def BatchConnections(self, engine: Engine) -> BatchConnections: ...

    def finish(self, conn: Connection, row_id: int, status: str, now: datetime,
               error: str = "", next_attempt: datetime | None = None,
               recipient: str | None = None, *, worker: str | None = None,
               in_doubt: bool = False, accepted: dict[str, Any] | None = None) -> bool: ...

    def sent_after_all(self, conn: Connection, row_id: int, now: datetime,
                       note: str) -> bool: ...

    def recover_stale(self, engine: Engine, now: datetime, lease: timedelta,
                      on_dead: Callable[[Connection, OutboxRow], None] | None = None, *,
                      interrupted: str = "") -> tuple[int, int]: ...

    def listing(self, conn: Connection, status: str | None = None,
                limit: int = 50) -> Sequence[OutboxRow]: ...

    def get(self, conn: Connection, row_id: int) -> OutboxRow | None: ...

    def retry(self, conn: Connection, row_id: int, now: datetime) -> bool: ...

    def dead_since(self, conn: Connection, since: datetime) -> Sequence[OutboxRow]: ...

    def retry_many(self, conn: Connection, row_ids: list[int], now: datetime) -> list[int]: ...

    def counts(self, conn: Connection) -> dict[str, int]: ...

    def oldest_pending(self, conn: Connection) -> tuple[datetime | None, datetime | None]: ...


class PlatformRecords(Protocol):
    """What the worker reads of items, staff and assets, and writes back of what
    WeChat said (``storage.platform``)."""

    def set_item_ids(self, conn: Connection, item_id: int, **ids: Any) -> None: ...

    def item_row(self, conn: Connection, item_id: int) -> Any: ...

    def item_versions(self, conn: Connection,
                      ids: Collection[int]) -> Mapping[int, tuple[int, str]]: ...

    def asset(self, conn: Connection, key: str) -> str | None: ...

    def set_asset(self, conn: Connection, key: str, value: str, now: datetime) -> None: ...

    def staff_openid(self, conn: Connection, staff_id: int) -> str | None: ...

    def set_delivery(self, conn: Connection, message_id: int, delivery: str) -> None: ...

    def scheduled_due(self, conn: Connection, now: datetime) -> list[int]: ...

    def publishing_since(self, conn: Connection, before: datetime) -> list[str]: ...


class AnalyticsRecords(Protocol):
    """The platform's figures as stored (``storage.analytics``)."""

    def records(self, conn: Connection, endpoint: str, first: date,
                last: date) -> dict[date, DayRecord]: ...

    def store_day(self, conn: Connection, endpoint: str, day: date, record: DayRecord,
                  rows: list[dict[str, Any]], now: datetime) -> None: ...

    def store_followers(self, conn: Connection, day: date, **figures: int) -> None: ...

    def day_rows(self, conn: Connection, endpoint: str, day: date) -> list[dict[str, Any]]: ...

    def store_totals(self, conn: Connection, msgid: str, published_on: date,
                     details: list[dict[str, Any]], item_id: int | None) -> None: ...

    def published_items(self, conn: Connection, first: date,
                        last: date) -> list[tuple[int, date, str]]: ...

    def mapped_articles(self, conn: Connection) -> dict[tuple[str, int], int]: ...


class SendWindow(Protocol):
    """A follower's recorded interactions, and the sends counted against them
    (``storage.followers``)."""

    def interactions(self, conn: Connection, openid: str) -> Interactions | None: ...

    def count_send(self, conn: Connection, openid: str, counter: Counter) -> None: ...


class IncidentLog(Protocol):
    """One notice per person for a burst of replies given up (``storage.incidents``)."""

    def tell(self, conn: Connection, staff_id: int, reply: dict[str, Any], now: datetime,
             window: timedelta) -> None: ...

    def take_back(self, conn: Connection, staff_id: int, row_id: int, since: datetime,
                  cancelled_because: str) -> bool: ...


class LearntCapabilitiesLog(Protocol):
    """Capabilities the platform refused with 48001 (``storage.capabilities``), on
    the caller's connection; ``workflow.ports.LearntCapabilities`` is the same on
    an engine."""

    def learn(self, conn: Connection, capability: Capability, at: datetime,
              errcode: int | None, call: str) -> None: ...

    def missing(self, conn: Connection) -> dict[Capability, LearntMissing]: ...

    def forget(self, conn: Connection, capability: Capability) -> bool: ...


class WorkerBeat(Protocol):
    """A worker's last heartbeat."""

    @property
    def worker(self) -> str: ...

    @property
    def started_at(self) -> datetime: ...

    @property
    def beat_at(self) -> datetime: ...


class Heartbeats(Protocol):
    """Each running worker's heartbeat (``storage.heartbeats``)."""

    def beat(self, conn: Connection, worker: str, now: datetime,
             leading: bool = False) -> None: ...

    def stopped(self, conn: Connection, worker: str) -> None: ...

    def latest(self, conn: Connection) -> WorkerBeat | None: ...


class JoinUnitOfWork(Protocol):
    """A unit of work inside the caller's transaction on ``conn``."""

    def __call__(self, conn: Connection,
                 clock: Callable[[], datetime] = ...) -> UnitOfWork: ...


class CustomText(Protocol):
    @property
    def body(self) -> str: ...


class AccountTexts(Protocol):
    """Admins' versions of the editable replies, in a unit of work's session
    (``storage.texts``)."""

    def custom(self, key: str) -> CustomText | None: ...

    def add(self, key: str, body: str, now: datetime) -> None: ...

    def save(self, key: str, body: str, now: datetime) -> None: ...

    def reset(self, key: str) -> None: ...


#: The demo's follower, added as it is (``storage.followers.add_follower``).
AddFollower = Callable[[Session, str, datetime], None]
