"""Who may do what to which item. Pure: answers or raises, never acts."""

from __future__ import annotations

from collections.abc import Iterable

from workflow.errors import (
    AlreadyApproved,
    AlreadySensitive,
    EmptyBody,
    NotOwner,
    PermissionDenied,
    SameReviewer,
    SelfReview,
    TransitionNotAllowed,
    WorkflowError,
)
from workflow.model import ContentItem, Review, ReviewDecision, ReviewStage
from workflow.roles import OWNER_EVENTS, REVIEW_EVENTS, STAFF_ROLES, Actor, Role, roles_for
from workflow.states import Event, State, events_from, transitions_from
from workflow.text import has_text

#: Moves that take an item toward publication: each needs a body with text to read.
#: DUE is left out: an item scheduled by an older version without a body fails at
#: submission with the reason, instead of waiting in 已排期 for ever.
NEEDS_TEXT = frozenset({Event.SUBMIT, Event.APPROVE, Event.FINAL_APPROVE, Event.SCHEDULE,
                        Event.PUBLISH, Event.RETRY})


def can(actor: Actor, event: Event, item: ContentItem, reviews: Iterable[Review] = ()) -> None:
    """Raise the WorkflowError that explains why ``actor`` may not fire ``event``.

    Checks, in order: the role, the state, ownership, the review rules (no
    self-review, a different final reviewer, one final approval each), and that
    a move toward publication has text to review or publish.
    """
    allowed = roles_for(event)
    if not any(actor.has(role) for role in allowed):
        raise PermissionDenied(event, allowed)
    if not transitions_from(item.state, event):
        raise TransitionNotAllowed(item.id, item.state, event)
    if event is Event.MARK_SENSITIVE and item.sensitive:
        raise AlreadySensitive(item.id)
    _check_person(actor, event, item, list(reviews))
    if event in NEEDS_TEXT and not has_text(item.body):
        raise EmptyBody(item.id, event)


def may_review(actor: Actor, event: Event, item: ContentItem, reviews: Iterable[Review]) -> bool:
    """Whether ``actor`` is someone who may give this review decision on ``item``,
    whatever its state: the role and the review rules of :func:`can`, nothing else
    (who could approve once the item gets there)."""
    if not any(actor.has(role) for role in roles_for(event)):
        return False
    try:
        _check_person(actor, event, item, list(reviews))
    except WorkflowError:
        return False
    return True


def _check_person(actor: Actor, event: Event, item: ContentItem, reviews: list[Review]) -> None:
    """The rules about who the actor is: ownership, and the review rules."""
    if event in OWNER_EVENTS and not actor.is_admin and item.author_id != actor.id:
        raise NotOwner(item.id, event)
    if event in REVIEW_EVENTS and item.author_id == actor.id:
        raise SelfReview()
    if event in REVIEW_EVENTS and item.edited_by == actor.id:
        raise SelfReview(edited=True)
    if event is Event.FINAL_APPROVE:
        _check_final_reviewer(actor, item, reviews)


def allowed_events(
    actor: Actor, item: ContentItem, reviews: Iterable[Review] = ()
) -> tuple[Event, ...]:
    """Events ``actor`` could fire on ``item`` right now (for "what next" hints)."""
    review_list = list(reviews)
    result = []
    for event in events_from(item.state):
        try:
            can(actor, event, item, review_list)
        except WorkflowError:
            continue
        result.append(event)
    return tuple(result)


def next_by_role(state: State) -> dict[Role, tuple[Event, ...]]:
    """What each staff role could do next in ``state``: the table's view, before
    the per-person rules (ownership, no self-review). Edits are left out: every
    author may always edit their own item."""
    result: dict[Role, tuple[Event, ...]] = {}
    for role in STAFF_ROLES:
        events = tuple(e for e in events_from(state) if role in roles_for(e)
                       and e is not Event.EDIT)
        if events:
            result[role] = events
    return result


def current_reviews(item: ContentItem, reviews: Iterable[Review]) -> list[Review]:
    """Reviews that still count: same review round and same revision as the item."""
    return [
        r for r in reviews
        if r.review_round == item.review_round and r.revision == item.revision
    ]


def final_approvers(item: ContentItem, reviews: Iterable[Review]) -> set[int]:
    return {
        r.reviewer_id for r in current_reviews(item, reviews)
        if r.stage is ReviewStage.FINAL and r.decision is ReviewDecision.APPROVED
    }


def first_approvers(item: ContentItem, reviews: Iterable[Review]) -> set[int]:
    return {
        r.reviewer_id for r in current_reviews(item, reviews)
        if r.stage is ReviewStage.FIRST and r.decision is ReviewDecision.APPROVED
    }


def _check_final_reviewer(actor: Actor, item: ContentItem, reviews: list[Review]) -> None:
    if actor.id in first_approvers(item, reviews):
        raise SameReviewer()
    if actor.id in final_approvers(item, reviews):
        raise AlreadyApproved()
