"""Use cases: load through the unit of work, decide, write everything at once.

Each use case is one transaction: the new item state, the review (if any), an
audit row and one outbox row per effect commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from workflow import approvals, archive, pages, review_view, revision_checks, staffing
from workflow.approvals import Outlook
from workflow.checks import CheckResult
from workflow.checks.model import MAX_BODY_CHARS, MAX_DIGEST, MAX_TITLE
from workflow.effects import AskForApproval, Effect, NotifyRole, NotifyStaff
from workflow.errors import (
    ActorNotFound,
    ConcurrentUpdate,
    ItemNotFound,
    NotAWriter,
    NothingToChange,
    PermissionDenied,
    StaleVersion,
    TitleMissing,
    TooLong,
    TransitionNotAllowed,
    WriterUnknown,
)
from workflow.machine import Decision, decide
from workflow.model import AuditEntry, ContentItem, Context, ItemChanges, Review
from workflow.ports import UnitOfWork
from workflow.roles import SYSTEM_ACTOR, Actor, Role, roles_for
from workflow.states import Event, State, transitions_from

#: A refusal this soon after somebody else's move on the same item is a lost race;
#: later, the refusal says what the item's state allows, like any other.
RACE_WINDOW = timedelta(minutes=2)


#: How often a publish failure is tried against concurrent writes of the item.
SETTLE_TRIES = 3


def plan(uow: UnitOfWork, actor_id: int, title: str, ctx: Context, topic: str = "") -> ContentItem:
    """Create a topic (选题) authored by ``actor_id``, due ``ctx.due_on`` if given."""
    title = _checked_title(title, planning=True)
    with uow:
        actor = _actor(uow, actor_id)
        if not actor.has(Role.CREATOR):
            raise PermissionDenied(Event.PLAN, roles_for(Event.PLAN))
        draft = ContentItem(id=0, title=title, topic=topic, author_id=actor.id, planned_at=ctx.now,
                            due_on=ctx.due_on)
        item = uow.items.add(draft)
        _audit_creation(uow, item, actor, ctx)
        uow.commit()
        return item


#: Called with the decision in the move's transaction, before anything of the
#: move is written; what it raises undoes the move (workflow/draft_cases.py
#: claims a draft's update_time this way, in the transaction of its revision).
Claim = Callable[[Decision], None]


def act(uow: UnitOfWork, actor_id: int, item_id: int, event: Event, ctx: Context,
        changes: ItemChanges | None = None, claim: Claim | None = None) -> Decision:
    """Fire ``event`` on an item as ``actor_id`` (0 = the system).

    Two people acting on one item at once: the optimistic version check lets
    exactly one commit; the other gets ConcurrentUpdate naming the winner.
    """
    try:
        return _act(uow, actor_id, item_id, event, ctx, changes, claim)
    except StaleVersion:
        raise _conflict(uow, item_id) from None


def _act(uow: UnitOfWork, actor_id: int, item_id: int, event: Event, ctx: Context,
         changes: ItemChanges | None, claim: Claim | None = None) -> Decision:
    with uow:
        actor = SYSTEM_ACTOR if actor_id == SYSTEM_ACTOR.id else _actor(uow, actor_id)
        item = uow.items.get(item_id)
        if item is None:
            raise ItemNotFound(item_id)
        reviews = list(uow.reviews.for_item(item_id))
        try:
            decision = decide(item, reviews, actor, event, ctx, changes)
        except TransitionNotAllowed as refusal:
            raise _lost_race(uow, item, actor, event, ctx) or refusal from None
        if claim is not None:
            claim(decision)
        revision_checks.refuse_on_errors(item, event, uow.checks.of(item.id, item.revision))
        result = _check_revision(uow, decision, ctx)
        _record(uow, decision, actor, reviews)
        if result is not None and result.sensitive and not decision.item.sensitive:
            decision = _mark_sensitive(uow, decision, result, ctx, reviews)
        uow.commit()
        return decision


def _check_revision(uow: UnitOfWork, decision: Decision, ctx: Context) -> CheckResult | None:
    """Check a new revision and keep the result with it (before the move's
    notices are written, so that they can say what the check found)."""
    item = decision.item
    if item.revision == decision.before.revision:
        return None
    result = revision_checks.run(item, revision_checks.WORDS.current(uow.words),
                                 ctx.capabilities)
    uow.checks.add(item.id, item.revision, result, ctx.now)
    return result


def _mark_sensitive(uow: UnitOfWork, decision: Decision, result: CheckResult, ctx: Context,
                    reviews: list[Review]) -> Decision:
    """A word of the list marks the item sensitive in the same transaction (the
    system's move, whose audit row names the words). Returns the decision the
    caller's reply is about: the edit's, with the item as it now stands."""
    item = decision.item
    why = replace(ctx, comment=revision_checks.sensitive_places(result), command="")
    marked = decide(item, reviews, SYSTEM_ACTOR, Event.MARK_SENSITIVE, why)
    _record(uow, marked, SYSTEM_ACTOR, reviews)
    return replace(decision, item=marked.item)


def edit(uow: UnitOfWork, actor_id: int, item_id: int, changes: ItemChanges,
         ctx: Context, claim: Claim | None = None) -> Decision:
    """Change an item's content; bumps the revision and voids approvals."""
    if changes.is_empty():
        raise NothingToChange()
    return act(uow, actor_id, item_id, Event.EDIT, ctx, _checked_changes(changes), claim)


def assign(uow: UnitOfWork, actor_id: int, item_id: int, member: str, ctx: Context) -> Decision:
    """Make ``member`` (a number, openid or name) the item's writer: an admin's move."""
    with uow:
        found = staffing.only_one(member, uow.staff.matching(member.strip()))
    writer = found.actor if found is not None else None
    if writer is None:
        raise WriterUnknown(member)
    if not writer.has(Role.CREATOR):
        raise NotAWriter(writer.name, writer.id, writer.roles)
    return act(uow, actor_id, item_id, Event.ASSIGN, replace(ctx, assignee=writer))


def set_due(uow: UnitOfWork, actor_id: int, item_id: int, due_on: date | None,
            ctx: Context) -> Decision:
    """Set (or, with None, clear) the day the item's draft is due."""
    return act(uow, actor_id, item_id, Event.SET_DUE, replace(ctx, due_on=due_on))


def _checked_title(title: str, planning: bool = False) -> str:
    """The title without surrounding blanks, refused when empty or longer than WeChat takes."""
    title = title.strip()
    if not title:
        raise TitleMissing(planning)
    if len(title) > MAX_TITLE:
        raise TooLong("title", len(title), MAX_TITLE)
    return title


def _checked_changes(changes: ItemChanges) -> ItemChanges:
    """Content WeChat would refuse when the draft is synced, refused now instead."""
    if changes.title is not None:
        changes = replace(changes, title=_checked_title(changes.title))
    if changes.digest is not None and len(changes.digest) > MAX_DIGEST:
        raise TooLong("digest", len(changes.digest), MAX_DIGEST)
    if changes.body is not None and len(changes.body) >= MAX_BODY_CHARS:
        raise TooLong("body", len(changes.body), MAX_BODY_CHARS)
    return changes


def record_publish_result(uow: UnitOfWork, publish_id: str, succeeded: bool, ctx: Context) -> (
        Decision | None):
    """Apply a PUBLISHJOBFINISH result. Idempotent: a repeat finds the item moved on."""
    with uow:
        item = uow.items.by_publish_id(publish_id)
    event = Event.PUBLISH_SUCCEEDED if succeeded else Event.PUBLISH_FAILED
    try:
        return _settle_publishing(uow, item, event, ctx)
    except (TransitionNotAllowed, ConcurrentUpdate):
        return None  # a concurrent delivery of the same result got there first


def record_submit_failure(uow: UnitOfWork, item_id: int, ctx: Context) -> Decision | None:
    """The submission to WeChat (freepublish/submit) was given up for good: the
    publish failed before it began, and the item fails as a refused publication
    does (``ctx.comment`` says why). Ignored when the item is no longer waiting
    for a submission: it moved on, or another submission was accepted and its
    own result decides.

    Nothing else reports this failure later (no result push, no poll), so a
    concurrent write (the worker storing a draft id) makes it look again.
    """
    for _ in range(SETTLE_TRIES):
        with uow:
            item = uow.items.get(item_id)
        if item is None or item.publish_id:
            return None
        try:
            return _settle_publishing(uow, item, Event.PUBLISH_FAILED, ctx)
        except (TransitionNotAllowed, ConcurrentUpdate):
            continue
    return None


def record_submit_confirmed(uow: UnitOfWork, item_id: int, ctx: Context) -> Decision | None:
    """A submission given up as unconfirmed turned out accepted (``publish_id`` is
    now stored): the item that failed on it is publishing again, and the result
    push, or the poll, settles it. Ignored when the item has moved on (an admin
    sent it back for changes, or retried: that submission's own result decides)."""
    with uow:
        item = uow.items.get(item_id)
    if item is None or item.state is not State.PUBLISH_FAILED or not item.publish_id:
        return None
    try:
        return act(uow, SYSTEM_ACTOR.id, item.id, Event.SUBMIT_CONFIRMED, ctx)
    except (TransitionNotAllowed, ConcurrentUpdate):
        return None


def _settle_publishing(uow: UnitOfWork, item: ContentItem | None, event: Event,
                       ctx: Context) -> Decision | None:
    if item is None or item.state is not State.PUBLISHING:
        return None
    return act(uow, SYSTEM_ACTOR.id, item.id, event, ctx)


def _actor(uow: UnitOfWork, actor_id: int) -> Actor:
    actor = uow.staff.actor(actor_id)
    if actor is None:
        raise ActorNotFound(actor_id)
    return actor


def _audit_creation(uow: UnitOfWork, item: ContentItem, actor: Actor, ctx: Context) -> None:
    uow.audit.add(AuditEntry(
        item_id=item.id, actor_id=actor.id, actor_name=actor.name, event=Event.PLAN,
        from_state=State.PLANNED, to_state=State.PLANNED, revision=item.revision,
        at=ctx.now, comment=ctx.comment, command=ctx.command,
    ))


def outlook(uow: UnitOfWork, item: ContentItem, reviews: Iterable[Review]) -> Outlook | None:
    """The approvals ``item`` still needs and who on the team may give them
    (inside an open unit of work: for the item's page and a move's reply)."""
    return approvals.outlook(item, reviews, _team(uow))


def _team(uow: UnitOfWork) -> list[Actor]:
    return [*uow.staff.with_role(Role.REVIEWER), *uow.staff.with_role(Role.ADMIN)]


def _record(uow: UnitOfWork, decision: Decision, actor: Actor, reviews: list[Review]) -> None:
    uow.items.save(decision.item, expected_version=decision.before.version)
    if decision.review is not None:
        uow.reviews.add(decision.review)
        reviews = [*reviews, decision.review]
    uow.audit.add(decision.audit)
    for request in archive.to_archive(decision):  # before any delete can be sent
        uow.archive.store(request, decision.audit.at)
    if decision.item.state is not decision.before.state and pages.ends_links(decision.item.state):
        uow.links.revoke_item(decision.item.id, decision.audit.at)  # its previews end with it
    for effect in _expand(uow, decision, actor, reviews):
        key = effect.idempotency_key(decision.item.id, decision.item.version)
        if isinstance(effect, NotifyStaff):  # eleven reschedules are one notice, not eleven
            uow.outbox.replace_notices(effect.staff_id, decision.item.id, key)
        uow.outbox.add(effect.kind, effect.payload(), key, decision.audit.at)


def _expand(uow: UnitOfWork, decision: Decision, actor: Actor,
            reviews: list[Review]) -> list[Effect]:
    """Turn role notices and calls for an approval into one notice per person
    (not the actor), each stamped with the item version and state it describes.

    A call for an approval goes to those who may give it; when the team is
    short of such people, the call says so, and admins (who can invite) are told.
    """
    item = decision.item
    seen = outlook(uow, item, reviews) if _asks_for_approval(decision) else None
    short = seen.shortfall() if seen is not None and seen.missing else None
    effects: list[Effect] = []
    for effect in decision.effects:
        if isinstance(effect, NotifyRole):
            effects += _tell(uow.staff.with_role(effect.role), effect.template, effect.context,
                             actor)
        elif isinstance(effect, AskForApproval):
            asked = approvals.to_ask(seen) if seen is not None else ()
            context = {**effect.context, "short": short} if short else effect.context
            context = {**context, **revision_checks.notice_counts(
                uow.checks.of(item.id, item.revision)), **_diff_summary(uow, item, reviews)}
            effects += _tell(asked, effect.template, context, actor)
        else:
            effects.append(effect)
    if short:
        effects += _admins_told_short(uow, item, short, effects, actor)
    return _unique([replace(e, item_version=item.version, item_state=item.state.value)
                    if isinstance(e, NotifyStaff) else e for e in effects])


def _diff_summary(uow: UnitOfWork, item: ContentItem,
                  reviews: list[Review]) -> dict[str, dict[str, int]]:
    """What a call for review says of the revision against the one last reviewed."""
    diff = review_view.since_review(uow, item.id, item.revision, reviews)
    return {} if diff is None else {"diff": diff.summary()}


def _admins_told_short(uow: UnitOfWork, item: ContentItem, short: dict[str, Any],
                       effects: list[Effect], actor: Actor) -> list[Effect]:
    """Admins can invite the reviewer the item lacks: each hears it once (an admin
    asked to approve read it in that call already)."""
    told = {e.staff_id for e in effects if isinstance(e, NotifyStaff)}
    admins = [p for p in uow.staff.with_role(Role.ADMIN) if p.id not in told]
    return _tell(admins, "item_approvers_missing",
                 {"item_id": item.id, "title": item.title, "short": short}, actor)


def _asks_for_approval(decision: Decision) -> bool:
    """The move asks for an approval, or changed how many are needed: the
    team is checked for people who may give them now, not at final review."""
    return (decision.audit.event is Event.MARK_SENSITIVE
            or any(isinstance(e, AskForApproval) for e in decision.effects))


def _tell(people: Sequence[Actor], template: str, context: dict[str, Any],
          actor: Actor) -> list[Effect]:
    return [NotifyStaff(staff_id=p.id, template=template, context=context)
            for p in people if p.id != actor.id]


def _unique(effects: list[Effect]) -> list[Effect]:
    seen: set[str] = set()
    out = []
    for e in effects:
        key = e.idempotency_key(0, 0)
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


def _lost_race(uow: UnitOfWork, item: ContentItem, actor: Actor, event: Event,
               ctx: Context) -> ConcurrentUpdate | None:
    """A refusal that only happened because somebody else moved first, just now."""
    last = uow.audit.latest(item.id)
    if last is None or last.actor_id == actor.id or ctx.now - last.at > RACE_WINDOW:
        return None
    if not transitions_from(last.from_state, event):
        return None
    return ConcurrentUpdate(item.id, last.actor_name, last.event.label, item.state.label)


def _conflict(uow: UnitOfWork, item_id: int) -> ConcurrentUpdate:
    with uow:
        last = uow.audit.latest(item_id)
    return ConcurrentUpdate(item_id, last.actor_name if last else None,
                            last.event.label if last else None,
                            last.to_state.label if last else None)


__all__ = [
    "MAX_BODY_CHARS", "MAX_DIGEST", "MAX_TITLE", "act", "assign", "edit", "outlook", "plan",
    "record_publish_result",
    "record_submit_confirmed", "record_submit_failure", "set_due",
]
