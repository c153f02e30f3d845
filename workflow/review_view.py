"""What a reviewer (and the writer) sees of a revision beside its text: what
changed since the revision last reviewed (``diffing``), and the reasons the
last review sent it back with, each with the passage it quotes.

Read inside an open unit of work, by 查看, the call for review and the
preview page alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from workflow import diffing
from workflow.diffing import RevisionDiff
from workflow.model import Review, ReviewDecision
from workflow.ports import UnitOfWork


@dataclass(frozen=True)
class Reason:
    """One request for changes: who, on which revision, why, and the passage."""

    by: str
    revision: int
    reason: str
    quote: str


def since_review(uow: UnitOfWork, item_id: int, revision: int,
                 reviews: Sequence[Review]) -> RevisionDiff | None:
    """``revision`` against the revision last reviewed before it; None when no
    earlier revision was reviewed (or its text is gone)."""
    since = diffing.last_reviewed(reviews, revision)
    if since is None:
        return None
    old, new = uow.links.article(item_id, since), uow.links.article(item_id, revision)
    if old is None or new is None:
        return None
    return diffing.compare(old.body, new.body, since, revision)


def reasons(uow: UnitOfWork, reviews: Sequence[Review], revision: int) -> tuple[Reason, ...]:
    """The requests for changes of the last review up to ``revision`` (the
    newest round on the newest reviewed revision): what the writer was asked
    to change last time; none when that review passed it."""
    reviewed = [r for r in reviews if r.revision <= revision]
    if not reviewed:
        return ()
    last = max((r.revision, r.review_round) for r in reviewed)
    return tuple(Reason(_name(uow, r.reviewer_id), r.revision, r.comment, r.quote)
                 for r in reviewed
                 if (r.revision, r.review_round) == last
                 and r.decision is ReviewDecision.CHANGES_REQUESTED)


def _name(uow: UnitOfWork, staff_id: int) -> str:
    actor = uow.staff.actor(staff_id)
    return actor.name if actor is not None else str(staff_id)
