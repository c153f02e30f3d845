"""The pure state machine: (item, reviews, actor, event, context) -> Decision.

No clock, no storage, no network: the caller passes ``now`` in the context and
performs nothing; the decision lists the new item, the review and audit rows to
write, and the effects to hand to the outbox.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from workflow import policy, publishing, quoting
from workflow.checks.document import visible_text
from workflow.effects import (
    AnyEffect,
    ArchivePublished,
    AskForApproval,
    DeletePublished,
    NotifyRole,
    NotifyStaff,
    SubmitPublish,
    SyncDraft,
)
from workflow.errors import (
    AlreadyWriter,
    InvalidSchedule,
    QuoteNotFound,
    ReasonRequired,
    WriterMissing,
)
from workflow.model import (
    AuditEntry,
    ContentItem,
    Context,
    ItemChanges,
    Review,
    ReviewDecision,
    ReviewStage,
)
from workflow.roles import Actor, Role
from workflow.states import Event, State, transitions_from


@dataclass(frozen=True)
class Decision:
    before: ContentItem
    item: ContentItem
    audit: AuditEntry
    review: Review | None = None
    effects: tuple[AnyEffect, ...] = ()


def decide(
    item: ContentItem,
    reviews: Sequence[Review],
    actor: Actor,
    event: Event,
    ctx: Context,
    changes: ItemChanges | None = None,
) -> Decision:
    """Decide what ``event`` does to ``item``; raise a WorkflowError if it may not."""
    policy.can(actor, event, item, reviews)
    step = _STEPS[event]
    new_item, review, effects = step(item, reviews, actor, ctx, changes)
    new_item = replace(new_item, version=item.version + 1)
    audit = AuditEntry(
        item_id=item.id, actor_id=actor.id, actor_name=actor.name, event=event,
        from_state=item.state, to_state=new_item.state, revision=new_item.revision,
        at=ctx.now, comment=ctx.comment, command=ctx.command,
        result=new_item.scheduled_at.isoformat()
        if event is Event.SCHEDULE and new_item.scheduled_at else "",
    )
    return Decision(item, new_item, audit, review, tuple(effects))


_Step = Callable[
    [ContentItem, Sequence[Review], Actor, Context, ItemChanges | None],
    tuple[ContentItem, Review | None, list[AnyEffect]],
]
_Result = tuple[ContentItem, Review | None, list[AnyEffect]]


def _target(item: ContentItem, event: Event) -> State:
    """The table's target; guarded rows are resolved by the step functions."""
    return transitions_from(item.state, event)[0].target


def _ctx(item: ContentItem, **extra: object) -> dict[str, object]:
    return {"item_id": item.id, "title": item.title, **extra}


def _notify_author(
    item: ContentItem, actor: Actor, template: str, **extra: object
) -> list[AnyEffect]:
    if item.author_id == actor.id:
        return []
    return [NotifyStaff(staff_id=item.author_id, template=template, context=_ctx(item, **extra))]


def _simple(event: Event) -> _Step:
    """A step that only moves the state, as the table says."""
    def step(item: ContentItem, _r: Sequence[Review], _a: Actor, _c: Context,
             _ch: ItemChanges | None) -> _Result:
        return replace(item, state=_target(item, event)), None, []
    return step


def _submit(item: ContentItem, _r: Sequence[Review], actor: Actor, _c: Context,
            _ch: ItemChanges | None) -> _Result:
    new = replace(item, state=State.IN_REVIEW, review_round=item.review_round + 1)
    return new, None, [AskForApproval("item_submitted", _ctx(item, by=actor.name))]


def _review(item: ContentItem, actor: Actor, ctx: Context, stage: ReviewStage,
            decision: ReviewDecision) -> Review:
    return Review(item.id, actor.id, stage, decision, item.revision, item.review_round,
                  ctx.comment, ctx.now)


def _approve(item: ContentItem, _r: Sequence[Review], actor: Actor, ctx: Context,
             _ch: ItemChanges | None) -> _Result:
    review = _review(item, actor, ctx, ReviewStage.FIRST, ReviewDecision.APPROVED)
    ask = AskForApproval("item_needs_final", _ctx(item, by=actor.name))
    return replace(item, state=State.FINAL_REVIEW), review, [ask]


