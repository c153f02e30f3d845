"""Who on the team may give the approvals an item still needs, and who is missing.

An item needs a first approval, then ``required_final_approvals`` final ones,
each from a different person who did not write it (its author, or the editor
of this revision), and no final one from its first reviewer. Pure: the team is
passed in. The notices that ask for an approval go to the people named here,
and the item's page and the reply to a move say how many more the team lacks:
a small team learns it when the item is submitted or marked sensitive, not
when somebody is refused at final review.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from workflow import policy
from workflow.model import ContentItem, Review, ReviewStage
from workflow.roles import Actor, Role
from workflow.states import Event, State

#: Before the first review: the approvals ahead are counted, none can be given yet.
BEFORE_REVIEW = frozenset({State.PLANNED, State.DRAFTING, State.CHANGES_REQUESTED})


@dataclass(frozen=True)
class Outlook:
    """The approvals an item still needs, and the team members who may give them."""

    stage: ReviewStage  # the next approval: first or final review
    needed: int  # distinct people who must still approve, this stage and the next
    finals: int  # of them, final approvals
    qualified: tuple[Actor, ...]  # team members who may give one of them
    due: bool  # the next approval can be given now: the item is in review
    first_given: bool = False  # someone first-approved: they may not final-approve
    finals_given: int = 0

    @property
    def approvers(self) -> tuple[Actor, ...]:
        """Who may give the next approval now."""
        return self.qualified if self.due else ()

    @property
    def missing(self) -> int:
        """How many more qualified members the team needs before the item can pass."""
        return max(0, self.needed - len(self.qualified))

    def shortfall(self) -> dict[str, Any]:
        """What a text needs to say who is missing (kept in a notice's JSON context)."""
        return {"stage": self.stage.value, "needed": self.needed, "finals": self.finals,
                "names": [p.name for p in self.qualified], "missing": self.missing,
                "first_given": self.first_given, "finals_given": self.finals_given}


def outlook(item: ContentItem, reviews: Iterable[Review], team: Iterable[Actor]) -> Outlook | None:
    """The approvals ``item`` still needs from ``team``; None when it needs none
    (approved already, or past review)."""
    review_list, people = list(reviews), _reviewers(team)
    if item.state is State.FINAL_REVIEW:
        given = len(policy.final_approvers(item, review_list))
        finals = max(0, item.required_final_approvals - given)
        return Outlook(ReviewStage.FINAL, finals, finals,
                       _who(people, Event.FINAL_APPROVE, item, review_list), due=True,
                       first_given=bool(policy.first_approvers(item, review_list)),
                       finals_given=given)
    if item.state is State.IN_REVIEW or item.state in BEFORE_REVIEW:
        finals = item.required_final_approvals
        return Outlook(ReviewStage.FIRST, 1 + finals, finals,
                       _who(people, Event.APPROVE, item, review_list),
                       due=item.state is State.IN_REVIEW)
    return None


def to_ask(seen: Outlook) -> tuple[Actor, ...]:
    """Who a call for the next approval goes to: the reviewers who may give it;
    admins who may stand in when there are fewer such reviewers than approvals
    wanted at this stage."""
    reviewers = tuple(p for p in seen.approvers if Role.REVIEWER in p.roles)
    wanted = seen.needed if seen.stage is ReviewStage.FINAL else 1
    return reviewers if len(reviewers) >= wanted else seen.approvers


def _reviewers(team: Iterable[Actor]) -> list[Actor]:
    """Members who hold a reviewing role (admins may review), each once, by id."""
    by_id = {p.id: p for p in team if p.has(Role.REVIEWER)}
    return [by_id[i] for i in sorted(by_id)]


def _who(people: Sequence[Actor], event: Event, item: ContentItem,
         reviews: list[Review]) -> tuple[Actor, ...]:
    return tuple(p for p in people if policy.may_review(p, event, item, reviews))
