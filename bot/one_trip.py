"""A follower's text in one round trip on PostgreSQL (``storage.one_trip``).

The endpoint asks this first. A text the follower routing alone answers
(``handlers.one_trip.plan``) is recorded whole by one statement: the replay
guard, the claim, the follower, the rule's hit or the ticket log. The reply
is the rule's (rendered before, stored with the claim) or the
acknowledgement the statement decided (rendered after, from what it kept
for the push's retries). Anything else, and a sender the statement cannot
finish alone (staff, a follower in a survey), answers None: nothing was
written, and the endpoint handles the push the usual way.

A passing fault (a lost connection) is raised for the endpoint to try again
as it does any push's; any other database error is logged and the push
takes the usual way, which keeps it for a person if it fails there too.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from bot import replies
from bot.protocol import InboundEnvelope, ReplayedNonce
from bot.seams import PushRecord
from bot.wiring import database
from bot.wiring import one_trip_pushes as pushes
from handlers.follower import acknowledged, rule_question
from handlers.inbound import HandlerContext, Inbound
from handlers.one_trip import plan
from handlers.texts import TextSource
from workflow.follower_push import Acknowledgement, FollowerText, Nonce, OneTrip, PushStatus
from workflow.reply_queue import quiet_since

log = logging.getLogger("wxops.endpoint")


class Answered(NamedTuple):
    """The passive reply's XML ("" for success), and whether the push was a retry
    of one handled before (WeChat asking again)."""

    xml: str
    retry: bool


def answer(conn: Connection, ctx: HandlerContext, msg: Inbound, envelope: InboundEnvelope,
           push: PushRecord) -> Answered | None:
    """The answer to a push recorded in one statement, or None: handle it the
    usual way."""
    if not pushes.available(conn):
        return None
    _match_rules(conn, ctx, msg)
    planned = plan(ctx, msg)
    if planned is None:
        return None
    text = FollowerText(planned.content, planned.priority, planned.open, quiet_since(ctx.now),
                        planned.rule.id if planned.rule else None,
                        replies.render(planned.reply, msg))
    # Safe mode's pair too (bot.endpoint's _claim says why).
    nonce = Nonce(envelope.timestamp, envelope.nonce, envelope.body_hash)
    try:
        done = pushes.push(conn, push, nonce, text)
    except DBAPIError as exc:
        if database.transient(exc):
            raise
        log.exception("the one-statement push failed for %s; handled the usual way",
                      msg.openid)
        return None
    if done.status is PushStatus.REPLAYED:
        if envelope.authenticated:  # never refused for its pair (bot.endpoint's _claim)
            return None
        raise ReplayedNonce("timestamp and nonce reused with a different body")
    if done.status is PushStatus.FALLBACK:
        return None
    return Answered(done.reply or _acknowledgement(ctx, msg, done),
                    done.status is PushStatus.RETRY)


def _match_rules(conn: Connection, ctx: HandlerContext, msg: Inbound) -> None:
    """A text's rule matched against the rules read afresh, when this process's
    copy was too old to match before (once in ``RULES_CACHE_SECONDS`` a process)."""
    question = rule_question(msg)
    if msg.msg_type == "text" and question is not None and not ctx.prematched(question)[0]:
        with conn.begin():
            ctx.rule_for(question)


def _acknowledgement(ctx: HandlerContext, msg: Inbound, done: OneTrip) -> str:
    if done.acknowledgement is None:
        return ""
    return again(ctx, msg, done.acknowledgement, _Override(done.acknowledgement, done.override))


def again(ctx: HandlerContext, msg: Inbound, ack: Acknowledgement,
          source: TextSource | None = None) -> str:
    """An acknowledgement's XML, as rendered when its push was recorded (a retry's,
    with the admin's text read through the push's context unless given)."""
    return replies.render(acknowledged(ctx, ack, source or ctx.texts), msg, ack.at)


class _Override:
    """The admin's version of the acknowledgement's text, as the statement read it."""

    def __init__(self, ack: Acknowledgement, body: str | None) -> None:
        self.key, self.body = ack.text, body

    def override(self, key: str) -> str | None:
        return self.body if key == self.key else None
