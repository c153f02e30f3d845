"""Staff notices that could not be sent (window closed, no template) ride along
with the passive reply to the person's next message."""

from __future__ import annotations

from handlers import notices, texts
from handlers.inbound import HandlerContext, Inbound
from handlers.replies import Reply, TextReply
from storage import outbox


def with_held_notices(ctx: HandlerContext, msg: Inbound, reply: Reply) -> Reply:
    if msg.msg_type == "event" and msg.event not in ("click", "subscribe", "scan"):
        return reply
    if reply is not None and not isinstance(reply, TextReply):
        return reply  # a news reply cannot carry text; the notices wait for the next one
    if ctx.staff(msg.openid) is None:
        return reply  # only staff notices are ever held
    held = outbox.take_held(ctx.conn, msg.openid, ctx.now)
    if not held:
        return reply
    return TextReply(texts.render("digest", reply=reply.text if reply else "",
                                  notices=notices.show(ctx.conn, held)))
