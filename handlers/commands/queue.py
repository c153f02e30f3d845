"""Reply-queue commands: 队列, 工单 T5, 接, 回, 结, 缓, 备注, and the saved replies (快捷).

Refusals are macros in cmd/refused.j2; every answer is a template under cmd/. Each
change writes an audit row with the reply the staff member got.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from handlers import texts
from handlers.commands.context import CommandContext, Result, say
from handlers.commands.grammar import Command, CommandError, refused
from handlers.replies import TEXT_REPLY_BYTES
from handlers.when import WhenError, format_when, parse_duration
from storage import followers, outbox, queue_ops, tickets
from storage.queue_ops import TicketState
from workflow.reply_queue import Refusal, TicketAction, refusal

QUEUE_LIMIT = 15
HISTORY_LIMIT = 10  # messages shown by 工单 T5: a passive reply must stay short
NOTE_LIMIT = 1000
CANNED_CODE = re.compile(r"[0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff]{1,16}")
CANNED_ADD = ("添加", "add")
CANNED_REMOVE = ("删除", "remove", "delete")


def show_queue(ctx: CommandContext, cmd: Command) -> Result:
    view = queue_ops.open_queue(ctx.conn, ctx.now, QUEUE_LIMIT)
    rows = [{"t": t, "status": t.current_status(ctx.now), "minutes": _minutes(t, ctx.now)}
            for t in view.tickets]
    return say("queue", rows=rows, total=view.total, snoozed=view.snoozed)


def _minutes(ticket: TicketState, now: datetime) -> int | None:
    if ticket.waiting_since is None:
        return None
    return max(0, int((now - ticket.waiting_since).total_seconds() // 60))


def show_ticket(ctx: CommandContext, cmd: Command) -> Result:
    """The ticket's newest messages, as many as fit in one passive reply (at most
    HISTORY_LIMIT): the newest is what the follower waits for now."""
    ticket = _ticket(ctx, cmd)
    history = queue_ops.messages(ctx.conn, ticket.id)
    notes = queue_ops.notes(ctx.conn, ticket.id)
    shown = min(HISTORY_LIMIT, len(history))
    while True:
        result = say("ticket", t=ticket, status=ticket.current_status(ctx.now),
                     messages=history[len(history) - shown:], earlier=len(history) - shown,
                     notes=notes, minutes=_minutes(ticket, ctx.now), local=_local(ctx))
        if shown <= 1 or len(result.render().encode()) <= TEXT_REPLY_BYTES:
            return result
        shown -= 1


def claim(ctx: CommandContext, cmd: Command) -> Result:
    ticket = _ticket(ctx, cmd)
    why = refusal(TicketAction.CLAIM, ticket.facts, ctx.actor.id)
    if why is not None:
        return _not_claimed(ticket, why, raced=False)
    if queue_ops.claim(ctx.conn, ticket.id, ctx.actor.id):
        return _audited(ctx, ticket, "claim", say("ticket_claimed", t=ticket, again=False))
    # Someone got there first: explain with the ticket as their commit left it.
    ticket = _ticket(ctx, cmd)
    return _not_claimed(ticket, refusal(TicketAction.CLAIM, ticket.facts, ctx.actor.id),
                        raced=True)


def _not_claimed(ticket: TicketState, why: Refusal | None, raced: bool) -> Result:
    """Why a claim did not go through; ``raced`` when another commit got there first."""
    if why is Refusal.ALREADY_YOURS:
        return say("ticket_claimed", t=ticket, again=True)
    if why is Refusal.TAKEN:
        raise refused("ticket_taken", t=ticket)
    if why is None:  # changed and changed back (e.g. its holder was removed): try again
        raise refused("ticket_changed", t=ticket)
    if raced:
        raise refused("ticket_closed_just_now", t=ticket)
    raise refused("claim_closed", t=ticket)


def reply(ctx: CommandContext, cmd: Command) -> Result:
    ticket = _ticket(ctx, cmd)
    if refusal(TicketAction.REPLY, ticket.facts, ctx.actor.id) is Refusal.CLOSED:
        raise refused("reply_closed", t=ticket)
    text = _expand(ctx, str(cmd.args["text"]))
    queued = outbox.queued_for(ctx.conn, ticket.openid)
    window = followers.service_window(ctx.conn, ticket.openid, ctx.now, queued)
    if not window.open:
        reason = texts.render("window_closed", why=window.closed_because)
        raise refused("reply_window_closed", t=ticket, reason=reason)
    if len(text) > tickets.REPLY_LIMIT:
        raise refused("reply_too_long", limit=tickets.REPLY_LIMIT, length=len(text))
    try:  # replying to an unassigned ticket claims it
        answered = tickets.reply(ctx.conn, ticket.id, ctx.actor.id, text, ctx.now)
    except tickets.TicketClosed:  # closed since we read it: say how, as it is now
        raise refused("reply_closed", t=_ticket(ctx, cmd)) from None
    mine = answered.assignee_id == ctx.actor.id
    result = say("ticket_replied", t=ticket, text=text, mine=mine,
                 claimed=mine and ticket.assignee_id != ctx.actor.id)
    return _audited(ctx, ticket, "reply", result, comment=text)


def _expand(ctx: CommandContext, text: str) -> str:
    """``#地址 …``: the saved reply 地址 in place of its code."""
    if not text.startswith("#"):
        return text
    code, _, rest = text[1:].partition(" ")
    body = queue_ops.canned_body(ctx.conn, code.upper())
    if body is None:
        raise refused("canned_unknown_in_reply", code=code, codes=_canned_codes(ctx))
    return f"{body} {rest}".strip()


