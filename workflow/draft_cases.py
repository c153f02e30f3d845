"""Drafts in from the WeChat draft box: a sync's batch judged draft by draft,
a draft attached to an item, the recent drafts listed (workflow/draft_box.py).

Every change taken from the box is a revision through ``usecases.edit``, so
it is checked like any other and an approved item goes back to review. The
box's edits are written in the name of the item's writer (whoever edits in
WeChat's editor, wxops cannot tell); attaching is done by a person, in theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from workflow import policy, usecases
from workflow.capabilities import Capability
from workflow.draft_box import (
    BoxDraft,
    JudgedElsewhere,
    Outcome,
    SeenDraft,
    SyncReport,
    Verdict,
    changes,
    judge,
)
from workflow.errors import (
    ActorNotFound,
    DraftAttachedElsewhere,
    DraftNotFound,
    ItemNotFound,
    NoDraftBox,
    WorkflowError,
)
from workflow.machine import Decision
from workflow.model import ContentItem, Context
from workflow.ports import UnitOfWork
from workflow.states import Event


def require_box(ctx: Context) -> None:
    """NoDraftBox on an account that may not use the draft box."""
    if not ctx.capabilities.allows(Capability.MATERIALS):
        raise NoDraftBox(ctx.capabilities.kind.name)


def sync(uow: UnitOfWork, drafts: Sequence[BoxDraft], ctx: Context,
         complete: bool = True) -> SyncReport:
    """Judge each draft of the box (one transaction each); ``complete``: the
    batch is the whole box, so drafts not in it are forgotten."""
    require_box(ctx)
    outcomes = tuple(_one(uow, draft, ctx) for draft in drafts)
    forgotten = 0
    if complete:
        with uow:
            forgotten = uow.drafts.forget_except({d.media_id for d in drafts})
            uow.commit()
    return SyncReport(outcomes, forgotten)


def _one(uow: UnitOfWork, draft: BoxDraft, ctx: Context) -> Outcome:
    with uow:
        seen = uow.drafts.get(draft.media_id)
        item_id = seen.item_id if seen and seen.item_id else uow.drafts.item_using(draft.media_id)
        item = uow.items.get(item_id) if item_id is not None else None
        verdict = judge(draft, seen, item)
        if verdict is not Verdict.TAKEN:
            attached = item.id if item else None
            if not _as_seen(draft, seen, attached):  # a box of many drafts: no idle writes
                uow.drafts.record(draft, ctx.now, attached)
                uow.commit()
            return Outcome(draft.media_id, draft.title, verdict, attached)
    assert item is not None
    return _take(uow, draft, seen, item, ctx)


def _as_seen(draft: BoxDraft, seen: SeenDraft | None, item_id: int | None) -> bool:
    """Whether the draft is kept as it is now already (nothing saved since)."""
    return (seen is not None and seen.update_time == draft.update_time == seen.judged_time
            and seen.item_id == item_id and seen.title == draft.title)


def _take(uow: UnitOfWork, draft: BoxDraft, seen: SeenDraft | None, item: ContentItem,
          ctx: Context) -> Outcome:
    """The draft's text as a new revision of ``item``, in the writer's name; a
    refusal (the item is being published, say) leaves the draft unjudged, to
    be tried again. Of two syncs at once, the one that claims it first takes it."""
    flow = replace(ctx, comment=ctx.comment or draft.title)
    claim = _claim(uow, draft, seen.judged_time if seen else None, item.id, ctx)
    try:
        decision = usecases.edit(uow, item.author_id, item.id, changes(draft, item), flow, claim)
    except JudgedElsewhere:
        return Outcome(draft.media_id, draft.title, Verdict.UNCHANGED, item.id)
    except WorkflowError as refusal:
        with uow:
            uow.drafts.record(draft, ctx.now, item.id, judged=False)
            uow.commit()
        return Outcome(draft.media_id, draft.title, Verdict.REFUSED, item.id,
                       refusal=refusal)
    return Outcome(draft.media_id, draft.title, Verdict.TAKEN, item.id, decision.item.revision)


def _claim(uow: UnitOfWork, draft: BoxDraft, was: int | None, item_id: int,
           ctx: Context) -> usecases.Claim:
    """The draft judged at its update_time, in the revision's own transaction,
    if nobody judged it since it was read as judged at ``was`` (None: not kept
    yet); otherwise JudgedElsewhere undoes the revision."""
    def claim(decision: Decision) -> None:
        if not uow.drafts.claim(draft, was, ctx.now, item_id, decision.item.revision):
            raise JudgedElsewhere(draft.media_id)
    return claim


@dataclass(frozen=True)
class Attached:
    """A draft attached to an item: the item as it now stands, and the revision
    taken from the draft (None: the item says what the draft says already)."""

    item: ContentItem
    draft: SeenDraft
    revision: int | None


def attach(uow: UnitOfWork, actor_id: int, item_id: int, draft: str | int,
           ctx: Context) -> Attached:
    """Attach a draft (its media_id, or its number in the list) to an item and
    take its text as a revision now. Whoever may edit the item may attach."""
    require_box(ctx)
    with uow:
        item, seen = _attachable(uow, actor_id, item_id, draft)
        uow.drafts.attach(seen.media_id, item.id)
        uow.commit()
    revision = _attached_revision(uow, actor_id, seen.as_box(), item, ctx)
    with uow:
        now = uow.items.get(item.id) or item
    return Attached(now, seen, revision)


def _attached_revision(uow: UnitOfWork, actor_id: int, box: BoxDraft, item: ContentItem,
                       ctx: Context) -> int | None:
    """The revision taken from a draft just attached (unjudged: judged_time 0);
    None when the item says what it says already, or a sync took it first."""
    edit = changes(box, item)
    if edit.is_empty():
        with uow:
            uow.drafts.record(box, ctx.now, item.id)
            uow.commit()
        return None
    flow = replace(ctx, comment=ctx.comment or box.title)
    claim = _claim(uow, box, 0, item.id, ctx)
    try:  # refused here only by a race: the policy allowed it above
        return usecases.edit(uow, actor_id, item.id, edit, flow, claim).item.revision
    except JudgedElsewhere:  # a sync at this moment took it, in the writer's name
        return None


def _attachable(uow: UnitOfWork, actor_id: int, item_id: int,
                draft: str | int) -> tuple[ContentItem, SeenDraft]:
    actor = uow.staff.actor(actor_id)
    if actor is None:
        raise ActorNotFound(actor_id)
    item = uow.items.get(item_id)
    if item is None:
        raise ItemNotFound(item_id)
    seen = uow.drafts.numbered(draft) if isinstance(draft, int) else uow.drafts.get(draft)
    if seen is None:
        raise DraftNotFound(str(draft))
    if seen.item_id not in (None, item.id):
        raise DraftAttachedElsewhere(seen.number, seen.title, seen.item_id)
    policy.can(actor, Event.EDIT, item, uow.reviews.for_item(item.id))
    return item, seen


def recent(uow: UnitOfWork, ctx: Context, limit: int = 10,
           item_id: int | None = None) -> tuple[ContentItem | None, list[SeenDraft]]:
    """The drafts seen most recently saved in the box, newest first; with the
    item they are listed for, when given (ItemNotFound if there is none)."""
    require_box(ctx)
    with uow:
        item = uow.items.get(item_id) if item_id is not None else None
        if item_id is not None and item is None:
            raise ItemNotFound(item_id)
        return item, uow.drafts.recent(limit)
