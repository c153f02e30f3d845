"""The WeChat endpoint: verify, open, dedupe, route, store and answer one push.

Everything a push causes is written in one transaction together with its
dedupe claim and the reply, so a retry of a handled push finds the reply and
runs nothing again, and a push is either recorded whole or not at all.

A push that cannot be handled is never answered ``success`` unless it is
recorded: a handler's bug keeps it with the error for a person (``wxops
inbound errors``, ``replay``); a database that is busy or slow past the
push's budget keeps it for the worker to handle a moment later; a database
that takes not even that gets a 503, and WeChat sends the push again.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from bot import one_trip, replies
from bot.crypto import REPLY_FIELD
from bot.handling import Contexts, HandlerFailed, handle
from bot.metrics import PushMeter
from bot.protocol import (
    MAX_BODY,
    BodyTooLarge,
    InboundEnvelope,
    MessageCrypto,
    ProtocolError,
    ReplayedNonce,
    check_verification,
    open_envelope,
)
from bot.seams import PushClaim, PushRecord
from bot.wiring import App, database
from bot.wiring import inbound_log as inbound
from handlers.digest import with_held_notices
from handlers.inbound import HandlerContext, Inbound
from handlers.replies import Reply
from handlers.routing import prepare

log = logging.getLogger("wxops.endpoint")

#: Bound once: the hot path finds them as module globals, at no cost for the seam.
write_lock, transient, describe = database.write_lock, database.transient, database.describe

StartResponse = Any

#: Seconds a push may spend on the database in all: WeChat gives up at 5 s.
PUSH_BUDGET = 2.5
#: Seconds one wait for another writer may last (the write lock; SQLite's busy
#: timeout; PostgreSQL's statement and lock timeouts on the endpoint's connections).
DATABASE_WAIT = 1.0
#: Tries at handling a push before it is kept for the worker instead.
HANDLE_TRIES = 2
#: How soon the worker handles a push kept after a passing fault.
REPLAY_AFTER = timedelta(seconds=2)


class Refused(Exception):
    """``code``: the refusal's kind, a word (the label of ``wxops_pushes_total``)."""

    def __init__(self, status: int, reason: str, code: str) -> None:
        super().__init__(reason)
        self.status, self.reason, self.code = status, reason, code

    @classmethod
    def of(cls, exc: ProtocolError) -> Refused:
        return cls(exc.status, exc.reason, _snake(type(exc).__name__))


