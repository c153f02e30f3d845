"""Text from a registered staff member is a command; everyone else is a follower
(``handlers.routing.on_text`` tells which, from the write that records the sender).

Non-staff who type a command word are simply followers (their text goes to the
rules and the queue): nothing tells an outsider that staff commands exist. The
one exception is 绑定 CODE, the way a new member joins.
"""

from __future__ import annotations

import unicodedata

from handlers.commands import dispatch
from handlers.commands.context import CommandContext
from handlers.commands.grammar import normalise
from handlers.inbound import HandlerContext, Inbound
from handlers.replies import Reply, TextReply
from workflow.roles import Actor

BIND_WORDS = ("绑定", "bind")


def takes(actor: Actor | None, text: str) -> bool:
    """Whether the text is for the staff channel: from a member, or a newcomer's 绑定."""
    return actor is not None or _is_bind(text)


def on_command(ctx: HandlerContext, msg: Inbound, actor: Actor | None) -> Reply:
    """Run a member's text (or a newcomer's 绑定 CODE) as a command."""
    text = msg.text("Content")
    newcomer = Actor(id=0, name=msg.openid, roles=frozenset())
    command_ctx = CommandContext(
        now=ctx.now, tz=ctx.tz, actor=actor or newcomer, openid=msg.openid,
        text=text, uow=ctx.joined_uow, reply_sla_minutes=ctx.reply_sla_minutes,
        recheck_days=ctx.recheck_days,
        capabilities=ctx.account_capabilities(), pages=ctx.pages)
    trusted = msg.authenticated or ctx.plaintext_commands
    return TextReply(dispatch.run(command_ctx, trusted))


def _is_bind(text: str) -> bool:
    # Every follower's text is asked: a short head rules most out before the
    # whole text is normalised.
    if not unicodedata.normalize("NFKC", text.lstrip()[:8]).lower().startswith(BIND_WORDS):
        return False
    # Only the command's shape: 绑定, 绑定 CODE or 绑定CODE, a code being ASCII letters and
    # digits. A follower's 绑定手机号怎么操作 or 绑定 会员卡失败了 is a message for the queue.
    words = normalise(text).lower().split(" ")
    first, rest = words[0], words[1:]
    if first in BIND_WORDS:
        return not rest or (len(rest) == 1 and _code_like(rest[0]))
    return not rest and any(first.startswith(w) and _code_like(first[len(w):])
                            for w in BIND_WORDS[:1])


def _code_like(word: str) -> bool:
    return word.isascii() and word.isalnum()
