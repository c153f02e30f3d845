"""One handler per outbox kind: what "deliver this row" means on the platform."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

from sqlalchemy import Connection

from bot import comment_deliveries
from bot.seams import OutboxRow
from bot.sender import DeadEnd, Delivery, Handler, Outcome, SentAfterAll
from bot.wechat_errors import (
    ArticleWithKeptImages,
    DuplicateClientMsgId,
    InvalidMediaId,
    OutsideReplyWindow,
    SendLimitExceeded,
    WeChatError,
)
from bot.wiring import archive_records as archive
from bot.wiring import incident_log as incidents
from bot.wiring import joined_uow
from bot.wiring import outbox_log as outbox
from bot.wiring import platform_records as platform
from bot.wiring import send_window as followers
from handlers import notices, texts
from workflow import kept_images, tickets, usecases
from workflow.capabilities import FULL, Capabilities, Capability
from workflow.checks.model import MAX_AUTHOR
from workflow.effects import SendReply
from workflow.model import Context
from workflow.states import State
from workflow.text import has_text
from workflow.tickets import Delivery as Sent  # bot.sender's Delivery is a row in flight
from workflow.usecases import MAX_DIGEST, MAX_TITLE
from workflow.window import Window
from workflow.window import window as window_of

log = logging.getLogger("wxops.deliveries")

COVER_ASSET = "default_cover_thumb"
#: The account's default cover, for a draft without its own (uploaded once).
DEFAULT_COVER = resources.files("bot").joinpath("assets/cover.jpg")
#: How long a notice about replies given up waits to gather the others given up
#: meanwhile (``WXOPS_OUTBOX_INCIDENT_SECONDS``).
INCIDENT = timedelta(seconds=60)


def notify(d: Delivery, template_id: str = "", capabilities: Capabilities = FULL) -> Outcome:
    """A staff notice: customer-service message inside the window, otherwise a
    template message when one is configured, otherwise held for the person's next
    message (delivered as a digest with the passive reply). Each way is tried only
    where the account may use it (``capabilities``): none meets 48001."""
    if d.delivered:  # neither the window nor the member's binding matters any more
        return Outcome("sent")
    payload = d.row.payload
    openid = d.read(lambda c: platform.staff_openid(c, int(payload["staff_id"])))
    if openid is None:
        return Outcome("dead", texts.phrase("delivery", "no_recipient"))
    current = d.read(lambda c: platform.item_versions(c, notices.items_named([payload])))
    text = notices.show([payload], current)[0]
    if capabilities.allows(Capability.CUSTOMER_SERVICE):
        reason = _as_customer_service(d, openid, text)
        if not reason:
            return Outcome("sent")
    else:
        reason = texts.phrase("delivery", "no_customer_service")
    if template_id and capabilities.allows(Capability.TEMPLATE_MESSAGE):
        d.call_once(lambda: d.gateway.send_template(
            openid, template_id, {"first": {"value": texts.phrase("delivery", "notice_title")},
                                  "keyword1": {"value": text[:200]}}))
        return Outcome("sent")
    return Outcome("held", reason, recipient=openid)


def _as_customer_service(d: Delivery, openid: str, text: str) -> str:
    """Send the notice as a customer-service message while the window is open:
    "" when it went, otherwise why the window is closed."""
    window = service_window(d, openid)
    if window.counter is None:
        return closed_reason(window)
    counter = window.counter
    try:
        d.call_once(lambda: d.gateway.send_text(openid, text),
                    also=lambda c: followers.count_send(c, openid, counter))
    except (OutsideReplyWindow, SendLimitExceeded) as exc:
        log.info("platform closed the window for %s: %s", openid, exc)
        return exc.reason
    return ""


def cs_reply(d: Delivery, incident: timedelta = INCIDENT) -> Outcome:
    """A staff member's answer to a follower's ticket."""
    p = d.row.payload
    openid, message_id = str(p["openid"]), int(p["message_id"])
    delivered = Outcome("sent", follow_up=[
        lambda c: platform.set_delivery(c, message_id, Sent.SENT)])
    if d.delivered:  # it arrived: however the window stands now, it is not refused
        return delivered
    window = service_window(d, openid)
    if window.counter is None:
        return _refused(d, closed_reason(window), incident)
    counter = window.counter
    try:
        d.call_once(lambda: d.gateway.send_text(openid, str(p["text"])),
                    also=lambda c: followers.count_send(c, openid, counter))
    except (OutsideReplyWindow, SendLimitExceeded) as exc:
        return _refused(d, exc.reason, incident)
    return delivered


def service_window(d: Delivery, openid: str) -> Window:
    """The person's customer-service window now (``workflow.window``)."""
    return window_of(d.read(lambda c: followers.interactions(c, openid)), d.now)


