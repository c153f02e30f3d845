"""确认 CODE: perform what a confirmation code was issued for."""

from __future__ import annotations

from collections.abc import Callable

from handlers.commands import content, team
from handlers.commands.context import CommandContext, Result
from handlers.commands.grammar import Command, refused
from storage import confirmations
from workflow.states import Event

Performer = Callable[[CommandContext, confirmations.Pending], Result]

#: Every action a code can be issued for, and who carries it out.
CONFIRMED: dict[str, Performer] = {
    Event.PUBLISH.value: content.perform_item,
    Event.WITHDRAW.value: content.perform_item,
    Event.CANCEL.value: content.perform_item,
    "remove_staff": team.perform_remove_staff,
    "delete_rule": team.perform_delete_rule,
}


def confirm(ctx: CommandContext, cmd: Command) -> Result:
    """Only the person who asked, within 5 minutes, and only if nothing changed since."""
    try:
        pending = confirmations.take(ctx.conn, str(cmd.args["code"]), ctx.actor.id, ctx.now)
    except confirmations.ConfirmationRefused as exc:
        raise refused("confirmation_refused", why=exc.why) from None
    performer = CONFIRMED.get(pending.action)
    if performer is None:
        raise refused("confirmation_unsupported")
    return performer(ctx, pending)