def _is_words(text: str) -> bool:
    """A reason the author can act on has words in it: "." or "123" is not one."""
    return any(ch.isalpha() for ch in text)


def _request_changes(item: ContentItem, _r: Sequence[Review], actor: Actor, ctx: Context,
                     _ch: ItemChanges | None) -> _Result:
    quote, reason = quoting.split_quote(ctx.comment)
    if not _is_words(reason):
        raise ReasonRequired()
    if quote and not quoting.occurs(quote, visible_text(item.body)):
        raise QuoteNotFound(item.id, item.revision, quote)
    stage = ReviewStage.FINAL if item.state is not State.IN_REVIEW else ReviewStage.FIRST
    review = replace(_review(item, actor, replace(ctx, comment=reason), stage,
                             ReviewDecision.CHANGES_REQUESTED), quote=quote)
    effects = _notify_author(item, actor, "changes_requested", by=actor.name, reason=reason,
                             quote=quote)
    return replace(item, state=State.CHANGES_REQUESTED), review, effects


def _final_approve(item: ContentItem, reviews: Sequence[Review], actor: Actor, ctx: Context,
                   _ch: ItemChanges | None) -> _Result:
    review = _review(item, actor, ctx, ReviewStage.FINAL, ReviewDecision.APPROVED)
    approvers = policy.final_approvers(item, reviews) | {actor.id}
    if len(approvers) < item.required_final_approvals:
        ask = AskForApproval("item_needs_second_final", _ctx(item, by=actor.name))
        return item, review, [ask]
    # The draft box is filled at once, where the account publishes through it.
    sync = [] if publishing.by_hand(ctx.capabilities) else [
        SyncDraft(item_id=item.id, revision=item.revision)]
    effects: list[AnyEffect] = [
        NotifyRole(Role.ADMIN, "item_approved", _ctx(item, by=actor.name)),
        *sync,
        *_notify_author(item, actor, "item_approved_author", by=actor.name),
    ]
    return replace(item, state=State.APPROVED), review, effects


def _schedule(item: ContentItem, _r: Sequence[Review], actor: Actor, ctx: Context,
              _ch: ItemChanges | None) -> _Result:
    if ctx.when is None or ctx.when <= ctx.now:
        raise InvalidSchedule(ctx.when or ctx.now, ctx.now)
    new = replace(item, state=State.SCHEDULED, scheduled_at=ctx.when)
    when = ctx.when.isoformat()
    return new, None, _notify_author(item, actor, "item_scheduled", by=actor.name, when=when)


def _unschedule(item: ContentItem, _r: Sequence[Review], actor: Actor, _c: Context,
                _ch: ItemChanges | None) -> _Result:
    new = replace(item, state=State.APPROVED, scheduled_at=None)
    return new, None, _notify_author(item, actor, "item_unscheduled", by=actor.name)


def _publish(item: ContentItem, _r: Sequence[Review], _a: Actor, ctx: Context,
             _ch: ItemChanges | None) -> _Result:
    """Through the platform (the worker submits the draft), or, where the account
    may not, by hand: the admins are told to publish it in the official backend
    and record its link (RECORD_PUBLISHED)."""
    new = replace(item, state=State.PUBLISHING, publish_id=None)
    if publishing.by_hand(ctx.capabilities):
        return new, None, [NotifyRole(Role.ADMIN, "item_publish_by_hand", _ctx(item))]
    return new, None, [SubmitPublish(item_id=item.id, revision=item.revision)]


def _record_published(item: ContentItem, reviews: Sequence[Review], actor: Actor,
                      ctx: Context, changes: ItemChanges | None) -> _Result:
    """An admin published the article by hand: its link (``ctx.extra["url"]``)
    is recorded, and it is published as one the platform published."""
    url = publishing.article_link(ctx.extra.get("url", ""))
    ctx = replace(ctx, extra={"url": url})
    return _published(item, reviews, actor, ctx, changes)


