"""Run one staff command: parse, authorise, act, and always answer something."""

from __future__ import annotations

import logging

from handlers import refusals
from handlers.commands.context import CommandContext, Result
from handlers.commands.grammar import Command, CommandError, Spec, match, parse, refused
from handlers.commands.table import TABLE
from workflow.errors import WorkflowError
from workflow.roles import ROLE_LABELS, Role

log = logging.getLogger("wxops.commands")

def run(ctx: CommandContext, trusted: bool) -> str:
    """The reply to a staff member's text. ``trusted``: the body was authenticated
    (safe mode), or the deployment allows plaintext commands."""
    try:
        return perform(ctx, trusted)
    except (CommandError, WorkflowError) as refusal:  # worded here, from the catalogue
        return refusals.say(refusal)


def perform(ctx: CommandContext, trusted: bool) -> str:
    """The reply to a command that went through; a refusal is raised (CommandError
    or WorkflowError), for a caller that tells the two apart (the CLI's exit code)."""
    return answer(ctx, trusted).render()


def answer(ctx: CommandContext, trusted: bool) -> Result:
    """What a command that went through answers, as data (a template and its
    context); a refusal is raised."""
    try:
        command = parse(ctx.text, TABLE)
    except CommandError:
        # Who may not use a command is told that, not how to type it.
        found = match(ctx.text, TABLE)
        if found is not None and not found[0].allowed_for(ctx.actor.roles):
            raise _needs_role(found[0]) from None
        raise
    _authorise(ctx, command, trusted)
    return command.spec.handler(ctx, command)  # type: ignore[no-any-return]


def _authorise(ctx: CommandContext, command: Command, trusted: bool) -> None:
    spec = command.spec
    if not spec.allowed_for(ctx.actor.roles):
        raise _needs_role(spec)
    if spec.changes and not trusted:
        log.warning("refused untrusted %r from %s", spec.name, ctx.openid)
        raise refused("untrusted")


def _needs_role(spec: Spec) -> CommandError:
    needed = sorted(ROLE_LABELS[r] for r in spec.roles | {Role.ADMIN})
    return refused("needs_role", command=spec.words[0], roles=needed)
