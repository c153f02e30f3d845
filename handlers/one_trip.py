"""A follower's text that one statement can record whole (``bot.one_trip``):
what the push's handler would decide before it touches the database.

Only a text that the follower routing alone answers qualifies: not a staff
binding (绑定), not a survey's keyword, and with the rules matched already
from this process's copy (``HandlerContext.prematch``). Whether the sender is
staff or in a survey is known only to the database: the statement answers
"fallback" for them, having written nothing, and the push takes the usual way.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers import routing, staff_channel
from handlers.follower import rule_reply
from handlers.inbound import HandlerContext, Inbound
from handlers.replies import Reply
from workflow.autoreply import Rule
from workflow.survey_forms import MAX_KEYWORD_CHARS
from workflow.tickets import message_priority


@dataclass(frozen=True)
class Planned:
    """A follower's text as the handler would route it: answered by ``rule`` with
    ``reply``, or (no rule) logged to the queue at ``priority``."""

    content: str
    priority: int
    open: bool  # the office is open: the acknowledgement's variant
    rule: Rule | None = None
    reply: Reply = None


def plan(ctx: HandlerContext, msg: Inbound) -> Planned | None:
    """The follower text's route decided before the database, or None when only the
    usual path can tell (or it is not a follower's text)."""
    if msg.msg_type != "text" or routing.route(msg) is not routing.on_text:
        return None  # only the route this shortcuts, as the routing table has it
    text = msg.text("Content")
    if not text or staff_channel.takes(None, text):
        return None
    if len(text) <= MAX_KEYWORD_CHARS and ctx.surveys.by_keyword(text) is not None:
        return None
    matched, rule = ctx.prematched((text, None))
    if not matched:
        return None  # the process's copy of the rules is stale: the handler reads them
    if rule is not None:
        return Planned(text, 0, True, rule, rule_reply(rule))
    return Planned(text, message_priority(text, ctx.complaint_words),
                   ctx.hours.is_open(ctx.local_now))