def _published(item: ContentItem, _r: Sequence[Review], actor: Actor, ctx: Context,
               _ch: ItemChanges | None) -> _Result:
    new = replace(item, state=State.PUBLISHED, published_at=ctx.now, scheduled_at=None,
                  article_id=ctx.extra.get("article_id") or item.article_id,
                  url=ctx.extra.get("url") or item.url)
    # A revision published again is a new article: the outdated one it replaces
    # comes down, or readers of its link would keep reading what was flagged.
    replaced = item.article_id if item.article_id not in (None, new.article_id) else None
    urls = {"url": new.url, "replaced_url": (item.url or "") if replaced else ""}
    effects: list[AnyEffect] = [NotifyRole(Role.ADMIN, "item_published", _ctx(item, **urls))]
    effects += _notify_author(item, actor, "item_published", **urls)
    if replaced:
        effects.append(DeletePublished(item_id=item.id, article_id=replaced))
    return new, None, effects


def _publish_failed(item: ContentItem, _r: Sequence[Review], actor: Actor, ctx: Context,
                    _ch: ItemChanges | None) -> _Result:
    reason = ctx.comment  # "" when the platform said nothing: the notice says so
    notify = NotifyRole(Role.ADMIN, "item_publish_failed", _ctx(item, reason=reason))
    effects: list[AnyEffect] = [notify]
    effects += _notify_author(item, actor, "item_publish_failed", reason=reason)
    return replace(item, state=State.PUBLISH_FAILED), None, effects


def _submit_confirmed(item: ContentItem, _r: Sequence[Review], actor: Actor, _c: Context,
                      _ch: ItemChanges | None) -> _Result:
    """The failure told before is taken back: whoever heard of it hears this."""
    notify = NotifyRole(Role.ADMIN, "item_submit_confirmed", _ctx(item))
    effects: list[AnyEffect] = [notify]
    effects += _notify_author(item, actor, "item_submit_confirmed")
    return replace(item, state=State.PUBLISHING), None, effects


def _flag_outdated(item: ContentItem, _r: Sequence[Review], actor: Actor, ctx: Context,
                   _ch: ItemChanges | None) -> _Result:
    effects = _notify_author(item, actor, "item_outdated", by=actor.name, reason=ctx.comment)
    return replace(item, state=State.NEEDS_UPDATE), None, effects


def _withdraw(item: ContentItem, _r: Sequence[Review], actor: Actor, ctx: Context,
              _ch: ItemChanges | None) -> _Result:
    """The article comes down through freepublish/delete, or, where wxops cannot
    delete it (published by hand, or no free publishing), nothing is sent and
    the notice says to delete it in the backend (publishing.deleted_by_hand)."""
    by_hand = publishing.deleted_by_hand(item.article_id, ctx.capabilities)
    effects: list[AnyEffect] = []
    if not by_hand:
        effects.append(DeletePublished(item_id=item.id, article_id=str(item.article_id)))
    effects += _notify_author(item, actor, "item_withdrawn", by=actor.name,
                              delete_by_hand=by_hand, url=item.url or "")
    return replace(item, state=State.WITHDRAWN), None, effects


def _archive(item: ContentItem, _r: Sequence[Review], _a: Actor, ctx: Context,
             _ch: ItemChanges | None) -> _Result:
    """Archived while its article is online: the worker reads the platform's HTML
    into the archive entry the move writes (workflow/archive.py), where it can."""
    new = replace(item, state=_target(item, Event.ARCHIVE))
    if item.state is State.WITHDRAWN or publishing.deleted_by_hand(item.article_id,
                                                                   ctx.capabilities):
        return new, None, []
    return new, None, [ArchivePublished(item_id=item.id, article_id=str(item.article_id))]


def _cancel(item: ContentItem, _r: Sequence[Review], actor: Actor, _c: Context,
            _ch: ItemChanges | None) -> _Result:
    if item.published_at is None:
        return replace(item, state=State.CANCELLED), None, []
    # Revising a published article: its article is still online, so cancelling
    # drops the revision and leaves the article to a re-check or a withdrawal.
    effects = _notify_author(item, actor, "item_revision_dropped", by=actor.name)
    return replace(item, state=State.NEEDS_UPDATE), None, effects