def closed_reason(window: Window) -> str:
    """Why the window is closed, as staff read it ("" while it is open)."""
    return texts.render("window_closed", why=window.closed_because) if not window.open else ""


def _refused(d: Delivery, reason: str, incident: timedelta) -> Outcome:
    row, now = d.row, d.now
    return Outcome("refused", reason, follow_up=[
        lambda conn: _reply_undelivered(conn, row, reason, now, False, incident)])


def reply_given_up(incident: timedelta = INCIDENT) -> DeadEnd:
    """A reply that went dead (refused for good, retried out, or sent with no answer
    and so perhaps delivered): the ticket and whoever wrote it are told, as for a
    reply the window refused; nobody is left thinking it is still on its way."""
    def given_up(conn: Connection, row: OutboxRow, outcome: Outcome, now: datetime) -> None:
        _reply_undelivered(conn, row, outcome.why, now, outcome.unconfirmed, incident)
    return given_up


def _reply_undelivered(conn: Connection, row: OutboxRow, reason: str, now: datetime,
                       unconfirmed: bool, incident: timedelta) -> None:
    """``unconfirmed``: the request went out and no answer came, so it may have
    arrived. Each ticket's history says so; its writer hears once per incident."""
    reply = SendReply.from_payload(row.payload)
    told = tickets.given_up(reply, row.id, reason, unconfirmed)
    platform.set_delivery(conn, reply.message_id, told.delivery)
    # The writer's lock before the note: the note's foreign key share-locks the
    # writer's row, and two lanes upgrading that to the lock would deadlock.
    incidents.tell(conn, told.notice.staff_id, told.notice.entry(), now, incident)
    _note(conn, reply, now,
          texts.phrase("outbox", "reply_note", reason=reason, unconfirmed=unconfirmed))


def reply_sent_after_all(conn: Connection, row: OutboxRow, now: datetime) -> None:
    """A reply parked as perhaps undelivered turned out delivered (its worker had
    stalled past the lease with the call in flight): the ticket's history says so
    below the warning, the notice not yet shown forgets it, and one already shown
    is corrected. (The message itself is marked sent by the reply's follow-up.)"""
    reply = SendReply.from_payload(row.payload)
    told = incidents.take_back(conn, reply.staff_id, row.id, row.created_at,
                               texts.phrase("outbox", "notice_cancelled"))  # locks first
    _note(conn, reply, now, texts.phrase("outbox", "reply_sent_note"))
    if told:
        notice = tickets.sent_after_all(reply, row.id)
        outbox.add(conn, notice.kind, notice.payload(), notice.key, now)


def _note(conn: Connection, reply: SendReply, now: datetime, content: str) -> None:
    """A note on the reply's ticket, in its writer's name."""
    uow = joined_uow(conn, clock=lambda: now)
    with uow:
        uow.tickets.add_note(reply.ticket_id, reply.staff_id, content, now)
        uow.commit()


def sync_draft(d: Delivery) -> Outcome:
    media_id = _sync(d)
    return Outcome("sent", follow_up=[_store_ids(d, draft_media_id=media_id)])