class WeChatEndpoint:
    def __init__(self, app: App) -> None:
        s = app.settings
        self.settings = s
        self.crypto = (MessageCrypto(s.token, s.encoding_aes_key, s.app_id,
                                     s.encoding_aes_key_previous or None)
                       if s.encoding_aes_key else None)
        self.engine = app.engine
        self.connections = app.kept_connections(wait=DATABASE_WAIT)
        self.contexts = Contexts(s)
        self.meter = PushMeter()
        #: What became of the push this thread handles (a PUSH_OUTCOMES word).
        self.outcome = threading.local()
        # The database's clock, not this host's: what a push writes (an outbox row
        # due now, a confirmation's expiry) is read by other hosts (bot/clock.py).
        self.clock = app.clock

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started, outcome, reason = time.perf_counter(), "error", ""
        self.outcome.value = outcome
        try:
            reply = self._answer(environ, start_response)
            outcome = self.outcome.value
            return reply
        except Refused as refusal:
            log.warning("refused %s from %s: %s", refusal.status,
                        environ.get("REMOTE_ADDR", "?"), refusal.reason)
            outcome = "unavailable" if refusal.status == 503 else "refused"
            reason = refusal.code
            return _status(start_response, refusal.status)
        finally:
            self.meter(outcome, reason, time.perf_counter() - started)

    def _answer(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "GET":
            reply = _ok(start_response, self.verify(query), _TEXT)
            self.outcome.value = "verification"
            return reply
        if method != "POST":
            raise Refused(405, f"method {method} not allowed", "method")
        reply = _ok(start_response, self.receive(query, _read_body(environ)))
        if self.connections.checkpoint_due():
            return _ThenCheckpoint(reply, self.connections.checkpoint)
        return reply

    def verify(self, query: dict[str, str]) -> bytes:
        """GET: WeChat checks the server when the URL is configured."""
        try:
            return check_verification(query, token=self.settings.token, now=int(time.time()),
                                      max_skew=self.settings.max_clock_skew).encode()
        except ProtocolError as exc:
            raise Refused.of(exc) from None

    def receive(self, query: dict[str, str], body: bytes) -> bytes:
        try:
            envelope = open_envelope(query, body, token=self.settings.token, crypto=self.crypto,
                                     now=int(time.time()),
                                     max_skew=self.settings.max_clock_skew)
        except ProtocolError as exc:
            raise Refused.of(exc) from None
        reply_xml = self.process(envelope)
        if not reply_xml:
            return b"success"
        if envelope.encrypted and self.crypto is not None:
            return self.crypto.encrypted_reply(reply_xml, str(envelope.timestamp),
                                               _reply_nonce(envelope),
                                               key=envelope.aes_key).encode()
        return reply_xml.encode()

    def process(self, envelope: InboundEnvelope) -> str:
        """The push handled, or kept for the worker to handle; a 503 (WeChat
        tries again) only when the database takes neither in time."""
        now, budget = self.clock(), _Budget(time.monotonic() + PUSH_BUDGET)
        try:
            return self._handle_or_keep(envelope, now, budget)
        except ReplayedNonce as exc:
            raise Refused.of(exc) from None
        except (SQLAlchemyError, database.WriteLockBusy) as exc:
            # Not recorded, so not accepted: a 503 makes WeChat retry rather than
            # losing the message behind a "success".
            log.error("database unavailable; push not recorded: %s", describe(exc))
            raise Refused(503, "database unavailable", "database") from None

    def _handle_or_keep(self, envelope: InboundEnvelope, now: datetime, budget: _Budget) -> str:
        """A passing fault (a busy or slow database, a dropped connection) undoes
        the push's transaction, claim included: try again while there is time,
        then record the push alone for the worker to handle (``replay_at``)."""
        fault: Exception | None = None
        for _ in range(HANDLE_TRIES):
            if fault is not None and budget.left() < DATABASE_WAIT:
                break
            try:
                return self._record_and_handle(envelope, now, budget)
            except Exception as exc:
                if not transient(exc):
                    raise
                log.warning("handling %s failed on a passing database fault: %s",
                            envelope.message.get("MsgType"), describe(exc))
                fault = exc
        assert fault is not None
        return self._keep(envelope, now, budget, describe(fault), now + REPLAY_AFTER)

    def _record_and_handle(self, envelope: InboundEnvelope, now: datetime,
                           budget: _Budget) -> str:
        # The connection is taken, the push's row built and the rules matched
        # before the write lock is taken: the lock is held for writing only.
        with self.connections.connection() as conn:
            push = inbound.record(conn, dict(envelope.message), now=now,
                                  authenticated=envelope.authenticated, mode=envelope.mode)
            msg = Inbound.from_fields(envelope.message, envelope.authenticated)
            ctx = self.contexts(conn, now)
            self._prepare(ctx, msg)
            answered = one_trip.answer(conn, ctx, msg, envelope, push)
            if answered is not None:
                self.outcome.value = ("duplicate" if answered.retry
                                      else "replied" if answered.xml else "success")
                return answered.xml
            try:
                with write_lock(self.engine, within=budget.wait()), conn.begin():
                    return self._in_transaction(conn, ctx, msg, envelope, push)
            except HandlerFailed as failed:
                with write_lock(self.engine, within=budget.wait()), conn.begin():
                    return self._store_failure(conn, envelope, push, failed.error, None)

    def _keep(self, envelope: InboundEnvelope, now: datetime, budget: _Budget, error: str,
              replay_at: datetime | None) -> str:
        with self.connections.connection() as conn:
            push = inbound.record(conn, dict(envelope.message), now=now,
                                  authenticated=envelope.authenticated, mode=envelope.mode)
            with write_lock(self.engine, within=budget.wait()), conn.begin():
                return self._store_failure(conn, envelope, push, error, replay_at)

    @staticmethod
    def _claim(conn: Connection, envelope: InboundEnvelope,
               push: PushRecord) -> PushClaim:
        # Every mode's pair is remembered, safe mode's too: msg_signature binds an
        # encrypted body to its pair, but the same query without encrypt_type and
        # msg_signature (as an access log shows it) still passes the plain-mode
        # signature, with any body. A genuine retry brings the same body back.
        # An authenticated push is never refused for its pair: msg_signature
        # vouches for its body, whatever a plain push brought with the pair first.
        fresh = inbound.nonce_is_fresh(conn, envelope.timestamp, envelope.nonce,
                                       envelope.body_hash)
        if not fresh and not envelope.authenticated:
            raise ReplayedNonce("timestamp and nonce reused with a different body")
        return inbound.claim(conn, push)

    def _in_transaction(self, conn: Connection, ctx: HandlerContext, msg: Inbound,
                        envelope: InboundEnvelope, push: PushRecord) -> str:
        claim = self._claim(conn, envelope, push)
        if claim.inbound_id is None:
            return self._previous(conn, envelope, claim)
        ctx.inbound_id = claim.inbound_id
        reply_xml = handle(ctx, msg, _passive_reply)
        inbound.store_reply(conn, claim.inbound_id, reply_xml, ctx.now)
        self.outcome.value = "replied" if reply_xml else "success"
        return reply_xml

    def _store_failure(self, conn: Connection, envelope: InboundEnvelope, push: PushRecord,
                       error: str, replay_at: datetime | None) -> str:
        """A transaction of its own after handling failed: keep the push with the
        error (and when the worker tries it again), answer success."""
        claim = self._claim(conn, envelope, push)
        if claim.inbound_id is None:  # a concurrent retry was handled meanwhile
            return self._previous(conn, envelope, claim)
        inbound.store_failure(conn, claim.inbound_id, error, replay_at)
        self.outcome.value = "kept" if replay_at is not None else "failed"
        return ""

    def _previous(self, conn: Connection, envelope: InboundEnvelope, claim: PushClaim) -> str:
        """A retry's reply: the one stored, or the acknowledgement rendered again
        (a push recorded in one statement, ``bot.one_trip``)."""
        self.outcome.value = "duplicate"
        ack = claim.previous_acknowledgement
        if claim.previous_reply or ack is None:
            return claim.previous_reply or ""
        msg = Inbound.from_fields(envelope.message, envelope.authenticated)
        return one_trip.again(self.contexts(conn, self.clock()), msg, ack)

    @staticmethod
    def _prepare(ctx: HandlerContext, msg: Inbound) -> None:
        try:  # reads no database: the rules are this process's copy
            prepare(ctx, msg)
        except Exception:  # the handler matches again and its errors are kept
            log.exception("matching the rules before the write lock failed for %s from %s",
                          msg.msg_type, msg.openid)


def _passive_reply(ctx: HandlerContext, msg: Inbound, reply: Reply) -> str:
    return replies.render(with_held_notices(ctx, msg, reply), msg)


class _Budget:
    """What is left of the time a push may spend on the database."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def wait(self) -> float:
        """How long one wait for the write lock may last."""
        return max(0.0, min(DATABASE_WAIT, self.left()))


class _ThenCheckpoint:
    """A reply whose ``close`` checkpoints SQLite's WAL. The server closes a
    reply once it is sent (PEP 3333), so the follower does not wait for the
    checkpoint's disk syncs."""

    def __init__(self, reply: list[bytes], checkpoint: Callable[[], None]) -> None:
        self.reply, self.checkpoint = reply, checkpoint

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.reply)

    def close(self) -> None:
        self.checkpoint()


