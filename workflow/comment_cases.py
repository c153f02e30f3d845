"""Comment use cases: whether the account may use the comment interfaces, what
featuring or deleting a comment queues, and an item's comments opened or closed.
The reply-queue side (a comment's ticket answered, featured, deleted) is in
``workflow.ticket_cases``; reading comments in is ``bot/comment_sync.py``."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from workflow import staffing
from workflow.capabilities import Capabilities, Capability
from workflow.comments import CommentStatus, CommentTarget, from_url
from workflow.effects import ActOnComment, SwitchComments
from workflow.errors import (
    CommentGone,
    CommentsUnavailable,
    CommentUnmapped,
    ItemNotFound,
    NotACommentTicket,
)
from workflow.model import ActionEntry, ContentItem, Context
from workflow.ports import UnitOfWork
from workflow.roles import Action, Actor
from workflow.states import State


class CommentAction(StrEnum):
    """What staff do to a comment (the audit's event)."""

    FEATURE = "feature_comment"  # 精选
    DELETE = "delete_comment"  # 删评, confirmed first

    @property
    def status(self) -> CommentStatus:
        return CommentStatus.ELECTED if self is CommentAction.FEATURE else CommentStatus.DELETED

    @property
    def call(self) -> str:
        """The gateway's comment_action name."""
        return "markelect" if self is CommentAction.FEATURE else "delete"


def require_comments(capabilities: Capabilities) -> None:
    """Refuse, before anything is queued, on an account without the comment interfaces."""
    if not capabilities.allows(Capability.COMMENTS):
        raise CommentsUnavailable(capabilities.kind.name)


def target(ticket_id: int, found: CommentTarget | None) -> CommentTarget:
    """The comment a ticket names, still there and mapped; refused otherwise."""
    if found is None:
        raise NotACommentTicket(ticket_id)
    if found.status == CommentStatus.DELETED:
        raise CommentGone(ticket_id)
    if found.article is None:
        raise CommentUnmapped(found.item_id)
    return found


def act(ticket_id: int, found: CommentTarget | None, action: CommentAction) -> ActOnComment:
    """The call that features or deletes the ticket's comment."""
    comment = target(ticket_id, found)
    assert comment.article is not None
    return ActOnComment(ticket_id=ticket_id, action=action.call,
                        msg_data_id=comment.article.msg_data_id, index=comment.article.index,
                        user_comment_id=comment.user_comment_id)


@dataclass(frozen=True)
class CommentsSet:
    item: ContentItem
    switched: bool  # a published article's comments are being opened or closed too


def set_comments(uow: UnitOfWork, actor: Actor, item_id: int, open_: bool,
                 ctx: Context) -> CommentsSet:
    """评论 12 开|关: the item's comments flag (used when its draft is made:
    need_open_comment); a published item's article is opened or closed too, which
    needs the comment interfaces and an article its address names."""
    staffing.authorise(actor, Action.SET_COMMENTS)
    with uow:
        item = uow.items.get(item_id)
        if item is None:
            raise ItemNotFound(item_id)
        effect = _switch(item, open_, ctx) if item.state is State.PUBLISHED else None
        after = replace(item, meta=replace(item.meta, comments=open_), version=item.version + 1)
        uow.items.save(after, expected_version=item.version)
        if effect is not None:
            uow.outbox.add(effect.kind, effect.payload(), effect.key, ctx.now)
        uow.audit.record(ActionEntry(f"item:{item.id}", Action.SET_COMMENTS.value, actor.id,
                                     actor.name, ctx.now, result="open" if open_ else "closed",
                                     command=ctx.command))
        uow.commit()
    return CommentsSet(after, effect is not None)


def _switch(item: ContentItem, open_: bool, ctx: Context) -> SwitchComments:
    require_comments(ctx.capabilities)
    article = from_url(item.url or "")
    if article is None:
        raise CommentUnmapped(item.id)
    return SwitchComments(item_id=item.id, open=open_, msg_data_id=article.msg_data_id,
                          index=article.index, asked_at=int(ctx.now.timestamp()))
