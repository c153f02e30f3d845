"""The outbox sender: claims due rows, delivers each through the gateway, records
the outcome, retries transient failures with exponential backoff and jitter."""

from __future__ import annotations

import logging
import os
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import Connection, Engine

from bot import lanes
from bot.seams import BatchConnections, FollowUp, OutboxRow
from bot.wechat_errors import NotAuthorised, OutcomeUnknown, WeChatError
from bot.wiring import database, learnt_capabilities
from bot.wiring import outbox_log as outbox
from handlers import texts

if TYPE_CHECKING:  # wechatpy loads with the gateway, not at every start-up
    from bot.gateway import Gateway

log = logging.getLogger("wxops.sender")

MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=5)
BACKOFF_CAP = timedelta(minutes=15)
#: Test hook: die right after the platform accepted a call of this kind, before
#: anything else is recorded (proves a restart does not send it again).
CRASH_HOOK = "WXOPS_TEST_CRASH_AFTER_SEND"

T = TypeVar("T")


@dataclass
class Outcome:
    status: str  # sent, held, refused, dead, or pending (retry)
    error: str = ""
    recipient: str | None = None
    follow_up: list[FollowUp] = field(default_factory=list)
    #: Dead only: the platform may have acted on the row (the call went out and no
    #: answer came, or the worker died with it in flight), so a person must check.
    unconfirmed: bool = False
    #: What happened, in a few words for a notice ("" : the error says it).
    summary: str = ""
    #: The platform refused the call with 48001: the capability it needs is
    #: learnt missing, in the transaction that records this outcome.
    lacks: NotAuthorised | None = None

    @property
    def why(self) -> str:
        return self.summary or self.error


#: What else it means when a row of some kind is given up (goes dead): run in the
#: transaction that marks it dead, with the row, the dead outcome and the time.
DeadEnd = Callable[[Connection, OutboxRow, Outcome, datetime], None]
#: What else it means when a row given up as in doubt turns out delivered after
#: all (its worker stalled past the lease, then saw WeChat accept the call): run
#: in the transaction that marks it sent, with the row and the time.
SentAfterAll = Callable[[Connection, OutboxRow, datetime], None]


class StalledPastLease(Exception):
    """The row stopped being this worker's attempt before the call was made: the
    worker stalled past its lease and the row was recovered (parked in doubt, and
    perhaps re-driven by a person since). The call must not be made."""


class Delivery:
    """What a kind handler gets: the row, the gateway, and a way to make the
    platform call once. An accepted call is kept here and written with the row's
    outcome, in the commit that also marks the next row in flight."""

    def __init__(self, sender: Sender, row: OutboxRow, kept: BatchConnections) -> None:
        self.sender, self.row, self.kept = sender, row, kept
        self.gateway, self.now = sender.gateway, sender.clock()
        #: The platform's answer to the call it accepted, not yet recorded.
        self.accepted: dict[str, object] | None = None
        #: What the acceptance itself changes (e.g. the window's send count).
        self.also: list[FollowUp] = []

    @property
    def delivered(self) -> bool:
        """An earlier attempt got through (the worker died before finishing the row):
        a kind handler finishes such a row as sent before checking anything else."""
        return self.row.delivered_at is not None

    def call_once(self, call: Callable[[], dict[str, object]],
                  also: FollowUp | None = None) -> dict[str, object]:
        """Call the platform unless an earlier attempt already got through. `also`
        is written with the delivered marker, in the row's outcome commit."""
        if self.delivered:
            return dict(self.row.result or {})
        if not self.read(lambda c: outbox.attempting(c, self.row.id, self.sender.worker)):
            raise StalledPastLease(self.row.id)
        result = call()
        self.accepted = result
        if also is not None:
            self.also.append(also)
        if os.environ.get(CRASH_HOOK) == self.row.kind:
            os._exit(17)
        return result

    def read(self, query: Callable[[Connection], T]) -> T:
        return self.kept.ask(query)


Handler = Callable[[Delivery], Outcome]


