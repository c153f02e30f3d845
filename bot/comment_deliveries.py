"""The outbox kinds of article comments: a reply under a comment, featuring or
deleting one, and opening or closing an article's comments (bot/deliveries.py
registers them and what each calls, ``KIND_CALLS``)."""

from __future__ import annotations

from bot.sender import Delivery, Outcome
from bot.wiring import platform_records as platform
from workflow.tickets import Delivery as Sent

#: The platform calls each kind makes (gateway.NEEDS says what they need).
COMMENT_CALLS: dict[str, tuple[str, ...]] = {
    "comment_reply": ("comment_reply",),
    "comment_action": ("comment_action",),
    "comment_switch": ("comment_open",),
}


def comment_reply(d: Delivery) -> Outcome:
    """A staff answer to a comment ticket, as the reply under the comment."""
    p = d.row.payload
    message_id = int(p["message_id"])
    d.call_once(lambda: d.gateway.comment_reply(str(p["msg_data_id"]), int(p["index"]),
                                                int(p["user_comment_id"]), str(p["text"])))
    return Outcome("sent", follow_up=[
        lambda c: platform.set_delivery(c, message_id, Sent.SENT)])


def comment_action(d: Delivery) -> Outcome:
    """markelect or delete the comment."""
    p = d.row.payload
    d.call_once(lambda: d.gateway.comment_action(str(p["action"]), str(p["msg_data_id"]),
                                                 int(p["index"]), int(p["user_comment_id"])))
    return Outcome("sent")


def comment_switch(d: Delivery) -> Outcome:
    """Open or close a published article's comments."""
    p = d.row.payload
    where = (str(p["msg_data_id"]), int(p["index"]))
    if p["open"]:
        d.call_once(lambda: d.gateway.comment_open(*where))
    else:
        d.call_once(lambda: d.gateway.comment_close(*where))
    return Outcome("sent")


HANDLERS = {"comment_reply": comment_reply, "comment_action": comment_action,
            "comment_switch": comment_switch}
