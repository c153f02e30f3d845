"""Handling again a push whose handling failed.

The worker does it by itself for a push kept after a passing database fault
(``replay_at``), with backoff, and gives up after ``MAX_FAILURES``; a person
does it with ``wxops inbound replay`` once what failed is mended. A push is
taken in the transaction that handles it, so two replays never both handle it.

Nobody waits for the reply any more: a follower's is kept with the push (their
message is in the queue, which is what counts), and a staff member's comes to
them as a notice, since they may be waiting for the outcome of their command.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine

from bot import replies
from bot.handling import Contexts, HandlerFailed, handle
from bot.timefmt import local
from bot.wiring import App, database
from bot.wiring import inbound_log as inbound
from handlers.inbound import HandlerContext, Inbound
from handlers.replies import Reply, TextReply

log = logging.getLogger("wxops.replay")

#: Failed attempts after which the worker leaves a push to a person.
MAX_FAILURES = 8
FIRST_PAUSE = timedelta(seconds=5)
LONGEST_PAUSE = timedelta(minutes=10)


@dataclass(frozen=True)
class Replayed:
    """What a replay came to: ``handled`` (with the reply's text), ``failed`` (with
    the error), or ``not_failed`` (nothing to do: handled meanwhile, or not due)."""

    outcome: str
    text: str = ""


class Replayer:
    def __init__(self, app: App, clock: Callable[[], datetime] | None = None) -> None:
        self.engine: Engine = app.engine
        self.contexts = Contexts(app.settings)
        self.tz = app.settings.tz
        self.clock = clock or (lambda: datetime.now(UTC))

    def due(self, limit: int = 50) -> list[int]:
        with self.engine.connect() as conn:
            return inbound.due_replays(conn, self.clock(), limit)

    def replay(self, inbound_id: int, *, due_only: bool = False) -> Replayed:
        now = self.clock()
        try:
            with database.write_lock(self.engine), self.engine.begin() as conn:
                return self._replay(conn, inbound_id, now, due_only)
        except HandlerFailed as failed:
            return self._failed(inbound_id, failed.error, None)
        except Exception as exc:
            if not database.transient(exc):
                raise
            return self._failed(inbound_id, database.describe(exc), now)

    def _replay(self, conn: Connection, inbound_id: int, now: datetime,
                due_only: bool) -> Replayed:
        taken = inbound.take_for_replay(conn, inbound_id, now, due_only)
        if taken is None:
            return Replayed("not_failed")
        msg = Inbound.from_fields(taken.fields, taken.authenticated)
        ctx = self.contexts(conn, now)
        ctx.inbound_id = inbound_id
        shown: list[str] = []

        def answer(ctx: HandlerContext, msg: Inbound, reply: Reply) -> str:
            shown.append(reply.text if isinstance(reply, TextReply) else "")
            self._tell_staff(ctx, msg, reply, taken.failures)
            return replies.render(reply, msg)  # no held notices: nobody sees this reply

        inbound.store_reply(conn, inbound_id, handle(ctx, msg, answer), now)
        log.info("inbound %s handled again after %s failed tries", inbound_id, taken.failures,
                 extra={"inbound_id": inbound_id})
        return Replayed("handled", shown[0] if shown else "")

    def _tell_staff(self, ctx: HandlerContext, msg: Inbound, reply: Reply,
                    failures: int) -> None:
        member = ctx.staff(msg.openid)
        if member is None or not isinstance(reply, TextReply):
            return
        sent_at = local(datetime.fromtimestamp(msg.create_time, UTC), self.tz, "%m-%d %H:%M")
        context = {"sent_at": sent_at, "text": msg.text("Content") or msg.event,
                   "reply": reply.text}
        with ctx.joined_uow() as uow:
            uow.outbox.add("notify", {"staff_id": member.id, "template": "inbound_replayed",
                                      "context": context},
                           f"inbound_replayed:{ctx.inbound_id}:{failures}", ctx.now)
            uow.commit()

    def _failed(self, inbound_id: int, error: str, passing_since: datetime | None) -> Replayed:
        """Keep the new error; a passing fault is tried again later, up to a point."""
        log.warning("inbound %s failed again: %s", inbound_id, error,
                    extra={"inbound_id": inbound_id})
        try:
            with database.write_lock(self.engine), self.engine.begin() as conn:
                row = inbound.get(conn, inbound_id)
                tries = (row.failures if row is not None else 0) + 1
                again = None if passing_since is None or tries >= MAX_FAILURES \
                    else passing_since + pause(tries)
                inbound.store_failure(conn, inbound_id, error, again, again=True)
        except Exception as exc:
            if not database.transient(exc):
                raise
            log.warning("could not record the failure of inbound %s: %s", inbound_id,
                        database.describe(exc))  # its replay_at stands: the worker comes back to it
        return Replayed("failed", error)


def pause(failures: int) -> timedelta:
    """How long the worker waits before its next try, doubling from FIRST_PAUSE."""
    return min(FIRST_PAUSE * (1 << min(max(failures - 1, 0), 20)), LONGEST_PAUSE)
