"""Reply-queue commands: 队列, 工单 T5, 接, 回, 结, 缓, 备注, and the saved replies (快捷).

Every answer is a template under cmd/. A ticket's refusals are the workflow's
(``ticket_cases`` raises them, errors.j2 words them, for the CLI too); the saved
replies' are macros in cmd/refused.j2. The use cases audit each ticket change.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from handlers import texts
from handlers.commands.context import CommandContext, Result, say
from handlers.commands.grammar import Command, refused
from handlers.replies import TEXT_REPLY_BYTES
from handlers.when import format_when, parse_duration
from workflow import ticket_cases
from workflow.errors import TicketRefused
from workflow.queue_view import QueueLine
from workflow.reply_queue import Refusal, TicketAction
from workflow.tickets import REPLY_LIMIT

QUEUE_LIMIT = 15
HISTORY_LIMIT = 10  # messages shown by 工单 T5: a passive reply must stay short
CANNED_CODE = re.compile(r"[0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff]{1,16}")


def show_queue(ctx: CommandContext, cmd: Command) -> Result:
    view = ticket_cases.queue(ctx.uow(), ctx.now, QUEUE_LIMIT)
    rows = [{"t": t, "status": t.current_status(ctx.now), "minutes": t.minutes(ctx.now)}
            for t in view.tickets]
    return say("queue", rows=rows, total=view.total, snoozed=view.snoozed)


def show_ticket(ctx: CommandContext, cmd: Command) -> Result:
    """The ticket's newest messages, as many as fit in one passive reply (at most
    HISTORY_LIMIT): the newest is what the follower waits for now."""
    found = ticket_cases.history(ctx.uow(), _id(cmd))
    ticket, history, notes = found.ticket, found.messages, found.notes
    shown = min(HISTORY_LIMIT, len(history))
    while True:
        result = say("ticket", t=ticket, status=ticket.current_status(ctx.now),
                     messages=history[len(history) - shown:], earlier=len(history) - shown,
                     notes=notes, minutes=ticket.minutes(ctx.now), local=_local(ctx))
        if shown <= 1 or len(result.render().encode()) <= TEXT_REPLY_BYTES:
            return result
        shown -= 1


def claim(ctx: CommandContext, cmd: Command) -> Result:
    ticket = _ticket(ctx, cmd)
    try:
        ticket_cases.claim(ctx.uow(), ctx.actor, ticket.id, ctx.workflow())
    except TicketRefused as refusal:
        if refusal.refusal == Refusal.ALREADY_YOURS:
            return say("ticket_claimed", t=ticket, again=True)
        if refusal.refusal == Refusal.CLOSED and not ticket.facts.closed:
            refusal.raced = True  # closed by a commit after this command first read it
        raise
    return say("ticket_claimed", t=ticket, again=False)


def reply(ctx: CommandContext, cmd: Command) -> Result:
    ticket = _ticket(ctx, cmd)
    comment = ticket_cases.comment_of(ctx.uow(), ticket.id) is not None
    ticket_cases.check_can_reply(ctx.capabilities, ticket.id, comment)  # before anything is queued
    ticket_cases.check(ticket, ctx.actor, TicketAction.REPLY)  # before the saved reply
    text = _expand(ctx, str(cmd.args["text"]))
    # Replying to an unassigned ticket claims it.
    answered = ticket_cases.reply(ctx.uow(), ctx.actor, ticket.id, text, ctx.workflow())
    mine = answered.ticket.assignee_id == ctx.actor.id
    return say("ticket_replied", t=ticket, text=answered.effect.text, mine=mine,
               claimed=mine and answered.claimed)


def _expand(ctx: CommandContext, text: str) -> str:
    """``#地址 …``: the saved reply 地址 in place of its code."""
    if not text.startswith("#"):
        return text
    code, _, rest = text[1:].partition(" ")
    with ctx.uow() as uow:
        body = uow.canned.body(code.upper())
    if body is None:
        raise refused("canned_unknown_in_reply", code=code, codes=_canned_codes(ctx))
    return f"{body} {rest}".strip()


