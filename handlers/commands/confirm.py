"""确认 CODE: perform what a confirmation code was issued for."""

from __future__ import annotations

from collections.abc import Callable

from handlers.commands import comments, content, team
from handlers.commands.context import CommandContext, Result
from handlers.commands.grammar import Command, refused
from workflow import confirm_cases
from workflow.confirming import Confirmation
from workflow.roles import Action
from workflow.states import Event

Performer = Callable[[CommandContext, Confirmation], Result]

#: Every action a code can be issued for, and who carries it out.
CONFIRMED: dict[str, Performer] = {
    Event.PUBLISH.value: content.perform_item,
    Event.WITHDRAW.value: content.perform_item,
    Event.CANCEL.value: content.perform_item,
    Action.REMOVE_STAFF.value: team.perform_remove_staff,
    Action.DELETE_RULE.value: team.perform_delete_rule,
    Action.DELETE_COMMENT.value: comments.perform_delete,
}


def confirm(ctx: CommandContext, cmd: Command) -> Result:
    """Only the person who asked, within 5 minutes, and only if nothing changed since."""
    asked = confirm_cases.take(ctx.uow(), ctx.actor, str(cmd.args["code"]), ctx.workflow())
    performer = CONFIRMED.get(asked.action)
    if performer is None:
        raise refused("confirmation_unsupported")
    return performer(ctx, asked)