def _read_body(environ: dict[str, Any]) -> bytes:
    """The request body, refused past ``MAX_BODY`` without reading it all.

    A body without Content-Length (chunked) is read only where the server
    says the input ends with it (``wsgi.input_terminated``, as gunicorn
    does); elsewhere reading past the length could block, so it counts as
    empty.
    """
    declared = environ.get("CONTENT_LENGTH")
    if not declared:
        length = MAX_BODY + 1 if environ.get("wsgi.input_terminated") else 0
    elif not (declared.isascii() and declared.isdigit()):
        raise Refused(400, "bad Content-Length", "content_length")
    elif (length := int(declared)) > MAX_BODY:
        raise Refused(BodyTooLarge.status, f"body of {length} bytes", "body_too_large")
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    if len(body) > MAX_BODY:
        raise Refused(BodyTooLarge.status, "body too large", "body_too_large")
    return bytes(body)


def _snake(name: str) -> str:
    """``BadSignature`` as ``bad_signature``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _reply_nonce(envelope: InboundEnvelope) -> str:
    """The request's nonce, when a reply may carry it ("²" or "你" is alphanumeric
    to Python, and a signed request may bring anything)."""
    if REPLY_FIELD.fullmatch(envelope.nonce):
        return envelope.nonce
    return str(random.randrange(10**9))


_TEXT, _XML = "text/plain; charset=utf-8", "application/xml; charset=utf-8"


def _ok(start_response: StartResponse, body: bytes, content_type: str = "") -> list[bytes]:
    """200 with ``body``: XML when it is a reply in XML, otherwise text ("success",
    or the echostr, which is only ever text whatever it looks like)."""
    content_type = content_type or (_XML if body.lstrip().startswith(b"<") else _TEXT)
    start_response("200 OK", [("Content-Type", content_type),
                              ("Content-Length", str(len(body))),
                              ("X-Content-Type-Options", "nosniff")])  # text stays text
    return [body]


_REASONS = {400: "Bad Request", 403: "Forbidden", 405: "Method Not Allowed",
            413: "Payload Too Large", 503: "Service Unavailable"}


def _status(start_response: StartResponse, status: int) -> list[bytes]:
    body = f"{status} {_REASONS.get(status, 'Error')}\n".encode()
    headers = [("Content-Type", "text/plain; charset=utf-8"),
               ("Content-Length", str(len(body)))]
    if status == 405:  # RFC 9110 15.5.6: a 405 names the methods the resource takes
        headers.append(("Allow", "GET, POST"))
    start_response(f"{status} {_REASONS.get(status, 'Error')}", headers)
    return [body]
