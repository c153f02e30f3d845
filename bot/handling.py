"""Handling one push, wherever it comes from: the endpoint as WeChat pushes it, or
a replay of one whose handling failed (``bot.inbound_replay``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection

from bot import surveys
from bot.config import Settings
from bot.links import addresses_for_chat
from bot.wiring import (
    database,
    joined_uow,
    learnt_capabilities,
    push_store,
    push_texts,
    survey_answers,
    ticket_inbox,
)
from handlers.inbound import HandlerContext, Inbound
from handlers.replies import Reply
from handlers.routing import route
from workflow.capabilities import Capabilities, Capability, LearntMissing, learnt

log = logging.getLogger("wxops.endpoint")

class HandlerFailed(Exception):
    """A handler raised what asking again will not mend (a bug, bad data): its
    writes are undone and the push is kept with the error for a person."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class Contexts:
    """Builds each push's ``HandlerContext`` from settings read once: parsing the
    office hours on every push would cost more than some handlers."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.hours = settings.hours
        self.complaint_words = settings.complaint_word_list
        self.recheck_days = settings.recheck_intervals  # parsed: a property parses each time
        self.tz = settings.tz
        # With an EncodingAESKey, only safe-mode (authenticated) bodies may change
        # things; without one, a deployment must opt in explicitly (WECHAT.md).
        self.plaintext_commands = (settings.allow_plaintext_commands
                                   and not settings.encoding_aes_key)
        #: The table for the settings' kind; a staff command asks it less what the
        #: platform refused (48001), read afresh (two hosts must agree at once).
        self.table = Capabilities(settings.kind)
        self.pages = addresses_for_chat(settings)
        self.surveys = surveys.book(settings)

    def __call__(self, conn: Connection, now: datetime) -> HandlerContext:
        return HandlerContext(
            store=push_store(conn), now=now, tz=self.tz, hours=self.hours,
            complaint_words=self.complaint_words,
            joined_uow=lambda: joined_uow(conn, clock=lambda: now),
            texts=push_texts(conn),
            tickets=ticket_inbox(conn),
            plaintext_commands=self.plaintext_commands,
            reply_sla_minutes=self.settings.reply_sla,
            recheck_days=self.recheck_days,
            capabilities=self.table,
            learnt_capabilities=lambda: learnt(self.settings.kind, _learnt(conn)),
            pages=self.pages,
            surveys=self.surveys,
            survey_answers=lambda: survey_answers(conn),
        )


def _learnt(conn: Connection) -> dict[Capability, LearntMissing]:
    """Read only when a handler asks (a staff command: one small query), so no
    follower's push pays for it on the hot path. In the push's
    transaction (which may hold the write lock: on SQLite another connection
    would wait for it); on a connection of its own if none is open."""
    if conn.in_transaction():
        return learnt_capabilities.missing(conn)
    with conn.engine.connect() as own:
        return learnt_capabilities.missing(own)


#: What becomes of the handler's reply: the passive reply's XML ("" for success).
Answer = Callable[[HandlerContext, Inbound, Reply], str]


def handle(ctx: HandlerContext, msg: Inbound, answer: Answer) -> str:
    """Route the push and make the handler's reply into the answer. A database
    fault that passes (``database.transient``) is raised as it is, for the
    caller to try again; anything else unexpected is logged with its context
    and raised as ``HandlerFailed``."""
    try:
        return answer(ctx, msg, route(msg)(ctx, msg))
    except Exception as exc:
        if database.transient(exc):
            raise
        log.exception("handler failed for %s %s from %s (inbound %s)",
                      msg.msg_type, msg.event, msg.openid, ctx.inbound_id,
                      extra={"inbound_id": ctx.inbound_id})
        raise HandlerFailed(f"{type(exc).__name__}: {exc}") from exc
