"""旧文: the old-content review (the process's step 5.2). Every article still on
the platform (published, or flagged to update), oldest first, with its last
re-check, its reads of the last 30 days, the complaints tied to it and its open
comments; the candidates for a decision (keep, update, delete) are marked with
the reasons. Pure: the facts come through ``OldContentView``; chat (旧文) and the
CLI (``wxops review old``) render the same ``Listing``.

A re-check answers a reason raised before it: a complaint opened before the last
re-check, an expiry that had passed by then, a fall in reads someone looked at
afterwards no longer make the article a candidate. Nothing else clears a reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Protocol

from workflow.model import ContentItem
from workflow.recheck import LastCheck, Said
from workflow.states import State

#: The states of an article that is still on the platform.
ON_PLATFORM = (State.PUBLISHED, State.NEEDS_UPDATE)
#: An article not looked at for this long is due a look, whatever its figures.
STALE_DAYS = 365
#: Reads are summed over the last WINDOW_DAYS days (yesterday back), and compared
#: with the WINDOW_DAYS before those.
WINDOW_DAYS = 30
#: Reads collapsed: the recent window holds under a fifth of the window before.
#: Old articles fade slowly; a drop this steep means readers stopped finding it
#: (a dead link from elsewhere, a search that no longer shows it, an outdated
#: title) and is worth a look.
COLLAPSE_RATIO = 0.2
#: The window before needs this many reads for a fall to mean anything (from 10
#: to 1 is noise).
COLLAPSE_FLOOR = 20
#: The first days after publishing are its launch, not its normal reading: the
#: window before must start after them for the comparison to be fair.
LAUNCH_DAYS = 7


class Reason(StrEnum):
    EXPIRED = "expired"        # an event notice past its expiry day
    STALE = "stale"            # not re-checked (nor published) within STALE_DAYS
    COMPLAINTS = "complaints"  # complaints since its last re-check
    COLLAPSED = "collapsed"    # reads fell to under COLLAPSE_RATIO of the window before


@dataclass(frozen=True)
class Facts:
    """What the view knows of one article on the platform."""

    item: ContentItem
    last_recheck: LastCheck | None
    reads: int | None  # the recent window; None when no platform figures were pulled
    reads_before: int | None  # the window before it
    complaints: tuple[Said, ...]  # what followers said of it that the queue ranked complaints
    open_comments: int  # comment tickets on it not yet resolved


@dataclass(frozen=True)
class Windows:
    """The local days the reads are summed over (both ends included)."""

    first: date
    last: date
    before_first: date
    before_last: date


def windows(today: date) -> Windows:
    last = today - timedelta(days=1)  # today's figures come tomorrow
    first = last - timedelta(days=WINDOW_DAYS - 1)
    before_last = first - timedelta(days=1)
    return Windows(first, last, before_last - timedelta(days=WINDOW_DAYS - 1), before_last)


class OldContentView(Protocol):
    """The read side behind 旧文 (storage.old_content)."""

    def on_platform(self, window: Windows) -> Sequence[Facts]:
        """Every item in an ``ON_PLATFORM`` state, with its facts over ``window``."""
        ...


@dataclass(frozen=True)
class OldItem:
    facts: Facts
    age_days: int  # days since it was published (local days)
    complaints: int  # tickets complaining of it since its last re-check
    reasons: tuple[Reason, ...]

    @property
    def item(self) -> ContentItem:
        return self.facts.item


@dataclass(frozen=True)
class Listing:
    today: date
    window: Windows
    items: tuple[OldItem, ...]  # oldest first
    figures: bool  # any article has platform figures (else reads are not known)

    @property
    def candidates(self) -> tuple[OldItem, ...]:
        return tuple(i for i in self.items if i.reasons)


def review(view: OldContentView, today: date, tz: tzinfo) -> Listing:
    """The old-content list as of the local day ``today``."""
    window = windows(today)
    facts = view.on_platform(window)
    judged = [judge(f, today, window, tz) for f in facts]
    judged.sort(key=lambda o: (-o.age_days, o.item.id))
    return Listing(today, window, tuple(judged), any(f.reads is not None for f in facts))


def judge(facts: Facts, today: date, window: Windows, tz: tzinfo) -> OldItem:
    published = _local_day(facts.item.published_at, tz) or today
    checked = facts.last_recheck.at if facts.last_recheck else None
    complaints = len({s.ticket_id for s in facts.complaints if checked is None or s.at > checked})
    reasons = []
    if _expired(facts.item, checked, tz, today):
        reasons.append(Reason.EXPIRED)
    looked = _local_day(checked, tz) or published
    if (today - looked).days > STALE_DAYS:
        reasons.append(Reason.STALE)
    if complaints:
        reasons.append(Reason.COMPLAINTS)
    looked_since_fall = checked is not None and looked >= window.first
    if collapsed(facts, published, window) and not looked_since_fall:
        reasons.append(Reason.COLLAPSED)
    return OldItem(facts, (today - published).days, complaints, tuple(reasons))


def collapsed(facts: Facts, published: date, window: Windows) -> bool:
    """The recent window's reads under COLLAPSE_RATIO of the window before's, which
    held at least COLLAPSE_FLOOR reads and began after the launch days."""
    if facts.reads is None or facts.reads_before is None:
        return False
    if window.before_first < published + timedelta(days=LAUNCH_DAYS):
        return False
    return (facts.reads_before >= COLLAPSE_FLOOR
            and facts.reads < COLLAPSE_RATIO * facts.reads_before)


def _expired(item: ContentItem, checked: datetime | None, tz: tzinfo, today: date) -> bool:
    """Past its expiry day, unless someone re-checked it after that day (they
    decided to keep it knowing)."""
    expires = item.meta.expires_on
    if expires is None or expires >= today:
        return False
    checked_day = _local_day(checked, tz)
    return checked_day is None or checked_day <= expires


def _local_day(moment: datetime | None, tz: tzinfo) -> date | None:
    return moment.astimezone(tz).date() if moment is not None else None
