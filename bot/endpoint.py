"""The WeChat endpoint: verify, open, dedupe, route, store and answer one push.

Everything a push causes is written in one transaction together with its
dedupe claim and the reply, so a retry of a handled push finds the reply and
runs nothing again, and a push is either recorded whole or not at all.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot import replies
from bot.protocol import (
    MAX_BODY,
    BodyTooLarge,
    InboundEnvelope,
    MessageCrypto,
    ProtocolError,
    ReplayedNonce,
    check_signature,
    open_envelope,
)
from bot.wiring import App
from handlers.inbound import HandlerContext, Inbound
from handlers.replies import Reply
from handlers.routing import route
from storage import inbound
from storage.uow import JoinedUnitOfWork

log = logging.getLogger("wxops.endpoint")

StartResponse = Any
PRUNE_ONE_IN = 256  # prune the replay guard on about one push in this many


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
        self.sessions = sessionmaker(app.engine, expire_on_commit=False)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            if method == "GET":
                return _ok(start_response, self.verify(query))
            if method != "POST":
                raise Refused(405, f"method {method} not allowed")
            return _ok(start_response, self.receive(query, _read_body(environ)))
        except Refused as refusal:
            log.warning("refused %s from %s: %s", refusal.status,
                        environ.get("REMOTE_ADDR", "?"), refusal.reason)
            return _status(start_response, refusal.status)

    def verify(self, query: dict[str, str]) -> bytes:
        """GET: WeChat checks the server when the URL is configured."""
        args = [query.get(k, "") for k in ("timestamp", "nonce", "signature")]
        if not all(args) or not check_signature(self.settings.token, *args):
            raise Refused(403, "bad signature on verification")
        return query.get("echostr", "").encode()

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
                                               _reply_nonce(envelope)).encode()
        return reply_xml.encode()

    def process(self, envelope: InboundEnvelope) -> str:
        now = datetime.now(UTC)
        try:
            with self.sessions() as session, session.begin():
                return self._in_transaction(session, envelope, now)
        except ReplayedNonce as exc:
            raise Refused(exc.status, exc.reason) from None
        except SQLAlchemyError:
            # Not recorded, so not accepted: a 503 makes WeChat retry rather than
            # losing the message behind a "success".
            log.exception("database unavailable; push not recorded")
            raise Refused(503, "database unavailable") from None

    def _in_transaction(self, session: Session, envelope: InboundEnvelope, now: datetime) -> str:
        if not inbound.nonce_is_fresh(session, envelope.timestamp, envelope.nonce,
                                      envelope.body_hash, now):
            raise ReplayedNonce("timestamp and nonce reused with a different body")
        if random.randrange(PRUNE_ONE_IN) == 0:
            retention = inbound.nonce_retention(self.settings.max_clock_skew)
            inbound.prune_nonces(session, now - retention)
        fields = dict(envelope.message)
        claim = inbound.claim(session, fields, authenticated=envelope.authenticated,
                              mode=envelope.mode, now=now)
        if not claim.is_new:
            return claim.previous_reply or ""
        assert claim.inbound_id is not None
        msg = Inbound.from_fields(fields, envelope.authenticated)
        reply_xml, error = self._handle(session, msg, claim.inbound_id, now)
        inbound.store_reply(session, claim.inbound_id, reply_xml, now, error)
        return reply_xml

    def _handle(self, session: Session, msg: Inbound, inbound_id: int,
                now: datetime) -> tuple[str, str]:
        """Run the handler in a savepoint: if it fails, its writes go, the push stays."""
        ctx = HandlerContext(
            session=session, now=now, tz=self.settings.tz, hours=self.settings.hours,
            complaint_words=self.settings.complaint_word_list, inbound_id=inbound_id,
            joined_uow=lambda: JoinedUnitOfWork(session, clock=lambda: now),
        )
        try:
            with session.begin_nested():
                reply: Reply = route(msg)(ctx, msg)
                return replies.render(reply, msg), ""
        except Exception as exc:  # one place for the unexpected: log, still answer in time
            log.exception("handler failed for %s %s from %s (inbound %s)",
                          msg.msg_type, msg.event, msg.openid, inbound_id)
            return "", f"{type(exc).__name__}: {exc}"


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise Refused(400, "bad Content-Length") from None
    if length > MAX_BODY:
        raise Refused(BodyTooLarge.status, f"body of {length} bytes")
    body = environ["wsgi.input"].read(min(length, MAX_BODY + 1)) if length > 0 else b""
    if len(body) > MAX_BODY:
        raise Refused(BodyTooLarge.status, "body too large")
    return bytes(body)


def _reply_nonce(envelope: InboundEnvelope) -> str:
    return envelope.nonce if envelope.nonce.isalnum() else str(random.randrange(10**9))


def _ok(start_response: StartResponse, body: bytes) -> list[bytes]:
    content_type = "application/xml; charset=utf-8" if body.startswith(b"<") else \
        "text/plain; charset=utf-8"
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
