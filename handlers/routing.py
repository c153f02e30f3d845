"""The routing table: one place maps every message and event type to its handler."""

from __future__ import annotations

from collections.abc import Callable

from handlers import follower, platform, staff_channel
from handlers.inbound import HandlerContext, Inbound
from handlers.replies import Reply

Handler = Callable[[HandlerContext, Inbound], Reply]

def on_text(ctx: HandlerContext, msg: Inbound) -> Reply:
    """A text is a staff command or a follower's message; which, the write that
    records the sender tells (staff have service windows too)."""
    follower_id = ctx.touch(msg.openid, "message")
    actor = ctx.staff(msg.openid)  # known from the touch when they are not staff
    if staff_channel.takes(actor, msg.text("Content")):
        return staff_channel.on_command(ctx, msg, actor)
    return follower.on_text(ctx, msg, follower_id)


MESSAGE_ROUTES: dict[str, Handler] = {
    "text": on_text,
    "voice": follower.on_voice,
    "image": follower.on_media,
    "video": follower.on_media,
    "shortvideo": follower.on_media,
    "location": follower.on_media,
    "link": follower.on_media,
}

EVENT_ROUTES: dict[str, Handler] = {
    "subscribe": follower.on_subscribe,
    "unsubscribe": follower.on_unsubscribe,
    "click": follower.on_click,
    "scan": follower.on_event,
    "scancode_push": follower.on_event,
    "scancode_waitmsg": follower.on_event,
    "view": follower.on_seen,
    "view_miniprogram": follower.on_seen,
    "location": follower.on_seen,
    "location_select": follower.on_seen,
    "pic_sysphoto": follower.on_seen,
    "pic_photo_or_album": follower.on_seen,
    "pic_weixin": follower.on_seen,
    "publishjobfinish": platform.on_publish_finish,
    "freepublishjobfinish": platform.on_publish_finish,
    "masssendjobfinish": platform.on_job_report,
    "templatesendjobfinish": platform.on_job_report,
}


def route(msg: Inbound) -> Handler:
    """The handler for a push. Unknown kinds are logged by the inbound log and answered
    with success, so a new WeChat event never breaks the account."""
    if msg.msg_type == "event":
        return EVENT_ROUTES.get(msg.event, _ignore)
    return MESSAGE_ROUTES.get(msg.msg_type, follower.on_media)


def prepare(ctx: HandlerContext, msg: Inbound) -> None:
    """Match, before the write lock, the rules the push's handler will ask about,
    so no regex runs under the lock. A staff member's command is matched too,
    for nothing: which of the two they are is only known from the write that
    records the sender (``HandlerContext.touch``)."""
    question = follower.rule_question(msg)
    if question is not None:
        ctx.prematch(question)


def _ignore(ctx: HandlerContext, msg: Inbound) -> Reply:
    return None
