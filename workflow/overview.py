"""Read views a person asks for: what waits for me (我的; 统计 is workflow.stats).
Assembled here from the read-view ports, so chat, the CLI and (later)
the console show the same thing; storage only answers the queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

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
    #: Publishing by hand (workflow.publishing.by_hand): items 发布 (or their
    #: time) moved to 发布中 that wait for an admin to publish them in the
    #: backend and record the link with 已发布.
    to_record: list[ContentItem] = field(default_factory=list)
    tickets: list[WaitingTicket] = field(default_factory=list)
    unclaimed: int = 0

    @property
    def empty(self) -> bool:
        return not (self.to_review or self.to_final or self.mine or self.to_schedule
                    or self.failed or self.to_record or self.tickets or self.unclaimed)

    @property
    def mine_to_start(self) -> bool:
        """Some of my items are only planned: the hint says 开始 first."""
        return any(item.state is State.PLANNED for item in self.mine)

    @property
    def mine_to_revise(self) -> bool:
        """Some of my published items were flagged outdated: the hint says 修订 first."""
        return any(item.state is State.NEEDS_UPDATE for item in self.mine)


def todo(uow: UnitOfWork, actor: Actor, now: datetime, by_hand: bool = False) -> Todo:
    """Items to review, write and schedule by the roles ``actor`` holds (waiting
    longest first; a writer's soonest due first), and their tickets. ``by_hand``:
    the account publishes by hand (workflow.publishing.by_hand), so an admin is
    also shown what waits in 发布中 for its link (已发布)."""
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
            if by_hand:
                found.to_record = list(work.items_in((State.PUBLISHING,)))
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
