"""Read views a person asks for: what waits for me (我的) and the recent figures
(统计). Assembled here from the read-view ports, so chat, the CLI and (later)
the console show the same thing; storage only answers the queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from workflow import policy
from workflow.model import ContentItem
from workflow.ports import UnitOfWork
from workflow.roles import Actor, Role
from workflow.states import Event, State

#: A writer's own items that wait for them: to start, write, revise or update.
MINE_STATES = (State.PLANNED, State.DRAFTING, State.CHANGES_REQUESTED, State.NEEDS_UPDATE)


@dataclass(frozen=True)
class WaitingTicket:
    id: int
    summary: str
    minutes: int  # how long the follower has waited for a reply


@dataclass
class Todo:
    """What is waiting for one person. Empty lists for roles they do not hold."""

    to_review: list[ContentItem] = field(default_factory=list)
    to_final: list[ContentItem] = field(default_factory=list)
    mine: list[ContentItem] = field(default_factory=list)
    to_schedule: list[ContentItem] = field(default_factory=list)
    failed: list[ContentItem] = field(default_factory=list)
    tickets: list[WaitingTicket] = field(default_factory=list)
    unclaimed: int = 0

    @property
    def empty(self) -> bool:
        return not (self.to_review or self.to_final or self.mine or self.to_schedule
                    or self.failed or self.tickets or self.unclaimed)

    @property
    def mine_to_start(self) -> bool:
        """Some of my items are only planned: the hint says 开始 first."""
        return any(item.state is State.PLANNED for item in self.mine)

    @property
    def mine_to_revise(self) -> bool:
        """Some of my published items were flagged outdated: the hint says 修订 first."""
        return any(item.state is State.NEEDS_UPDATE for item in self.mine)


def todo(uow: UnitOfWork, actor: Actor, now: datetime) -> Todo:
    """Items to review, write and schedule by the roles ``actor`` holds (waiting
    longest first; a writer's soonest due first), and their tickets."""
    roles, found = actor.roles, Todo()
    with uow:
        work = uow.work
        if Role.REVIEWER in roles:
            found.to_review = list(work.items_in((State.IN_REVIEW,), not_author=actor.id))
            found.to_final = [item for item in work.items_in((State.FINAL_REVIEW,))
                              if Event.FINAL_APPROVE in policy.allowed_events(
                                  actor, item, uow.reviews.for_item(item.id))]
        if Role.CREATOR in roles:
            found.mine = by_due_day(work.items_in(MINE_STATES, author=actor.id))
        if Role.ADMIN in roles:
            found.to_schedule = list(work.items_in((State.APPROVED,)))
            found.failed = list(work.items_in((State.PUBLISH_FAILED,)))
        found.tickets = [WaitingTicket(t, summary, _minutes(since, now))
                         for t, summary, since in work.my_tickets(actor.id)]
        found.unclaimed = work.open_tickets(unclaimed=True)
    return found


def by_due_day(items: Sequence[ContentItem]) -> list[ContentItem]:
    """What is due soonest first (overdue first of all), then what has no due day,
    each as it was (waiting longest first)."""
    return sorted(items, key=lambda it: (it.due_on is None, it.due_on or date.min))


def _minutes(since: datetime | None, now: datetime) -> int:
    return max(0, int((now - since).total_seconds() // 60)) if since else 0


@dataclass(frozen=True)
class Stats:
    first: date
    last: date
    reads: int
    shares: int
    new_followers: int
    lost_followers: int | None  # None: no platform figures, counted from our own records
    open_tickets: int
    published: list[ContentItem]
    analytics_pulled: bool  # any datacube rows at all yet


def stats(uow: UnitOfWork, days: int, now: datetime, tz: tzinfo) -> Stats:
    """The last ``days`` days up to today in the account's zone: the platform's
    figures where pulled, else what wxops itself recorded."""
    last = now.astimezone(tz).date()
    with uow:
        return figures_between(uow, last - timedelta(days=days - 1), last, now, tz)


def figures_between(uow: UnitOfWork, first: date, last: date, now: datetime,
                    tz: tzinfo) -> Stats:
    """Stats of the local days ``first``..``last`` (inside an open unit of work)."""
    since = datetime.combine(first, time(), tz).astimezone(UTC)
    figures = uow.figures
    reads, shares = figures.article_sums(first, last)
    pulled_days, new, cancelled = figures.follower_sums(first, last)
    lost: int | None = cancelled
    if not pulled_days:  # no platform figures: the subscribe events wxops recorded
        new, lost = figures.subscribed_since(since), None
    return Stats(first, last, reads, shares, new, lost, uow.work.open_tickets(),
                 list(figures.published_between(since, now)), figures.analytics_pulled())
