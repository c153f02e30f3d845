"""Pulling the platform's figures (datacube) into the read model: the daily job
and the backfill (workflow/analytics.py decides what to ask; storage/analytics.py
keeps it). Every call goes through the gateway; each step is written in its own
transaction, so an interruption loses at most the step in flight and a rerun
asks only what is not recorded complete.

Per-article figures come from the running totals of a publish day: the current
interface's (getarticletotaldetail) and, for a mass-sent article it leaves out,
the older getarticletotal's. Whichever of the two is stored, the day's articles
are derived again from both as stored (``_derive_totals``), so the order they
arrive in does not matter and an article is stored once, from the current one
when it has it; the items are matched over all of the day's articles."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from bot.gateway import Gateway
from bot.timefmt import utcnow
from bot.wiring import App, database
from bot.wiring import analytics_records as store
from workflow import analytics as rules
from workflow.analytics import ANCHOR, OLDER_TOTALS, RUNNING, TOTALS, DayRecord, DayStatus

log = logging.getLogger("wxops.analytics")
Row = dict[str, Any]

#: The gateway's call for each endpoint: the current ones answer {list, is_delay}.
_CURRENT: dict[str, Callable[[Gateway, str, str], Row]] = {
    "getarticleread": Gateway.article_read, "getarticleshare": Gateway.article_share,
    "getbizsummary": Gateway.biz_summary, "getarticletotaldetail": Gateway.article_total_detail,
}


def ask(gateway: Gateway, endpoint: str, first: date, last: date) -> tuple[list[Row], bool]:
    """One call: the rows and the platform's is_delay (False for the older ones)."""
    begin, end = first.isoformat(), last.isoformat()
    if endpoint in _CURRENT:
        answer = _CURRENT[endpoint](gateway, begin, end)
        return list(answer.get("list", [])), bool(answer.get("is_delay", False))
    return gateway.datacube(endpoint, begin, end), False


def records(app: App, endpoint: str, first: date, last: date) -> dict[date, DayRecord]:
    """What is recorded of ``endpoint``'s days from ``first`` to ``last``."""
    with app.engine.connect() as conn:
        return store.records(conn, endpoint, first, last)


@dataclass
class Pull:
    """What one run asked and found."""

    calls: int = 0
    days: dict[str, int] = field(default_factory=dict)  # endpoint → days stored
    delayed: set[str] = field(default_factory=set)  # endpoints with a delayed day
    unmapped: set[str] = field(default_factory=set)  # msgids matched to no item
    ready: bool = True  # False: the newest day is not available yet