def close(ctx: CommandContext, cmd: Command) -> Result:
    """结 T5 [备注]: the note is kept on the ticket; where the account cannot reply
    from wxops, it records that the team answered in the official backend."""
    ticket = _ticket(ctx, cmd)
    note = str(cmd.args.get("note") or "")
    closed = ticket_cases.close(ctx.uow(), ctx.actor, ticket.id, ctx.workflow(), note)
    return say("ticket_closed", t=ticket, resolution=closed.resolution, note=note.strip())


def snooze(ctx: CommandContext, cmd: Command) -> Result:
    ticket = _ticket(ctx, cmd)
    until = ctx.now + parse_duration(str(cmd.args["duration"]))
    ticket_cases.snooze(ctx.uow(), ctx.actor, ticket.id, until,
                        ctx.workflow(comment=str(cmd.args["duration"])))
    return say("ticket_snoozed", t=ticket, until=format_when(until, ctx.local_now))


def note(ctx: CommandContext, cmd: Command) -> Result:
    ticket = _ticket(ctx, cmd)
    text = ticket_cases.note(ctx.uow(), ctx.actor, ticket.id, str(cmd.args["text"]),
                             ctx.workflow())
    return say("ticket_noted", t=ticket, text=text)


def canned(ctx: CommandContext, cmd: Command) -> Result:
    """快捷 | 快捷 添加 CODE 内容 | 快捷 删除 CODE."""
    words = str(cmd.args.get("rest") or "").split(" ", 2)
    action = words[0].lower()
    if not action:
        with ctx.uow() as uow:
            return say("canned", replies=list(uow.canned.all()))
    if action in _canned_words("add"):
        return _save_canned(ctx, _canned_code(words), words[2].strip() if len(words) > 2 else "")
    if action in _canned_words("remove") and len(words) == 2:
        return _remove_canned(ctx, _canned_code(words))
    raise refused("canned_usage")


def _canned_words(action: str) -> list[str]:
    """The words that ask 快捷 for ``action`` (templates/cmd/canned_words.j2)."""
    return texts.phrase("cmd/canned_words", action).split()


def _canned_code(words: list[str]) -> str:
    code = words[1].removeprefix("#") if len(words) > 1 else ""
    if not CANNED_CODE.fullmatch(code):
        raise refused("canned_code_invalid")
    return code.upper()


def _save_canned(ctx: CommandContext, code: str, body: str) -> Result:
    if not body or len(body) > REPLY_LIMIT:
        raise refused("canned_body_invalid", limit=REPLY_LIMIT)
    with ctx.uow() as uow:
        created = uow.canned.save(code, body, ctx.actor.id, ctx.now)
        uow.commit()
    result = say("canned_saved", code=code, body=body, created=created)
    ctx.record(f"canned:{code}", "canned_add" if created else "canned_edit", result.render(), body)
    return result


def _remove_canned(ctx: CommandContext, code: str) -> Result:
    with ctx.uow() as uow:
        removed = uow.canned.delete(code)
        uow.commit()
    if not removed:
        raise refused("canned_unknown", code=code, codes=_canned_codes(ctx))
    result = say("canned_removed", code=code)
    ctx.record(f"canned:{code}", "canned_remove", result.render())
    return result


def _id(cmd: Command) -> int:
    return int(cmd.args["ticket"])


def _ticket(ctx: CommandContext, cmd: Command) -> QueueLine:
    """The ticket the command names, as the queue shows it now."""
    return ticket_cases.line(ctx.uow(), _id(cmd))


def _canned_codes(ctx: CommandContext) -> list[str]:
    with ctx.uow() as uow:
        return [c.shortcut for c in uow.canned.all()]


def _local(ctx: CommandContext) -> Callable[[datetime], str]:
    return lambda at: format_when(at, ctx.local_now)
