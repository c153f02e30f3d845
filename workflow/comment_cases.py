"""Comment use cases that decide without the database: whether the account may
use the comment interfaces, and what featuring or deleting a comment queues.
The reply-queue side (a comment's ticket answered, featured, deleted) is in
``workflow.ticket_cases``; reading comments in is ``bot/comment_sync.py``."""

from __future__ import annotations

from enum import StrEnum

from workflow.capabilities import Capabilities, Capability
from workflow.comments import CommentStatus, CommentTarget
from workflow.effects import ActOnComment
from workflow.errors import CommentGone, CommentsUnavailable, CommentUnmapped, NotACommentTicket


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
