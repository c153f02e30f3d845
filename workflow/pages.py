"""Links to web pages (the preview of a content item), decided.

A link is a stored row with a random key; the address people open carries
that key signed (``bot/links.py``), so nobody can make one up. It is made for
one revision of one item, expires, and can be revoked; every opening checks
all three (:func:`opened`). Who may make one, for how long and what ends one
early are decided here.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from workflow.errors import LinkRefused
from workflow.states import State

if TYPE_CHECKING:  # review_view reads through the ports, which name this module's types
    from workflow.checks import CheckResult
    from workflow.diffing import RevisionDiff
    from workflow.review_view import Reason

#: Bytes of randomness in a link's key (the signature comes on top of it).
KEY_BYTES = 16
#: The longest a link may live: a preview is for the review, not for keeps.
MAX_LIFETIME = timedelta(days=30)
#: A withdrawn (已删除) or cancelled item's previews end with it.
ENDS_LINKS = frozenset({State.WITHDRAWN, State.CANCELLED})


class PageKind(StrEnum):
    """What a link opens: one kind of page each."""

    PREVIEW = "preview"
    REPORT = "report"


@dataclass(frozen=True)
class PageLink:
    """One link: ``key`` is what its address carries (signed); ``id`` is how
    people name it (``wxops links revoke 3``). A preview's link names its item
    (and the item's version and revision then); a report's names the report."""

    id: int
    key: str
    kind: PageKind
    item_id: int | None
    item_version: int
    item_revision: int
    created_by: int | None  # None: made at the server's shell
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    report_id: int | None = None

    def live(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


@dataclass(frozen=True)
class ReportRef:
    """A report made (workflow/report.py): its id, period and where it was kept."""

    id: int
    kind: str  # week | month | range
    first: date
    last: date
    path: str


@dataclass(frozen=True)
class ArticleText:
    """What one revision of an item says, as its page shows it."""

    title: str
    body: str
    digest: str
    written_at: datetime
    byline: str = ""
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Preview:
    """A preview page: the revision the link was made for, and whether the item
    has a newer one since (``latest``: the item's revision now); what the check
    of that revision found, what changed since the revision last reviewed, and
    the reasons the last review sent it back with."""

    link: PageLink
    text: ArticleText
    latest: int
    checks: CheckResult | None = None
    diff: RevisionDiff | None = None
    reasons: tuple[Reason, ...] = ()

    @property
    def outdated(self) -> bool:
        return self.latest > self.link.item_revision


def new_key() -> str:
    return secrets.token_urlsafe(KEY_BYTES)


def issue(kind: PageKind, item_id: int, item_version: int, item_revision: int,
          created_by: int | None, now: datetime, lifetime: timedelta, key: str) -> PageLink:
    """A new link (id 0 until stored), living ``lifetime`` (at most MAX_LIFETIME)."""
    return PageLink(0, key, kind, item_id, item_version, item_revision, created_by, now,
                    _expiry(now, lifetime))


def for_report(report_id: int, created_by: int | None, now: datetime, lifetime: timedelta,
               key: str) -> PageLink:
    """A new link to a report (id 0 until stored), living as :func:`issue`'s do."""
    return PageLink(0, key, PageKind.REPORT, None, 0, 0, created_by, now,
                    _expiry(now, lifetime), report_id=report_id)


def _expiry(now: datetime, lifetime: timedelta) -> datetime:
    if lifetime <= timedelta(0):
        raise ValueError("a link's lifetime must be positive")
    return now + min(lifetime, MAX_LIFETIME)


def opened(found: PageLink | None, kind: PageKind, now: datetime) -> PageLink:
    """The link, if it may be opened now: unknown (or of another kind), revoked
    and expired links are refused, each with its own reason."""
    if found is None or found.kind is not kind:
        raise LinkRefused("unknown")
    if found.revoked_at is not None:
        raise LinkRefused("revoked")
    if now >= found.expires_at:
        raise LinkRefused("expired")
    return found


def item_of(link: PageLink) -> int:
    """The item a preview's link opens (a link without one opens nothing)."""
    if link.item_id is None:
        raise LinkRefused("unknown")
    return link.item_id


def ends_links(state: State) -> bool:
    """Whether an item moving into ``state`` takes its links down."""
    return state in ENDS_LINKS