def close(ctx: CommandContext, cmd: Command) -> Result:
    ticket = _ticket(ctx, cmd)
    if not queue_ops.resolve(ctx.conn, ticket.id, ctx.actor.id, ctx.now):
        raise refused("close_closed", t=_ticket(ctx, cmd))  # as whoever closed it left it
    return _audited(ctx, ticket, "close", say("ticket_closed", t=ticket))


def snooze(ctx: CommandContext, cmd: Command) -> Result:
    ticket = _ticket(ctx, cmd)
    try:
        until = ctx.now + parse_duration(str(cmd.args["duration"]))
    except WhenError as exc:
        raise CommandError(str(exc)) from None
    if not queue_ops.snooze(ctx.conn, ticket.id, until):
        raise refused("snooze_closed", t=_ticket(ctx, cmd))  # as whoever closed it left it
    result = say("ticket_snoozed", t=ticket, until=format_when(until, ctx.local_now))
    return _audited(ctx, ticket, "snooze", result, comment=str(cmd.args["duration"]))


def note(ctx: CommandContext, cmd: Command) -> Result:
    ticket = _ticket(ctx, cmd)
    text = str(cmd.args["text"]).strip()
    if len(text) > NOTE_LIMIT:
        raise refused("note_too_long", limit=NOTE_LIMIT)
    queue_ops.add_note(ctx.conn, ticket.id, ctx.actor.id, text, ctx.now)
    return _audited(ctx, ticket, "note", say("ticket_noted", t=ticket, text=text), text)


def canned(ctx: CommandContext, cmd: Command) -> Result:
    """快捷 | 快捷 添加 CODE 内容 | 快捷 删除 CODE."""
    words = str(cmd.args.get("rest") or "").split(" ", 2)
    action = words[0].lower()
    if not action:
        return say("canned", replies=queue_ops.canned_replies(ctx.conn))
    if action in CANNED_ADD:
        return _save_canned(ctx, _canned_code(words), words[2].strip() if len(words) > 2 else "")
    if action in CANNED_REMOVE and len(words) == 2:
        return _remove_canned(ctx, _canned_code(words))
    raise refused("canned_usage")


def _canned_code(words: list[str]) -> str:
    code = words[1].removeprefix("#") if len(words) > 1 else ""
    if not CANNED_CODE.fullmatch(code):
        raise refused("canned_code_invalid")
    return code.upper()


def _save_canned(ctx: CommandContext, code: str, body: str) -> Result:
    if not body or len(body) > tickets.REPLY_LIMIT:
        raise refused("canned_body_invalid", limit=tickets.REPLY_LIMIT)
    created = queue_ops.save_canned(ctx.conn, code, body, ctx.actor.id, ctx.now)
    result = say("canned_saved", code=code, body=body, created=created)
    ctx.audit(f"canned:{code}", "canned_add" if created else "canned_edit", result.render(), body)
    return result


def _remove_canned(ctx: CommandContext, code: str) -> Result:
    if not queue_ops.delete_canned(ctx.conn, code):
        raise refused("canned_unknown", code=code, codes=_canned_codes(ctx))
    result = say("canned_removed", code=code)
    ctx.audit(f"canned:{code}", "canned_remove", result.render())
    return result


def _ticket(ctx: CommandContext, cmd: Command) -> TicketState:
    ticket_id = int(cmd.args["ticket"])
    ticket = queue_ops.find_ticket(ctx.conn, ticket_id)
    if ticket is None:
        raise refused("ticket_not_found", id=ticket_id)
    return ticket


def _canned_codes(ctx: CommandContext) -> list[str]:
    return [c.shortcut for c in queue_ops.canned_replies(ctx.conn)]


def _audited(ctx: CommandContext, ticket: TicketState, event: str, result: Result,
             comment: str = "") -> Result:
    ctx.audit(f"ticket:{ticket.id}", event, result.render(), comment)
    return result


def _local(ctx: CommandContext) -> Callable[[datetime], str]:
    return lambda at: format_when(at, ctx.local_now)