def submit_publish(d: Delivery) -> Outcome:
    """freepublish/submit. WeChat takes the draft out of the draft box when it accepts
    the submission, so the item forgets the draft then: its next sync (a revision,
    a preview) adds a fresh one. Once accepted, a resumed row only records: the
    draft is gone and syncing it again would fail."""
    if not d.delivered and (why := _not_waiting(d)):
        return Outcome("dead", why)
    result = d.call_once(lambda: d.gateway.publish_submit(_sync(d)))
    publish_id = str(result.get("publish_id", ""))
    return Outcome("sent", follow_up=[_store_ids(d, draft_media_id=None,
                                                 publish_id=publish_id)])


def _not_waiting(d: Delivery) -> str:
    """Why this row must not submit ("" when it may): its item is not waiting for a
    submission, as when the row is re-driven by hand after the publish failed and
    was retried, or another row's submission was accepted already."""
    item = d.read(lambda c: platform.item_row(c, int(d.row.payload["item_id"])))
    if item is None:
        return texts.phrase("publish_submit", "item_gone", item_id=d.row.payload["item_id"])
    if item.state != State.PUBLISHING.value:
        return texts.phrase("publish_submit", "not_publishing", item_id=item.id,
                            state=State(item.state).label)
    if item.publish_id:
        return texts.phrase("publish_submit", "already_submitted", item_id=item.id,
                            publish_id=item.publish_id)
    if not has_text(item.body or ""):
        return texts.phrase("publish_submit", "no_body", item_id=item.id)
    return ""


def submit_given_up(conn: Connection, row: OutboxRow, outcome: Outcome,
                    now: datetime) -> None:
    """A submit_publish row gone dead: WeChat refused the submission, or it was
    never confirmed. The workflow records a failed publication as for a refused
    one (audit row with the reason, notices to the admins and the author), in the
    transaction that marks the row dead: the item is never left in 发布中, and
    重试 works. An unconfirmed submission asks for a look at 发表记录 first."""
    reason = texts.phrase("publish_submit", "unconfirmed") if outcome.unconfirmed else \
        texts.phrase("publish_submit", "not_submitted", error=outcome.error)
    usecases.record_submit_failure(joined_uow(conn, clock=lambda: now),
                                   int(row.payload["item_id"]), Context(now=now, comment=reason))


def submit_sent_after_all(conn: Connection, row: OutboxRow, now: datetime) -> None:
    """A submission given up as unconfirmed was accepted after all (its worker
    stalled past the lease with the call in flight): the publish failed on it goes
    on, and whoever was told it failed is told it did not. (The publish_id is
    stored by the submission's follow-up, in this transaction.)"""
    usecases.record_submit_confirmed(joined_uow(conn, clock=lambda: now),
                                     int(row.payload["item_id"]),
                                     Context(now=now, comment=texts.phrase(
                                         "publish_submit", "confirmed_late")))


def delete_published(d: Delivery) -> Outcome:
    """Delete an article on the platform, never before the item's archive entry
    holds it: the entry its move wrote (one is written now if the row is older
    than the archive), with the platform's HTML read into it first."""
    if not d.delivered:
        _read_into_archive(d)
    d.call_once(lambda: d.gateway.publish_delete(str(d.row.payload["article_id"]), 0))
    return Outcome("sent")


def archive_published(d: Delivery) -> Outcome:
    """归档 of an article still online: its HTML read into the archive entry."""
    if not d.delivered:
        _read_into_archive(d)
    return Outcome("sent")


def _read_into_archive(d: Delivery) -> None:
    """The article's entry, with the platform's HTML read into it (once)."""
    item_id, article_id = int(d.row.payload["item_id"]), str(d.row.payload["article_id"])
    with d.sender.engine.begin() as conn:
        entry = archive.ensure(conn, item_id, article_id, d.now)
        if archive.platform_html(conn, item_id, article_id) is not None:
            return  # read by an earlier attempt
    html = _published_html(d.gateway.published_article(article_id))
    with d.sender.engine.begin() as conn:
        archive.keep_platform_html(conn, entry, html, d.now)


def _published_html(answer: dict[str, Any]) -> str:
    """The first article's HTML in freepublish/getarticle's answer."""
    items = answer.get("news_item") or [{}]
    return str(items[0].get("content", ""))


