"""The WeChat endpoint: verify, open, dedupe, route, store and answer one push.

Everything a push causes is written in one transaction together with its
dedupe claim and the reply, so a retry of a handled push finds the reply and
runs nothing again, and a push is either recorded whole or not at all.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from bot import replies
from bot.crypto import REPLY_FIELD
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
from bot.wiring import App
from handlers.digest import with_held_notices
from handlers.inbound import HandlerContext, Inbound
from handlers.replies import Reply
from handlers.routing import prepare, route
from storage import inbound
from storage.db import KeptConnections, write_lock
from storage.uow import JoinedUnitOfWork

log = logging.getLogger("wxops.endpoint")

StartResponse = Any


class HandlerFailed(Exception):
    """A handler raised: its writes are undone, the push is recorded with the error."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


class WeChatEndpoint:
    def __init__(self, app: App) -> None:
        s = app.settings
        self.settings = s
        self.crypto = (MessageCrypto(s.token, s.encoding_aes_key, s.app_id,
                                     s.encoding_aes_key_previous or None)
                       if s.encoding_aes_key else None)
        self.engine = app.engine
        self.connections = KeptConnections(app.engine)
        self.hours = s.hours
        # With an EncodingAESKey, only safe-mode (authenticated) bodies may change
        # things; without one, a deployment must opt in explicitly (WECHAT.md).
        self.plaintext_commands = s.allow_plaintext_commands and not s.encoding_aes_key
        self.complaint_words = s.complaint_word_list

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            if method == "GET":
                return _ok(start_response, self.verify(query), _TEXT)
            if method != "POST":
                raise Refused(405, f"method {method} not allowed")
            reply = _ok(start_response, self.receive(query, _read_body(environ)))
            if self.connections.checkpoint_due():
                return _ThenCheckpoint(reply, self.connections.checkpoint)
            return reply
        except Refused as refusal:
            log.warning("refused %s from %s: %s", refusal.status,
                        environ.get("REMOTE_ADDR", "?"), refusal.reason)
            return _status(start_response, refusal.status)

    def verify(self, query: dict[str, str]) -> bytes:
        """GET: WeChat checks the server when the URL is configured."""
        try:
            return check_verification(query, token=self.settings.token, now=int(time.time()),
                                      max_skew=self.settings.max_clock_skew).encode()
        except ProtocolError as exc:
            raise Refused(exc.status, exc.reason) from None

    def receive(self, query: dict[str, str], body: bytes) -> bytes:
        try:
            envelope = open_envelope(query, body, token=self.settings.token, crypto=self.crypto,
                                     now=int(time.time()),
                                     max_skew=self.settings.max_clock_skew)
        except ProtocolError as exc:
            raise Refused(exc.status, exc.reason) from None
        reply_xml = self.process(envelope)
        if not reply_xml:
            return b"success"
        if envelope.encrypted and self.crypto is not None:
            return self.crypto.encrypted_reply(reply_xml, str(envelope.timestamp),
                                               _reply_nonce(envelope),
                                               key=envelope.aes_key).encode()
        return reply_xml.encode()

    def process(self, envelope: InboundEnvelope) -> str:
        now = datetime.now(UTC)
        try:
            try:
                return self._record_and_handle(envelope, now)
            except DBAPIError as exc:
                if not exc.connection_invalidated:
                    raise
                # A kept connection the server dropped (a restart): nothing was
                # committed on it, or dedupe answers the retry with the stored reply.
                log.warning("database connection lost; recording the push on a new one")
                return self._record_and_handle(envelope, now)
        except ReplayedNonce as exc:
            raise Refused(exc.status, exc.reason) from None
        except SQLAlchemyError:
            # Not recorded, so not accepted: a 503 makes WeChat retry rather than
            # losing the message behind a "success".
            log.exception("database unavailable; push not recorded")
            raise Refused(503, "database unavailable") from None

    def _record_and_handle(self, envelope: InboundEnvelope, now: datetime) -> str:
        # The connection is taken, the push's row built and the rules matched
        # before the write lock is taken: the lock is held for writing only.
        with self.connections.connection() as conn:
            push = inbound.record(conn, dict(envelope.message), now=now,
                                  authenticated=envelope.authenticated, mode=envelope.mode)
            msg = Inbound.from_fields(envelope.message, envelope.authenticated)
            ctx = self._context(conn, now)
            self._prepare(ctx, msg)
            try:
                with write_lock(self.engine), conn.begin():
                    return self._in_transaction(ctx, msg, envelope, push)
            except HandlerFailed as failed:
                with write_lock(self.engine), conn.begin():
                    return self._record_failure(conn, envelope, push, now, failed.error)

    @staticmethod
    def _claim(conn: Connection, envelope: InboundEnvelope,
               push: inbound.Record) -> inbound.Claim:
        # An authenticated body is covered by msg_signature: a reused pair can
        # only bring the same body back, which dedupe answers as a retry.
        if not envelope.authenticated and not inbound.nonce_is_fresh(
                conn, envelope.timestamp, envelope.nonce, envelope.body_hash):
            raise ReplayedNonce("timestamp and nonce reused with a different body")
        return inbound.claim(conn, push)

    def _in_transaction(self, ctx: HandlerContext, msg: Inbound, envelope: InboundEnvelope,
                        push: inbound.Record) -> str:
        claim = self._claim(ctx.conn, envelope, push)
        if claim.inbound_id is None:
            return claim.previous_reply or ""
        ctx.inbound_id = claim.inbound_id
        reply_xml = self._handle(ctx, msg)
        inbound.store_reply(ctx.conn, claim.inbound_id, reply_xml, ctx.now)
        return reply_xml

    def _record_failure(self, conn: Connection, envelope: InboundEnvelope,
                        push: inbound.Record, now: datetime, error: str) -> str:
        """Second transaction after a handler failed: keep the push, answer success."""
        claim = self._claim(conn, envelope, push)
        if claim.inbound_id is None:  # a concurrent retry was handled meanwhile
            return claim.previous_reply or ""
        inbound.store_reply(conn, claim.inbound_id, "", now, error)
        return ""

    @staticmethod
    def _prepare(ctx: HandlerContext, msg: Inbound) -> None:
        try:  # reads no database: the rules are this process's copy
            prepare(ctx, msg)
        except Exception:  # the handler matches again and its errors are kept
            log.exception("matching the rules before the write lock failed for %s from %s",
                          msg.msg_type, msg.openid)

    def _context(self, conn: Connection, now: datetime) -> HandlerContext:
        return HandlerContext(
            conn=conn, now=now, tz=self.settings.tz, hours=self.hours,
            complaint_words=self.complaint_words,
            joined_uow=lambda: JoinedUnitOfWork(conn, clock=lambda: now),
            plaintext_commands=self.plaintext_commands,
            reply_sla_minutes=self.settings.reply_sla,
        )

    def _handle(self, ctx: HandlerContext, msg: Inbound) -> str:
        try:
            reply: Reply = route(msg)(ctx, msg)
            return replies.render(with_held_notices(ctx, msg, reply), msg)
        except Exception as exc:  # one place for the unexpected: log, still answer in time
            log.exception("handler failed for %s %s from %s (inbound %s)",
                          msg.msg_type, msg.event, msg.openid, ctx.inbound_id)
            raise HandlerFailed(f"{type(exc).__name__}: {exc}") from exc


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
        raise Refused(400, "bad Content-Length")
    elif (length := int(declared)) > MAX_BODY:
        raise Refused(BodyTooLarge.status, f"body of {length} bytes")
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    if len(body) > MAX_BODY:
        raise Refused(BodyTooLarge.status, "body too large")
    return bytes(body)


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
                              ("Content-Length", str(len(body)))])
    return [body]


_REASONS = {400: "Bad Request", 403: "Forbidden", 405: "Method Not Allowed",
            413: "Payload Too Large", 503: "Service Unavailable"}


def _status(start_response: StartResponse, status: int) -> list[bytes]:
    body = f"{status} {_REASONS.get(status, 'Error')}\n".encode()
    start_response(f"{status} {_REASONS.get(status, 'Error')}",
                   [("Content-Type", "text/plain; charset=utf-8"),
                    ("Content-Length", str(len(body)))])
    return [body]
