"""Use cases of page links: ask for a preview (the WeChat one to the phone where
the account may send it, and the web page's link), open a page, list and revoke.

Each is one transaction through the unit of work; what is allowed is decided in
``workflow/pages.py`` and ``workflow/staffing.authorise``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from workflow import pages, review_view, staffing
from workflow.capabilities import Capability
from workflow.effects import SendPreview
from workflow.errors import (
    ItemNotFound,
    LinkNotFound,
    LinkRefused,
    NoReport,
    PreviewUnavailable,
)
from workflow.kept_images import kept_in
from workflow.model import ActionEntry, ContentItem, Context
from workflow.pages import PageKind, PageLink, Preview, ReportRef
from workflow.ports import UnitOfWork
from workflow.roles import Action, Actor

#: How many links ``wxops links list`` shows at most.
LIST_LIMIT = 50


@dataclass(frozen=True)
class PreviewAsked:
    """What 预览 did: ``link`` is the page's (None without a public address);
    ``phone`` whether the WeChat preview was queued for the asker's phone."""

    item: ContentItem
    link: PageLink | None
    phone: bool


def preview(uow: UnitOfWork, actor: Actor, item_id: int, ctx: Context, *,
            openid: str | None, lifetime: timedelta | None,
            key: Callable[[], str] = pages.new_key) -> PreviewAsked:
    """Preview an item as ``actor``: the WeChat preview to ``openid``'s phone where
    the account may send one (``ctx.capabilities``), and a link to the preview page
    living ``lifetime`` where the web pages have an address (``lifetime`` None:
    they have none). Refused when neither can be had."""
    staffing.authorise(actor, Action.PREVIEW)
    phone = openid is not None and ctx.capabilities.allows(Capability.PREVIEW)
    with uow:
        item = _item(uow, item_id)
        if not phone and lifetime is None:
            raise PreviewUnavailable(item.id, ctx.capabilities.kind.name)
        if phone and openid is not None:
            _queue_phone_preview(uow, item, actor, openid, ctx)
        link = None
        if lifetime is not None:
            link = uow.links.add(pages.issue(
                PageKind.PREVIEW, item.id, item.version, item.revision,
                actor.id or None, ctx.now, lifetime, key()))
        uow.commit()
        return PreviewAsked(item, link, phone)


def _queue_phone_preview(uow: UnitOfWork, item: ContentItem, actor: Actor, openid: str,
                         ctx: Context) -> None:
    effect = SendPreview(item_id=item.id, openid=openid, staff_id=actor.id,
                         requested_at=int(ctx.now.timestamp()))
    uow.outbox.add(effect.kind, effect.payload(),
                   effect.idempotency_key(item.id, item.version), ctx.now)


def open_preview(uow: UnitOfWork, key: str, now: datetime) -> Preview:
    """The preview page behind a link's key: refused when the link is unknown,
    revoked or expired (``pages.opened``), checked on every opening."""
    with uow:
        link = pages.opened(uow.links.by_key(key), PageKind.PREVIEW, now)
        text = uow.links.article(pages.item_of(link), link.item_revision)
        item = uow.items.get(pages.item_of(link))
        if text is None or item is None:
            raise LinkRefused("unknown")
        revision = link.item_revision
        reviews = uow.reviews.for_item(item.id)
        return Preview(link, text, item.revision, uow.checks.of(item.id, revision),
                       review_view.since_review(uow, item.id, revision, reviews),
                       review_view.reasons(uow, reviews, revision))


def kept_image(uow: UnitOfWork, key: str, sha256: str, now: datetime) -> tuple[str, bytes]:
    """An image kept in wxops (workflow/kept_images.py) as the preview behind a
    link's key shows it: the link checked as for the page, and only an image
    that revision's body names (a link opens one article, not every kept image)."""
    with uow:
        link = pages.opened(uow.links.by_key(key), PageKind.PREVIEW, now)
        text = uow.links.article(pages.item_of(link), link.item_revision)
        found = uow.assets.kept(sha256) if text and sha256 in kept_in(text.body) else None
    if found is None:
        raise LinkRefused("not_found")
    return found


def report_link(uow: UnitOfWork, report_id: int, created_by: int | None, now: datetime,
                lifetime: timedelta, key: Callable[[], str] = pages.new_key) -> PageLink:
    """A new link to a report's page (the report made and stored already)."""
    with uow:
        link = uow.links.add(pages.for_report(report_id, created_by, now, lifetime, key()))
        uow.commit()
        return link


def latest_report(uow: UnitOfWork, actor: Actor, now: datetime,
                  lifetime: timedelta | None,
                  key: Callable[[], str] = pages.new_key) -> tuple[ReportRef, PageLink | None]:
    """报告: the newest weekly report (else the newest of any period), and a new
    link to it where the web pages have an address (``lifetime`` None: none)."""
    staffing.authorise(actor, Action.READ)
    with uow:
        found = uow.links.latest_report()
        if found is None:
            raise NoReport()
        link = None
        if lifetime is not None:
            link = uow.links.add(pages.for_report(found.id, actor.id or None, now, lifetime,
                                                  key()))
        uow.commit()
        return found, link


def open_report(uow: UnitOfWork, key: str, now: datetime) -> str:
    """The report page behind a link's key, checked as a preview's is."""
    with uow:
        link = pages.opened(uow.links.by_key(key), PageKind.REPORT, now)
        found = uow.links.report_page(link.report_id) if link.report_id else None
    if found is None:
        raise LinkRefused("unknown")
    return found


def listed(uow: UnitOfWork, item_id: int | None, include_ended: bool,
           now: datetime) -> Sequence[PageLink]:
    with uow:
        return uow.links.listed(item_id, include_ended, now, LIST_LIMIT)


def revoke(uow: UnitOfWork, actor: Actor, link_id: int, ctx: Context) -> bool:
    """Revoke one link; False when it was revoked already."""
    with uow:
        if uow.links.get(link_id) is None:
            raise LinkNotFound(link_id)
        done = uow.links.revoke(link_id, ctx.now)
        if done:
            _audit(uow, actor, f"link:{link_id}", ctx)
        uow.commit()
        return done


def revoke_item(uow: UnitOfWork, actor: Actor, item_id: int, ctx: Context) -> int:
    """Revoke every link of one item not revoked yet; how many."""
    with uow:
        _item(uow, item_id)
        count = uow.links.revoke_item(item_id, ctx.now)
        if count:
            _audit(uow, actor, f"item:{item_id}", ctx, result=str(count))
        uow.commit()
        return count


def _item(uow: UnitOfWork, item_id: int) -> ContentItem:
    item = uow.items.get(item_id)
    if item is None:
        raise ItemNotFound(item_id)
    return item


def _audit(uow: UnitOfWork, actor: Actor, subject: str, ctx: Context,
           result: str = "") -> None:
    uow.audit.record(ActionEntry(subject, "revoke_links", actor.id, actor.name, ctx.now,
                                 result=result, command=ctx.command))
