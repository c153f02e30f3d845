"""Follower routes: welcome, keyword rules, menu clicks, and the reply queue."""

from __future__ import annotations

from handlers import surveys, texts
from handlers.inbound import HandlerContext, Inbound, RuleQuestion
from handlers.replies import NewsReply, Reply, TextReply
from handlers.texts import TextSource
from workflow import ticket_cases
from workflow.autoreply import ReplyKind, Rule
from workflow.follower_push import Acknowledgement

SCENE_PREFIX = "qrscene_"
AWAY = "_away"  # the out-of-hours variant of an acknowledgement's text


def on_subscribe(ctx: HandlerContext, msg: Inbound) -> Reply:
    key = msg.text("EventKey")
    scene = key[len(SCENE_PREFIX):] if key.startswith(SCENE_PREFIX) else None
    ctx.touch(msg.openid, "event", subscribed=True, scene=scene)
    return TextReply(texts.render("welcome", ctx.texts))


def on_unsubscribe(ctx: HandlerContext, msg: Inbound) -> Reply:
    follower_id = ctx.touch(msg.openid, "none", subscribed=False)
    ticket_cases.follower_left(ctx.joined_uow(), follower_id, ctx.now)
    return None


def on_event(ctx: HandlerContext, msg: Inbound) -> Reply:
    """SCAN and the scan-code menus: the interaction, which opens a 1-minute
    customer-service window."""
    ctx.touch(msg.openid, "event")
    return None


def on_seen(ctx: HandlerContext, msg: Inbound) -> Reply:
    """VIEW, location reports and the photo and location menus: the follower was
    there, but WeChat opens no customer-service window for these."""
    ctx.touch(msg.openid, "seen")
    return None


def on_click(ctx: HandlerContext, msg: Inbound) -> Reply:
    follower_id = ctx.touch(msg.openid, "event")
    started = surveys.clicked(ctx, msg.openid, follower_id, msg.text("EventKey"))
    if started is not None:
        return started
    question = rule_question(msg)
    return _rule_reply(ctx, ctx.rule_for(question) if question else None)


def rule_question(msg: Inbound) -> RuleQuestion | None:
    """What a follower's push asks the auto-reply rules, if anything: the text of a
    message, the recognised speech of a voice message, or the key of a menu click."""
    if msg.msg_type == "text":
        text = msg.text("Content")
    elif msg.msg_type == "voice":
        text = msg.text("Recognition")
    elif msg.msg_type == "event" and msg.event == "click":
        return (None, msg.text("EventKey"))
    else:
        return None
    return (text, None) if text else None


def on_text(ctx: HandlerContext, msg: Inbound, follower_id: int) -> Reply:
    """A follower's text. ``handlers.routing.on_text`` has recorded the sender
    (``follower_id``) to find out they are not staff. A follower in a survey
    answers it; a survey's keyword starts one (handlers.surveys)."""
    text = msg.text("Content")
    return (surveys.answered(ctx, follower_id, text)
            or _answer_or_queue(ctx, msg, follower_id, "text", text))


def on_voice(ctx: HandlerContext, msg: Inbound) -> Reply:
    """Voice with WeChat's speech recognition is routed like the recognised text;
    in a survey it is no answer (the question is asked again)."""
    follower_id = ctx.touch(msg.openid, "message")
    if ctx.in_survey and (asked := surveys.answered(ctx, follower_id, None)) is not None:
        return asked
    return _answer_or_queue(ctx, msg, follower_id, "voice", msg.text("Recognition"),
                            shown=describe(msg))


def on_media(ctx: HandlerContext, msg: Inbound) -> Reply:
    follower_id = ctx.touch(msg.openid, "message")
    if ctx.in_survey and (asked := surveys.answered(ctx, follower_id, None)) is not None:
        return asked
    return _queue(ctx, follower_id, msg.msg_type, describe(msg))


def _answer_or_queue(ctx: HandlerContext, msg: Inbound, follower_id: int, kind: str,
                     text: str, shown: str | None = None) -> Reply:
    question = rule_question(msg)
    rule = ctx.rule_for(question) if question else None
    if rule is not None:
        return _rule_reply(ctx, rule)
    return _queue(ctx, follower_id, kind, shown or text or describe(msg))


def _queue(ctx: HandlerContext, follower_id: int, kind: str, content: str) -> Reply:
    arrived = ticket_cases.receive(ctx.tickets, follower_id, kind, content, ctx.inbound_id,
                                   ctx.now, ctx.complaint_words)
    text = arrived.acknowledgement
    if text is None:
        return None
    if text == "ack":
        return _acknowledge(ctx, text, ticket_id=arrived.ticket_id)
    return _acknowledge(ctx, text, ticket_id=arrived.ticket_id, complaint=arrived.complaint)


def _acknowledge(ctx: HandlerContext, text: str, **context: object) -> Reply:
    """The acknowledgement ``text``, or its out-of-hours variant (``text``_away)."""
    if ctx.hours.is_open(ctx.local_now):
        return TextReply(texts.render(text, ctx.texts, **context))
    return TextReply(texts.render(f"{text}_away", ctx.texts, hours=ctx.hours.describe(),
                                  **context))


def acknowledged(ctx: HandlerContext, ack: Acknowledgement, source: TextSource) -> Reply:
    """An acknowledgement recorded by the push's one statement (or kept for its
    retries), rendered as ``_queue`` renders it; ``source`` has the admin's text."""
    context: dict[str, object] = {"ticket_id": ack.ticket_id}
    if ack.text.removesuffix(AWAY) != "ack":
        context["complaint"] = ack.complaint
    if ack.text.endswith(AWAY):
        context["hours"] = ctx.hours.describe()
    return TextReply(texts.render(ack.text, source, **context))


def _rule_reply(ctx: HandlerContext, rule: Rule | None) -> Reply:
    if rule is None:
        return None
    ctx.store.count_hit(rule)
    return rule_reply(rule)


def rule_reply(rule: Rule) -> Reply:
    """What ``rule`` answers (its hit counted by the caller)."""
    if rule.reply_kind is ReplyKind.NEWS:
        return NewsReply(rule.articles)
    return TextReply(rule.reply_text)


def describe(msg: Inbound) -> str:
    """A one-line rendering of a non-text message for the staff queue."""
    t = msg.text
    match msg.msg_type:
        case "image":
            return texts.phrase("described", "image", url=t("PicUrl"))
        case "voice":
            return texts.phrase("described", "voice", recognition=t("Recognition"))
        case "video" | "shortvideo":
            return texts.phrase("described", "video", media_id=t("MediaId"))
        case "location":
            return texts.phrase("described", "location", label=t("Label"), x=t("Location_X"),
                                y=t("Location_Y"))
        case "link":
            return texts.phrase("described", "link", title=t("Title"), url=t("Url"))
        case _:
            return texts.phrase("described", "other", kind=msg.msg_type)