@dataclass
class Attempted:
    """A row's attempt, made and not yet recorded."""

    row: OutboxRow
    outcome: Outcome
    delivery: Delivery | None = None

    @property
    def accepted(self) -> dict[str, object] | None:
        return None if self.delivery is None else self.delivery.accepted


class Sender:
    def __init__(self, engine: Engine, gateway: Gateway, handlers: dict[str, Handler],
                 worker: str = "", clock: Callable[[], datetime] | None = None,
                 backoff_base: timedelta = BACKOFF_BASE,
                 dead_ends: dict[str, DeadEnd] | None = None,
                 sent_after_all: dict[str, SentAfterAll] | None = None,
                 parallel: int = 1, lane_of: Callable[[OutboxRow], str] | None = None) -> None:
        self.engine, self.gateway, self.handlers = engine, gateway, handlers
        #: A batch drained side by side (``bot.lanes``): rows of one ``lane_of``
        #: key on one lane, in order; by default every row on one lane.
        self.lane_of: Callable[[OutboxRow], str] = lane_of or (lambda row: "")
        self.lanes = lanes.Lanes(width(engine, parallel))
        self.backoff_base = backoff_base
        self.dead_ends = dead_ends or {}
        self.sent_after_all = sent_after_all or {}
        self.worker = worker or f"{os.uname().nodename}:{os.getpid()}"
        self.clock = clock or (lambda: datetime.now(UTC))
        #: Set to stop after the row in flight (SIGTERM): the rest of the batch is
        #: released to pending, untouched.
        self.stopping = threading.Event()

    def run_once(self, limit: int = 20) -> int:
        """Claim and process one batch; returns how many rows were claimed.

        One commit a row: the outcome of the row before (with its delivered
        marker) and this row's in-flight marker (``storage.outbox``). The batch
        is drained on lanes (``bot.lanes``): one person's rows on one lane, in
        order; the lanes side by side, each with its own connections."""
        if self.stopping.is_set():
            return 0
        rows = outbox.claim_due(self.engine, self.worker, self.clock(), limit)
        touched: set[int] = set()  # rows whose in-flight commit was made
        try:
            self.lanes.run(lanes.grouped(rows, self.lane_of),
                           lambda take: self._lane(take, touched))
        finally:
            left = [row.id for row in rows if row.id not in touched]
            if left and outbox.release(self.engine, self.worker, left):
                log.info("released %s claimed outbox rows not yet attempted", len(left))
        return len(rows)

    def _lane(self, take: Callable[[], list[OutboxRow] | None], touched: set[int]) -> None:
        """One lane: the groups it takes, row after row, on its own connections."""
        kept = outbox.BatchConnections(self.engine)  # the lane's reads and commits
        attempted = None
        try:
            while not self.stopping.is_set() and (group := take()) is not None:
                for row in group:
                    if self.stopping.is_set():
                        break
                    previous, attempted = attempted, None
                    started = self._commit(kept, previous, row)
                    touched.add(row.id)
                    if started:
                        attempted = self._attempt(kept, row)
                    else:
                        log.warning("outbox %s is no longer claimed by %s; left alone",
                                    row.id, self.worker, extra=_context(row))
        finally:
            try:
                if attempted is not None:
                    self._commit(kept, attempted, None)
            finally:
                kept.close()

    def close(self) -> None:
        """Stop the lanes' threads (the worker's end; idle threads also end with
        the process)."""
        self.lanes.close()

    def drain(self, limit: int = 20, max_batches: int = 50) -> int:
        total = 0
        for _ in range(max_batches):
            handled = self.run_once(limit)
            total += handled
            if handled < limit or self.stopping.is_set():
                break
        return total

    def process(self, row: OutboxRow) -> None:
        """One claimed row on its own: its in-flight marker, the attempt, its outcome."""
        kept = outbox.BatchConnections(self.engine)
        try:
            if not self._commit(kept, None, row):
                log.warning("outbox %s is no longer claimed by %s; left alone",
                            row.id, self.worker, extra=_context(row))
                return
            attempted = self._attempt(kept, row)
            if attempted is not None:
                self._commit(kept, attempted, None)
        finally:
            kept.close()

    def _attempt(self, kept: BatchConnections, row: OutboxRow) -> Attempted | None:
        """Run the row's handler; None when the call must not be made after all."""
        handler = self.handlers.get(row.kind)
        delivery = Delivery(self, row, kept)
        try:
            outcome = handler(delivery) if handler else \
                Outcome("dead", f"unknown outbox kind {row.kind!r}")
        except StalledPastLease:
            log.warning("outbox %s was recovered while %s stalled; the call was not made",
                        row.id, self.worker, extra=_context(row))
            return None
        except OutcomeUnknown as exc:
            outcome = self._unknown(row, exc)
        except NotAuthorised as exc:
            outcome = self._failed(row, False, exc.reason)
            # Learnt only from the platform's own answer: a call not made (NotCalled)
            # has no errcode and teaches nothing.
            learnt = exc.capability is not None and exc.errcode is not None
            outcome.lacks = exc if learnt else None
        except WeChatError as exc:
            outcome = self._failed(row, exc.transient, f"{exc.reason}：{exc}")
        except Exception as exc:  # a bug or an outage: retried, then dead, never silent
            log.exception("outbox %s (%s) failed", row.id, row.kind, extra=_context(row))
            outcome = self._failed(row, True, f"{type(exc).__name__}: {exc}")
        return Attempted(row, outcome, delivery)

    def _failed(self, row: OutboxRow, transient: bool, error: str) -> Outcome:
        if transient and row.attempts < MAX_ATTEMPTS:
            return Outcome("pending", error)
        return Outcome("dead", error if not transient else texts.phrase(
            "delivery", "gave_up", attempts=row.attempts, error=error))

    def _unknown(self, row: OutboxRow, exc: OutcomeUnknown) -> Outcome:
        """The call went out and no answer came: as after a crash in flight, only a
        kind the platform dedupes is retried; any other is parked for a person."""
        if row.kind in outbox.SAFE_TO_RESEND:
            return self._failed(row, True, f"{exc.reason}：{exc}")
        return Outcome("dead", texts.phrase("outbox", "unknown_outcome", reason=exc.reason,
                                            detail=str(exc), row_id=row.id),
                       unconfirmed=True, summary=exc.reason)

    def _commit(self, kept: BatchConnections, attempted: Attempted | None,
                start: OutboxRow | None) -> bool:
        """In one commit: the outcome of ``attempted``, and ``start`` marked in
        flight; whether ``start`` is this worker's to attempt.

        Should the commit fail after the platform accepted a call, the delivered
        marker is tried alone (a recovered row is then finished without a second
        call) and the failure goes on up: the row stays started, so at worst it is
        parked as may-have-arrived, never retried as if nothing had gone out."""
        now = self.clock()
        try:
            with database.write_lock(self.engine), kept.writing() as conn:
                started = start and outbox.began(conn, start.id, self.worker, now)
                recorded = attempted is not None and self._record(conn, attempted, now)
        except BaseException:  # a fault in the commit, or the worker interrupted in it
            if attempted is not None:
                self._keep_delivered(attempted, now)
            raise
        if recorded and attempted is not None:
            self._log(attempted)
        return bool(started and started())  # known once committed

    def _record(self, conn: Connection, attempted: Attempted, now: datetime) -> bool:
        """The row's outcome (with its delivered marker, and what the acceptance
        changes); False when the row was recovered meanwhile and is left to that."""
        row, outcome, accepted = attempted.row, attempted.outcome, attempted.accepted
        retry_at = now + backoff(row.attempts, self.backoff_base) \
            if outcome.status == "pending" else None
        for also in attempted.delivery.also if attempted.delivery else ():
            also(conn)
        if outbox.finish(conn, row.id, outcome.status, now, outcome.error, retry_at,
                         outcome.recipient, worker=self.worker, in_doubt=outcome.unconfirmed,
                         accepted=accepted):
            self._follow_up(conn, outcome)
            self._learn(conn, outcome, now)
            if outcome.status == "dead":
                self._given_up(conn, row, outcome, now)
            return True
        if accepted is not None:
            outbox.delivered(conn, row.id, accepted, now)
        if self._sent_after_all(conn, row, outcome, now):
            return True
        log.warning("outbox %s was recovered while %s stalled; its outcome (%s) "
                    "is left to the recovery", row.id, self.worker, outcome.status,
                    extra=_context(row))
        return False

    def _keep_delivered(self, attempted: Attempted, now: datetime) -> None:
        accepted, delivery = attempted.accepted, attempted.delivery
        if accepted is None or delivery is None:
            return
        try:
            outbox.mark_delivered(self.engine, attempted.row.id, accepted, now,
                                  _together(delivery.also))
        except Exception as exc:
            log.error("outbox %s: WeChat accepted the call and it could not be recorded "
                      "(%s); the row will be parked as perhaps delivered",
                      attempted.row.id, database.describe(exc), extra=_context(attempted.row))

    @staticmethod
    def _log(attempted: Attempted) -> None:
        row, outcome = attempted.row, attempted.outcome
        level = logging.WARNING if outcome.status in ("dead", "refused") else logging.INFO
        log.log(level, "outbox %s %s -> %s %s", row.id, row.kind, outcome.status, outcome.error,
                extra={**_context(row), "status": outcome.status})

    def _sent_after_all(self, conn: Connection, row: OutboxRow, outcome: Outcome,
                        now: datetime) -> bool:
        """This worker stalled past its lease with the call in flight, the row was
        parked in doubt (and its kind's warnings written), and then WeChat's
        acceptance came: the row is sent after all, and the warnings are taken back."""
        if outcome.status != "sent" or not outbox.sent_after_all(
                conn, row.id, now, texts.phrase("outbox", "sent_after_all")):
            return False
        self._follow_up(conn, outcome)
        late = self.sent_after_all.get(row.kind)
        if late is not None:
            late(conn, row, now)
        return True

    @staticmethod
    def _learn(conn: Connection, outcome: Outcome, now: datetime) -> None:
        lacks = outcome.lacks
        if lacks is not None and lacks.capability is not None:
            log.warning("the platform refused %s (%s): %s learnt missing",
                        lacks.call, lacks.errcode, lacks.capability.value)
            learnt_capabilities.learn(conn, lacks.capability, now, lacks.errcode, lacks.call)

    @staticmethod
    def _follow_up(conn: Connection, outcome: Outcome) -> None:
        for step in outcome.follow_up:
            step(conn)

    def recover(self, lease: timedelta) -> tuple[int, int]:
        """Rows a dead worker left mid-send (``outbox.recover_stale``): (resumed, dead).
        One given up there has its kind's dead end too."""
        now = self.clock()
        interrupted = Outcome("dead", texts.phrase("outbox", "interrupted"), unconfirmed=True,
                              summary=texts.phrase("outbox", "interrupted_short"))
        return outbox.recover_stale(
            self.engine, now, lease, interrupted=interrupted.error,
            on_dead=lambda conn, row: self._given_up(conn, row, interrupted, now))

    def _given_up(self, conn: Connection, row: OutboxRow, outcome: Outcome,
                  now: datetime) -> None:
        dead_end = self.dead_ends.get(row.kind)
        if dead_end is not None:
            dead_end(conn, row, outcome, now)


def width(engine: Engine, parallel: int) -> int:
    """How many lanes a batch is drained on: ``parallel`` on PostgreSQL; one on
    SQLite, whose commits all take the file's one write lock (``bot.lanes``)."""
    return parallel if engine.dialect.name == "postgresql" else 1


def _together(steps: list[FollowUp]) -> FollowUp:
    def run(conn: Connection) -> None:
        for step in steps:
            step(conn)
    return run


def _context(row: OutboxRow) -> dict[str, object]:
    """What a log line about a row carries as fields of its own (JSON logs)."""
    return {"outbox_id": row.id, "kind": row.kind}


def backoff(attempts: int, base: timedelta = BACKOFF_BASE,
            rng: Callable[[], float] = random.random) -> timedelta:
    """Exponential in the number of attempts, capped, with jitter (0.5x to 1.5x)."""
    delay = min(base * (2 ** min(max(attempts - 1, 0), 20)), BACKOFF_CAP)
    return timedelta(seconds=delay.total_seconds() * (0.5 + rng()))
