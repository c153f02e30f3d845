"""Run one staff command: parse, authorise, act, and always answer something."""

from __future__ import annotations

import logging

from handlers.commands.context import CommandContext
from handlers.commands.grammar import Command, CommandError, parse
from handlers.commands.table import TABLE
from workflow.errors import WorkflowError
from workflow.roles import ROLE_LABELS, Role

log = logging.getLogger("wxops.commands")

UNTRUSTED = ("出于安全考虑，改变内容的命令只接受加密（安全模式）消息。"
             "请在公众号后台把消息加解密方式设为安全模式。")


def run(ctx: CommandContext, trusted: bool) -> str:
    """The reply to a staff member's text. ``trusted``: the body was authenticated
    (safe mode), or the deployment allows plaintext commands."""
    try:
        command = parse(ctx.text, TABLE)
        _authorise(ctx, command, trusted)
        return command.spec.handler(ctx, command).render()  # type: ignore[no-any-return]
    except CommandError as refusal:
        return refusal.message
    except WorkflowError as refusal:
        return refusal.message


def _authorise(ctx: CommandContext, command: Command, trusted: bool) -> None:
    spec = command.spec
    if not spec.allowed_for(ctx.actor.roles):
        needed = "、".join(sorted(ROLE_LABELS[r] for r in spec.roles | {Role.ADMIN}))
        raise CommandError(f"「{spec.words[0]}」需要{needed}权限")
    if spec.changes and not trusted:
        log.warning("refused untrusted %r from %s", spec.name, ctx.openid)
        raise CommandError(UNTRUSTED)