class Puller:
    def __init__(self, app: App, gateway: Gateway, pause: float = 0.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.app, self.gateway, self.pause, self.sleep = app, gateway, pause, sleep
        self.pull = Pull()

    def records(self, endpoint: str, first: date, last: date) -> dict[date, DayRecord]:
        return records(self.app, endpoint, first, last)

    def step(self, endpoint: str, first: date, last: date) -> list[Row]:
        """Ask one span-sized range and store each of its days."""
        if self.pull.calls and self.pause:
            self.sleep(self.pause)  # throttled: the datacube quota is per day
        rows, delayed = ask(self.gateway, endpoint, first, last)
        self.pull.calls += 1
        with database.write_lock(self.app.engine), self.app.engine.begin() as conn:
            for n in range((last - first).days + 1):
                day = first + timedelta(days=n)
                mine = [r for r in rows if r.get("ref_date") == day.isoformat()]
                if endpoint == ANCHOR and not mine:
                    continue  # not available yet: nothing recorded, asked again later
                record = self._record(endpoint, day, mine, delayed)
                store.store_day(conn, endpoint, day, record, mine, utcnow())
                self._derive(conn, endpoint, day, mine)
                if record.status is DayStatus.DELAYED:
                    self.pull.delayed.add(endpoint)
            self.pull.days[endpoint] = self.pull.days.get(endpoint, 0) + (last - first).days + 1
        return rows

    @staticmethod
    def _record(endpoint: str, day: date, rows: list[Row], delayed: bool) -> DayRecord:
        stats = [str(d["stat_date"]) for r in rows
                 for d in r.get("detail_list") or r.get("details") or []]
        through = max(map(date.fromisoformat, stats)) if stats else day
        if endpoint in RUNNING and not rows:
            through = day + timedelta(days=RUNNING[endpoint] - 1)  # nothing published then
        return DayRecord(rules.status_of(endpoint, day, delayed, through), through)

    def _derive(self, conn: Any, endpoint: str, day: date, rows: list[Row]) -> None:
        if endpoint == "getusersummary":
            store.store_followers(conn, day, new_users=sum(int(r["new_user"]) for r in rows),
                                  cancel_users=sum(int(r["cancel_user"]) for r in rows))
        elif endpoint == "getusercumulate" and rows:
            store.store_followers(conn, day, cumulate_users=int(rows[-1]["cumulate_user"]))
        elif endpoint in RUNNING and rows:
            self._derive_totals(conn, day)

    def _derive_totals(self, conn: Any, day: date) -> None:
        """A publish day's articles from both interfaces' stored rows, matched to
        items over all of them (a day's one article is only certain among all)."""
        current, every_older = (store.day_rows(conn, TOTALS, day),
                                store.day_rows(conn, OLDER_TOTALS, day))
        older = rules.older_only(every_older, current)
        found = rules.match_items(store.published_items(conn, day, day),
                                  rules.day_articles([*current, *every_older], day),
                                  store.mapped_articles(conn))  # titles from either
        figures = [(str(r["msgid"]), list(r["detail_list"])) for r in current]
        figures += [(str(r["msgid"]), rules.older_details(r["details"])) for r in older]
        for msgid, details in figures:
            if msgid not in found:
                self.pull.unmapped.add(msgid)
            store.store_totals(conn, msgid, day, details, found.get(msgid))

    def available(self, day: date) -> bool:
        """Whether the platform has ``day`` ready: its getbizsummary row (stored)."""
        if not rules.due(self.records(ANCHOR, day, day).get(day), day):
            return True
        return bool([r for r in self.step(ANCHOR, day, day)
                     if r.get("ref_date") == day.isoformat()])

    def endpoint(self, name: str, first: date, last: date, yesterday: date,
                 tick: Callable[[int], None] = lambda _: None) -> None:
        for a, b in rules.plan(name, first, last, self.records(name, first, last), yesterday):
            self.step(name, a, b)
            tick((b - a).days + 1)


def daily(app: App, gateway: Gateway, yesterday: date) -> Pull:
    """Yesterday's figures, when the platform has them (else ``ready`` False: the
    hourly job asks again); a day still delayed is asked again next hour."""
    puller = Puller(app, gateway)
    if not puller.available(yesterday):
        puller.pull.ready = False
        return puller.pull
    for name, (first, last) in rules.daily_days(yesterday).items():
        puller.endpoint(name, first, last, yesterday)
    return puller.pull


@dataclass(frozen=True)
class Shortfall:
    """An endpoint whose quota left today is below the calls a backfill needs."""

    endpoint: str
    needed: int
    remaining: int


def backfill_plan(app: App, since: date, until: date) -> dict[str, list[tuple[date, date]]]:
    """Each endpoint's calls still needed (days recorded complete are skipped)."""
    return {name: rules.plan(name, since, until, records(app, name, since, until), until)
            for name in rules.PULLED}


def shortfalls(gateway: Gateway, planned: dict[str, list[tuple[date, date]]]) -> list[Shortfall]:
    """Ask openapi/quota/get for each endpoint with calls to make."""
    short: list[Shortfall] = []
    for name, calls in planned.items():
        if not calls:
            continue
        quota = gateway.quota_get(f"/datacube/{name}").get("quota", {})
        remaining = int(quota.get("remain", 0))
        if remaining < len(calls):
            short.append(Shortfall(name, len(calls), remaining))
    return short


def backfill(app: App, gateway: Gateway, since: date, until: date, pause: float,
             tick: Callable[[int], None]) -> Pull:
    """Every endpoint from ``since`` to ``until`` in span-sized steps, the anchor
    first; ``tick(days)`` after each step."""
    puller = Puller(app, gateway, pause)
    for name in rules.PULLED:
        puller.endpoint(name, since, until, until, tick)
    return puller.pull


def last_ready_day(app: App, gateway: Gateway, yesterday: date) -> date:
    """Yesterday when the platform has it, else the day before."""
    return yesterday if Puller(app, gateway).available(yesterday) else yesterday - timedelta(1)