def preview(d: Delivery) -> Outcome:
    if d.delivered:  # on the phone already: no draft sync, no second preview
        return Outcome("sent")
    media_id = _sync(d)
    d.call_once(lambda: d.gateway.preview(media_id, openid=str(d.row.payload["openid"])))
    return Outcome("sent")


def sendall(d: Delivery) -> Outcome:
    """Mass send to every follower. The row's idempotency key is the clientmsgid, so
    WeChat itself refuses a second send of the same row (45065), even after a crash."""
    if d.delivered:
        return Outcome("sent")
    media_id = _sync(d)
    try:
        d.call_once(lambda: d.gateway.sendall(media_id, d.row.idempotency_key[:64]))
    except DuplicateClientMsgId:
        log.info("outbox %s: mass send already done (clientmsgid)", d.row.id)
    return Outcome("sent")


def _store_ids(d: Delivery, **ids: Any) -> Any:
    item_id = int(d.row.payload["item_id"])
    return lambda conn: platform.set_item_ids(conn, item_id, **ids)


class DraftTakenBySubmission(InvalidMediaId):
    """The item's draft left the draft box while a submission of it is unconfirmed."""

    code = "draft_taken"


def _sync(d: Delivery) -> str:
    """Put the item's current content into the draft box; returns the draft's media_id.

    The id is stored at once (its own commit), so a retry updates the same draft
    instead of adding another. A stored draft that has left the box (published
    before its id was forgotten on acceptance, or deleted in the WeChat backend)
    is replaced by a new one, unless a submission may have taken it.
    """
    item = d.read(lambda c: platform.item_row(c, int(d.row.payload["item_id"])))
    if item is None:
        raise LookupError(f"item {d.row.payload['item_id']} is gone")
    article = _article(item, item.cover or _default_cover(d))
    if item.draft_media_id and _updated(d, item, article):
        return str(item.draft_media_id)
    media_id = str(d.gateway.draft_add([article])["media_id"])
    with d.sender.engine.begin() as conn:
        platform.set_item_ids(conn, item.id, draft_media_id=media_id)
    return media_id


def _updated(d: Delivery, item: Any, article: dict[str, Any]) -> bool:
    """Update the stored draft; False when WeChat no longer has it."""
    try:
        d.gateway.draft_update(item.draft_media_id, 0, article)
    except InvalidMediaId as gone:
        if _maybe_submitted(d, item):
            raise DraftTakenBySubmission(gone.errcode, gone.errmsg) from gone
        log.info("draft %s of item %s is no longer in the draft box; adding a new one",
                 item.draft_media_id, item.id)
        return False
    return True


def _maybe_submitted(d: Delivery, item: Any) -> bool:
    """Whether a vanished draft may have gone to a freepublish/submit not yet
    recorded: then a fresh draft, submitted, would publish the article twice.

    That is while the item is being published without a publish_id, unless this
    is the submission's own first try (nothing of it can have reached WeChat).
    An unanswered try is parked, not retried (OutcomeUnknown), and so is an
    accepted one whose record failed (the row stays started, and is parked once
    its lease runs out).
    """
    unconfirmed = item.state == State.PUBLISHING.value and not item.publish_id
    first_try = d.row.kind == "submit_publish" and d.row.attempts <= 1
    return unconfirmed and not first_try


class ArticleWithoutBody(WeChatError):
    """The item has no text: WeChat would take an empty article, or one made up
    here, as if it were the one reviewed. Refused for good, before any call."""

    def __init__(self, item_id: int) -> None:
        super().__init__(None, texts.phrase("publish_submit", "no_body", item_id=item_id))
        self.summary = texts.phrase("publish_submit", "no_body_short")


