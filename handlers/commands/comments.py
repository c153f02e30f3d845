"""Article comments in chat: 精选 T5 (feature the comment of a ticket), 删评 T5
(delete it, confirmed with 确认 CODE), 评论 12 开|关 (an item's comments). A
comment ticket's 回 is the reply queue's (handlers/commands/queue.py)."""

from __future__ import annotations

from handlers.commands.context import CommandContext, Result, say
from handlers.commands.grammar import Command, refused
from workflow import comment_cases, confirm_cases, ticket_cases
from workflow.comment_cases import CommentAction
from workflow.confirming import Confirmation
from workflow.roles import Action
from workflow.staffing import authorise


def feature(ctx: CommandContext, cmd: Command) -> Result:
    ticket_id = int(cmd.args["ticket"])
    ticket_cases.act_on_comment(ctx.uow(), ctx.actor, ticket_id, CommentAction.FEATURE,
                                ctx.workflow())
    return say("comment_done", ticket_id=ticket_id, action=CommentAction.FEATURE.value)


def ask_delete(ctx: CommandContext, cmd: Command) -> Result:
    """删评 T5: checked now (a comment ticket, the account able), done on 确认."""
    ticket_id = int(cmd.args["ticket"])
    authorise(ctx.actor, Action.DELETE_COMMENT)
    comment_cases.require_comments(ctx.capabilities)
    line = ticket_cases.line(ctx.uow(), ticket_id)
    comment = comment_cases.target(ticket_id, ticket_cases.comment_of(ctx.uow(), ticket_id))
    asked = confirm_cases.ask(ctx.uow(), ctx.actor, Action.DELETE_COMMENT.value, ticket_id,
                              comment.user_comment_id, ctx.workflow())
    return say("comment_confirm", t=line, code=asked.code)


def perform_delete(ctx: CommandContext, pending: Confirmation) -> Result:
    """删评, confirmed: the same comment (its id is the confirmation's version)."""
    ticket_id = pending.subject_id
    found = ticket_cases.comment_of(ctx.uow(), ticket_id)
    if found is None or found.user_comment_id != pending.subject_version:
        raise refused("confirmation_unsupported")
    ticket_cases.act_on_comment(ctx.uow(), ctx.actor, ticket_id, CommentAction.DELETE,
                                ctx.workflow())
    return say("comment_done", ticket_id=ticket_id, action=CommentAction.DELETE.value)


def switch(ctx: CommandContext, cmd: Command) -> Result:
    """评论 12 开|关."""
    open_ = cmd.args["switch"] == "on"  # table.SWITCH's values
    done = comment_cases.set_comments(ctx.uow(), ctx.actor, int(cmd.args["item"]), open_,
                                      ctx.workflow())
    return say("comments_set", item=done.item, open=open_, switched=done.switched)
