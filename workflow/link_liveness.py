"""Links that do not answer: a warning of the checks before review, found by
the worker (never in a request), for the newest revision of every item a
reviewer or a publisher is about to look at.

A round (:func:`plan`, then the fetching, then :func:`record`):

1. the newest revision of each item in review, approved or scheduled, and the
   web addresses it cites: its links (``mp.weixin.qq.com`` ones stay links) and
   the addresses written out in its text (the reference list of external links);
2. an address is fetched only when nobody checked it within the interval, for
   whichever item: one answer serves every revision citing it;
3. each (item, revision, address) keeps its latest status and time, and each
   address that did not answer becomes a ``link_dead`` warning among the
   revision's other findings (one place for every finding: the stored check).

A status is ``ok``, an HTTP status (``"404"``), ``timeout``, ``error`` (no
connection), ``redirects`` (too many) or ``blocked`` (a private or loopback
address, never fetched; not a finding: the reader's network is not ours).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from workflow.checks import CheckResult, Code, Finding, Severity
from workflow.checks.document import read
from workflow.checks.rules import excerpt, web_addresses
from workflow.kept_images import PLACEHOLDER_HOST
from workflow.ports import UnitOfWork
from workflow.states import State

#: Items whose newest revision is watched: a reviewer or a publisher reads them next.
WATCHED = (State.IN_REVIEW, State.FINAL_REVIEW, State.APPROVED, State.SCHEDULED)
OK, BLOCKED = "ok", "blocked"
_ORDER = {severity: n for n, severity in enumerate(Severity)}


@dataclass(frozen=True)
class LinkStatus:
    url: str
    status: str
    checked_at: datetime


@dataclass(frozen=True)
class Watched:
    """The newest revision of one watched item, and its body."""

    item_id: int
    revision: int
    body: str


@dataclass(frozen=True)
class Round:
    """What one round checks: the revisions, what is known of their addresses,
    and the addresses due for a fetch."""

    watched: tuple[Watched, ...]
    known: Mapping[str, LinkStatus]
    due: tuple[str, ...]


def checkable(url: str) -> bool:
    """A web address (http or https) that is not a kept image's placeholder."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) \
        and parts.hostname != PLACEHOLDER_HOST


def addresses(body: str) -> dict[str, int]:
    """The checkable addresses a body cites, with where each first stands."""
    return {url: at for url, at in web_addresses(read(body)).items() if checkable(url)}


def due(urls: Iterable[str], known: Mapping[str, LinkStatus], now: datetime,
        interval: timedelta) -> tuple[str, ...]:
    """The addresses nobody checked within ``interval``, once each, in order."""
    return tuple(url for url in dict.fromkeys(urls)
                 if url not in known or known[url].checked_at <= now - interval)


def dead(status: str) -> bool:
    return status not in (OK, BLOCKED)


def findings(body: str, statuses: Mapping[str, str]) -> tuple[Finding, ...]:
    """A ``link_dead`` warning for each cited address whose status is dead."""
    doc = read(body)
    return tuple(Finding(Code.LINK_DEAD, {"url": url, "status": statuses[url]}, at=at,
                         excerpt=excerpt(doc.text, at))
                 for url, at in web_addresses(doc).items()
                 if url in statuses and dead(statuses[url]))


def merged(result: CheckResult, dead_links: Iterable[Finding]) -> CheckResult:
    """``result`` with its ``link_dead`` findings replaced, in the checks' order."""
    kept = [f for f in result.findings if f.code is not Code.LINK_DEAD]
    found = sorted([*kept, *dead_links],
                   key=lambda f: (_ORDER[f.severity], -1 if f.at is None else f.at))
    return replace(result, findings=tuple(found))


def plan(uow: UnitOfWork, now: datetime, interval: timedelta) -> Round:
    """The revisions watched now and the addresses to fetch for them."""
    with uow:
        watched = tuple(uow.liveness.watched(WATCHED))
        urls = [url for w in watched for url in addresses(w.body)]
        known = uow.liveness.latest(set(urls))
    return Round(watched, known, due(urls, known, now, interval))


def record(uow: UnitOfWork, done: Round, fresh: Mapping[str, str], now: datetime) -> int:
    """Keep the statuses of this round for every watched revision, and its
    findings; returns how many revisions' findings changed."""
    changed = 0
    with uow:
        for watched in done.watched:
            statuses = _statuses(watched, done.known, fresh, now)
            for status in statuses:
                uow.liveness.record(watched.item_id, watched.revision, status)
            changed += _refind(uow, watched, {s.url: s.status for s in statuses})
        uow.commit()
    return changed


def _statuses(watched: Watched, known: Mapping[str, LinkStatus], fresh: Mapping[str, str],
              now: datetime) -> list[LinkStatus]:
    out = []
    for url in addresses(watched.body):
        if url in fresh:
            out.append(LinkStatus(url, fresh[url], now))
        elif url in known:
            out.append(known[url])
    return out


def _refind(uow: UnitOfWork, watched: Watched, statuses: Mapping[str, str]) -> int:
    stored = uow.checks.of(watched.item_id, watched.revision)
    if stored is None:  # written before the checks were: nothing to add findings to
        return 0
    now_found = merged(stored, findings(watched.body, statuses))
    if now_found == stored:
        return 0
    uow.checks.replace(watched.item_id, watched.revision, now_found)
    return 1