def _edit(item: ContentItem, _r: Sequence[Review], actor: Actor, _c: Context,
          changes: ItemChanges | None) -> _Result:
    ch = changes or ItemChanges()
    new = replace(
        item,
        title=ch.title if ch.title is not None else item.title,
        topic=ch.topic if ch.topic is not None else item.topic,
        body=ch.body if ch.body is not None else item.body,
        digest=ch.digest if ch.digest is not None else item.digest,
        meta=ch.meta if ch.meta is not None else item.meta,
        revision=item.revision + 1,
        state=_target(item, Event.EDIT),
        edited_by=None if actor.id == item.author_id else actor.id,
    )
    if new.state is State.IN_REVIEW and item.state is not State.IN_REVIEW:
        new = replace(new, review_round=item.review_round + 1, scheduled_at=None)
        return new, None, [AskForApproval("item_resubmitted", _ctx(item, by=actor.name))]
    return new, None, []


def _mark_sensitive(item: ContentItem, reviews: Sequence[Review], actor: Actor, _c: Context,
                    _ch: ItemChanges | None) -> _Result:
    new = replace(item, sensitive=True)
    if item.state not in (State.APPROVED, State.SCHEDULED):
        return new, None, []
    if len(policy.final_approvers(item, reviews)) >= new.required_final_approvals:
        return new, None, []
    new = replace(new, state=State.FINAL_REVIEW, scheduled_at=None)
    return new, None, [AskForApproval("item_marked_sensitive", _ctx(item, by=actor.name))]


def _assign(item: ContentItem, _r: Sequence[Review], actor: Actor, ctx: Context,
            _ch: ItemChanges | None) -> _Result:
    """Give the item to another writer (the use case checked they may write):
    they are told, with the due date, and so is the writer it was taken from."""
    writer = ctx.assignee
    if writer is None:
        raise WriterMissing()
    if writer.id == item.author_id:
        raise AlreadyWriter(item.id, writer.name)
    new = replace(item, author_id=writer.id)
    due = item.due_on.isoformat() if item.due_on else ""
    effects: list[AnyEffect] = _notify_author(new, actor, "item_assigned", by=actor.name,
                                              due=due, state=item.state.value)
    effects += _notify_author(item, actor, "item_unassigned", by=actor.name, to=writer.name)
    return new, None, effects


def _set_due(item: ContentItem, _r: Sequence[Review], actor: Actor, ctx: Context,
             _ch: ItemChanges | None) -> _Result:
    new = replace(item, due_on=ctx.due_on)
    if new.due_on == item.due_on:
        return new, None, []
    due = new.due_on.isoformat() if new.due_on else ""
    return new, None, _notify_author(item, actor, "item_due_changed", by=actor.name, due=due)


_STEPS: dict[Event, _Step] = {
    Event.SUBMIT: _submit,
    Event.APPROVE: _approve,
    Event.REQUEST_CHANGES: _request_changes,
    Event.FINAL_APPROVE: _final_approve,
    Event.SCHEDULE: _schedule,
    Event.UNSCHEDULE: _unschedule,
    Event.PUBLISH: _publish,
    Event.DUE: _publish,
    Event.RETRY: _publish,
    Event.PUBLISH_SUCCEEDED: _published,
    Event.PUBLISH_FAILED: _publish_failed,
    Event.SUBMIT_CONFIRMED: _submit_confirmed,
    Event.RECORD_PUBLISHED: _record_published,
    Event.FLAG_OUTDATED: _flag_outdated,
    Event.WITHDRAW: _withdraw,
    Event.ARCHIVE: _archive,
    Event.CANCEL: _cancel,
    Event.EDIT: _edit,
    Event.MARK_SENSITIVE: _mark_sensitive,
    Event.ASSIGN: _assign,
    Event.SET_DUE: _set_due,
    **{e: _simple(e) for e in (Event.START, Event.RECHECK_OK, Event.REVISE)},
}