def _article(item: Any, thumb_media_id: str) -> dict[str, Any]:
    """The article as reviewed: never a body made up for an item without one (an
    item from an older version, which the workflow lets through no more). The
    byline and comments are the article's own (its front matter)."""
    if not has_text(item.body or ""):
        raise ArticleWithoutBody(item.id)
    if kept := kept_images.kept_in(item.body):
        raise ArticleWithKeptImages(item.id, len(kept))
    # Cut to WeChat's limits only for items written before they were checked, and
    # for a preview of a revision the checks refused (a byline over 16 characters).
    return {"title": item.title[:MAX_TITLE], "author": item.byline[:MAX_AUTHOR],
            "digest": item.digest[:MAX_DIGEST], "content": item.body, "content_source_url": "",
            "thumb_media_id": thumb_media_id, "need_open_comment": int(bool(item.comments)),
            "only_fans_can_comment": 0}


def _default_cover(d: Delivery) -> str:
    """The account's default cover, uploaded once, for an item without its own
    (``content_items.cover``: the media_id ``wxops item import`` uploaded)."""
    cached = d.read(lambda c: platform.asset(c, COVER_ASSET))
    if cached is not None:
        return cached
    image = DEFAULT_COVER.read_bytes()
    media_id = str(d.gateway.add_material("thumb", "cover.jpg", image)["media_id"])
    with d.sender.engine.begin() as conn:
        platform.set_asset(conn, COVER_ASSET, media_id, d.now)
    return media_id


def dead_ends(incident: timedelta = INCIDENT) -> dict[str, DeadEnd]:
    """What else a row gone dead means, by kind (run where the row is marked dead)."""
    given_up = reply_given_up(incident)  # a comment reply's writer is told as for a message
    return {"submit_publish": submit_given_up, "cs_reply": given_up, "comment_reply": given_up}


def sent_after_all() -> dict[str, SentAfterAll]:
    """What else it means, by kind, when a row parked in doubt turns out delivered."""
    return {"cs_reply": reply_sent_after_all, "comment_reply": reply_sent_after_all,
            "submit_publish": submit_sent_after_all}


#: The platform calls each kind of row makes (a notice has ways of its own): what
#: they need (gateway.NEEDS) is asked before the first, so a row the account
#: cannot deliver makes no call and ends dead with why and what to do instead.
KIND_CALLS: dict[str, tuple[str, ...]] = {
    "cs_reply": ("send_text",),
    "sync_draft": ("add_material", "draft_add"),
    "submit_publish": ("add_material", "draft_add", "publish_submit"),
    "delete_published": ("publish_delete", "published_article"),
    "archive_published": ("published_article",),
    "preview": ("add_material", "draft_add", "preview"),
    "sendall": ("add_material", "draft_add", "sendall"),
    **comment_deliveries.COMMENT_CALLS,
}


def ask_first(capabilities: Capabilities, kind: str) -> None:
    """NotCalled when the account may not make one of the calls a row of ``kind``
    makes (``KIND_CALLS``)."""
    from bot.gateway import NEEDS, lacking  # wechatpy with it: not at every start-up

    for call in KIND_CALLS.get(kind, ()):
        lacking(capabilities, NEEDS[call], call)


def _asking(kind: str, handler: Handler, current: Callable[[], Capabilities]) -> Handler:
    def deliver(d: Delivery) -> Outcome:
        if not d.delivered:  # one that got through is finished, whatever is known now
            ask_first(current(), kind)
        return handler(d)
    return deliver


def handlers(template_id: str = "", incident: timedelta = INCIDENT,
             capabilities: Capabilities | Callable[[], Capabilities] = FULL
             ) -> dict[str, Handler]:
    """``capabilities``: what the account may call, asked before a row's first
    call (and before a notice is sent one way or another); given as a function,
    it is asked for each delivery (the worker's: the settings' kind less what was
    learnt missing, kept a while)."""
    current = capabilities if callable(capabilities) else lambda: capabilities
    kinds: dict[str, Handler] = {
        "cs_reply": lambda d: cs_reply(d, incident),
        "sync_draft": sync_draft,
        "submit_publish": submit_publish,
        "delete_published": delete_published,
        "archive_published": archive_published,
        "preview": preview,
        "sendall": sendall,
        **comment_deliveries.HANDLERS,
    }
    return {"notify": lambda d: notify(d, template_id, current()),
            **{kind: _asking(kind, handler, current) for kind, handler in kinds.items()}}
