"""Reply-queue use cases: load through the unit of work, decide (workflow.tickets),
save with a version check, record the effects and the audit row, commit. Chat
commands, the CLI and the worker call these; the follower's own messages come in
through the inbound port (``receive``).

A save that finds the ticket changed by another commit decides again on the
ticket as that commit left it, so two staff members acting at once cannot
both win, and the loser is refused from the ticket as it now is (``raced``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TypeVar

from workflow import comment_cases, staffing, tickets
from workflow.capabilities import Capabilities, Capability
from workflow.comment_cases import CommentAction
from workflow.comments import CommentTarget
from workflow.effects import ActOnComment, TicketEffect
from workflow.errors import AccountCannotReply, StaleTicket, TicketNotFound, TicketRefused
from workflow.model import ActionEntry, Context
from workflow.ports import TicketInbox, UnitOfWork
from workflow.queue_view import MessageLine, NoteLine, QueueLine, QueuePage
from workflow.reply_queue import Refusal, Resolution, TicketAction, TicketStatus, refusal
from workflow.roles import Action, Actor, Role
from workflow.tickets import Arrived, Ticket
from workflow.window import window

#: How often a change is decided again after losing a race before giving up.
TRIES = 3

T = TypeVar("T")


# --- reading -------------------------------------------------------------------------


def queue(uow: UnitOfWork, now: datetime, limit: int,
          include_resolved: bool = False) -> QueuePage:
    """The queue as 队列 and ``wxops queue list`` show it (one query for both)."""
    with uow:
        return uow.queue.listing(now, limit, include_resolved)


@dataclass(frozen=True)
class History:
    ticket: QueueLine
    messages: Sequence[MessageLine]  # oldest first
    notes: Sequence[NoteLine]  # oldest first


def line(uow: UnitOfWork, ticket_id: int) -> QueueLine:
    with uow:
        found = uow.queue.line(ticket_id)
    if found is None:
        raise TicketNotFound(ticket_id)
    return found


def history(uow: UnitOfWork, ticket_id: int) -> History:
    with uow:
        found = uow.queue.line(ticket_id)
        if found is None:
            raise TicketNotFound(ticket_id)
        return History(found, list(uow.queue.messages(ticket_id)),
                       list(uow.queue.notes(ticket_id)))


# --- staff actions -----------------------------------------------------------------
# Each change writes its audit row (``ticket:N``) in the transaction that makes it,
# so chat, the CLI and any later front door leave the same trail.


@dataclass(frozen=True)
class _Act:
    """Who does what, and the request it came in (for the audit row)."""

    actor: Actor
    action: TicketAction
    ctx: Context


def check(line: QueueLine, actor: Actor, action: TicketAction) -> None:
    """Refuse ``action`` on the ticket as the queue shows it, as the change itself
    would: for a command that must know before it does more (回 before it looks up
    a saved reply)."""
    why = refusal(action, line.facts, actor.id)
    if why is not None:
        raise _explained(TicketRefused(line.id, action, why), line)


def can_reply(capabilities: Capabilities) -> bool:
    """Whether a reply from wxops can reach a follower at all: a reply is a
    customer-service message, which only some accounts may send."""
    return capabilities.allows(Capability.CUSTOMER_SERVICE)


def check_can_reply(capabilities: Capabilities, ticket_id: int, comment: bool = False) -> None:
    """Refuse a reply the account could never send, before anything is queued: the
    ticket stays open, and the team answers in the official backend instead. A
    comment's reply needs the comment interfaces, not customer-service messages."""
    if comment:
        comment_cases.require_comments(capabilities)
    elif not can_reply(capabilities):
        raise AccountCannotReply(ticket_id, capabilities.kind.name)


def comment_of(uow: UnitOfWork, ticket_id: int) -> CommentTarget | None:
    """The comment a ticket was opened by (None: a follower's message)."""
    with uow:
        return uow.tickets.comment_of(ticket_id)


def claim(uow: UnitOfWork, actor: Actor, ticket_id: int, ctx: Context) -> Ticket:
    act = _Act(actor, TicketAction.CLAIM, ctx)
    return _change(uow, act, ticket_id, lambda t: (tickets.claim(t, actor.id), None))[0]


def closing(capabilities: Capabilities, note: str) -> Resolution:
    """How a ticket closed with ``note`` ends: on an account that cannot reply from
    wxops, a note on closing records that the team answered in the official
    backend; otherwise it is resolved."""
    if note.strip() and not can_reply(capabilities):
        return Resolution.ANSWERED_IN_BACKEND
    return Resolution.RESOLVED


def close(uow: UnitOfWork, actor: Actor, ticket_id: int, ctx: Context,
          note: str = "") -> Ticket:
    """Resolve the ticket, with a note for the team kept in the same transaction
    (``closing`` says how it ended); the audit row's comment is the note."""
    act = _Act(actor, TicketAction.CLOSE, ctx)
    ending = closing(ctx.capabilities, note)

    def decide(ticket: Ticket) -> tuple[Ticket, str]:
        kept = tickets.note(ticket, actor.id, note) if note.strip() else ""
        return tickets.close(ticket, actor.id, ctx.now, ending), kept

    def record(kept: str) -> str:
        if kept:
            uow.tickets.add_note(ticket_id, actor.id, kept, ctx.now)
        return kept

    return _change(uow, act, ticket_id, decide, record, lambda kept: kept)[0]


def snooze(uow: UnitOfWork, actor: Actor, ticket_id: int, until: datetime,
           ctx: Context) -> Ticket:
    """Set aside until ``until``; the audit row's comment is ``ctx.comment`` (the
    duration as typed)."""
    act = _Act(actor, TicketAction.SNOOZE, ctx)
    return _change(uow, act, ticket_id,
                   lambda t: (tickets.snooze(t, actor.id, until), None))[0]


def reply(uow: UnitOfWork, actor: Actor, ticket_id: int, text: str,
          ctx: Context) -> tickets.Reply:
    """Answer the follower: the answer is logged on the ticket, its send queued
    (``SendReply``) and the action audited in one transaction, or nothing happens."""
    now = ctx.now

    def decide(ticket: Ticket) -> tuple[Ticket, tickets.Reply]:
        comment = uow.tickets.comment_of(ticket.id)
        now_open = None
        if comment is None:  # a comment is answered under it: no window applies
            seen = uow.interactions.of(ticket.openid)
            now_open = window(seen, now, uow.outbox.queued_sends(ticket.openid))
        decided = tickets.reply(ticket, actor.id, text, now_open, now, comment)
        return decided.ticket, decided

    def record(decided: tickets.Reply) -> tickets.Reply:
        effect = decided.effect
        message_id = uow.tickets.log_reply(effect.ticket_id, actor.id, effect.text, now)
        decided = replace(decided, effect=replace(effect, message_id=message_id))
        _emit(uow, [decided.effect], now)
        return decided

    act = _Act(actor, TicketAction.REPLY, ctx)
    return _change(uow, act, ticket_id, decide, record, lambda r: r.effect.text)[1]


def note(uow: UnitOfWork, actor: Actor, ticket_id: int, text: str, ctx: Context) -> str:
    """A private note for the team; returns the text kept."""
    with uow:
        ticket = _get(uow, ticket_id)
        kept = tickets.note(ticket, actor.id, text)
        uow.tickets.add_note(ticket.id, actor.id, kept, ctx.now)
        _audit(uow, _Act(actor, TicketAction.NOTE, ctx), ticket, kept)
        uow.commit()
    return kept


def _get(uow: UnitOfWork, ticket_id: int) -> Ticket:
    ticket = uow.tickets.get(ticket_id)
    if ticket is None:
        raise TicketNotFound(ticket_id)
    return ticket


def _change(uow: UnitOfWork, act: _Act, ticket_id: int,
            decide: Callable[[Ticket], tuple[Ticket, T]],
            record: Callable[[T], T] | None = None,
            comment: Callable[[T], str] | None = None) -> tuple[Ticket, T]:
    """Decide on the ticket as stored, save it and audit it; decided again, as the
    other commit left it, when one got there first (a refusal then is ``raced``)."""
    raced = False
    for _ in range(TRIES):
        with uow:
            ticket = _get(uow, ticket_id)
            try:
                after, extra = decide(ticket)
            except TicketRefused as refused:
                raise _explained(refused, uow.queue.line(ticket_id), raced) from None
            try:
                uow.tickets.save(after, expected_version=ticket.version)
            except StaleTicket:
                raced = True
                continue
            if record is not None:
                extra = record(extra)
            _audit(uow, act, after, comment(extra) if comment else act.ctx.comment)
            uow.commit()
            return after, extra
    changed = TicketRefused(ticket_id, act.action, Refusal.CHANGED)
    with uow:
        raise _explained(changed, uow.queue.line(ticket_id), raced=True)


def _explained(refused: TicketRefused, now: QueueLine | None,
               raced: bool = False) -> TicketRefused:
    """The refusal with what people are told of the ticket as it is now: who holds
    it and how it ended."""
    refused.raced = refused.raced or raced
    if now is not None:
        refused.assignee, refused.resolution = now.assignee, now.resolution
    return refused


def _audit(uow: UnitOfWork, act: _Act, after: Ticket, comment: str) -> None:
    """The audit row: the ticket's status after the action (and until when, for a
    snooze) as its result."""
    result = after.status.value
    if after.status is TicketStatus.SNOOZED and after.snoozed_until is not None:
        result += f" until {after.snoozed_until.isoformat()}"
    ctx = act.ctx
    uow.audit.record(ActionEntry(f"ticket:{after.id}", act.action.value, act.actor.id,
                                 act.actor.name, ctx.now, result=result, comment=comment,
                                 command=ctx.command))


def act_on_comment(uow: UnitOfWork, actor: Actor, ticket_id: int, action: CommentAction,
                   ctx: Context) -> CommentTarget:
    """精选 (feature) or 删评 (delete, confirmed first) the comment of a ticket: the
    call is queued, the comment's status kept and the action audited at once."""
    staffing.authorise(actor, Action(action.value))
    comment_cases.require_comments(ctx.capabilities)
    with uow:
        ticket = _get(uow, ticket_id)
        target = uow.tickets.comment_of(ticket_id)
        effect = comment_cases.act(ticket_id, target, action)
        uow.tickets.set_comment_status(ticket_id, action.status.value)
        _emit(uow, [effect], ctx.now)
        uow.audit.record(ActionEntry(f"ticket:{ticket.id}", action.value, actor.id, actor.name,
                                     ctx.now, result=action.status.value,
                                     comment=ctx.comment, command=ctx.command))
        uow.commit()
        assert target is not None
        return target


def _emit(uow: UnitOfWork, effects: Sequence[TicketEffect | ActOnComment],
          now: datetime) -> None:
    for effect in effects:
        uow.outbox.add(effect.kind, effect.payload(), effect.key, now,
                       recipient=effect.recipient)


# --- the follower ------------------------------------------------------------------


def receive(inbox: TicketInbox, follower_id: int, kind: str, content: str,
            inbound_id: int | None, now: datetime,
            complaint_words: Sequence[str]) -> Arrived:
    """A follower's message no rule answered: to their ticket, or a new one
    (``tickets.arrive``, applied by the inbound port in as few statements as it
    can: one for the usual case)."""
    priority = tickets.message_priority(content, complaint_words)
    return inbox.record(follower_id, kind, content, inbound_id, now, priority)


def follower_left(uow: UnitOfWork, follower_id: int, now: datetime) -> int:
    """The follower unsubscribed: their unresolved tickets close as unreachable
    (not a comment's: its reply goes under the comment). Returns how many."""
    closed = 0
    with uow:
        for ticket in uow.tickets.unresolved_of(follower_id):
            if uow.tickets.comment_of(ticket.id) is not None:
                continue  # answered under the comment, which needs no subscription
            after = tickets.unreachable(ticket, now)
            if after is not None:
                uow.tickets.save(after, expected_version=ticket.version)
                closed += 1
        uow.commit()
    return closed


# --- the worker --------------------------------------------------------------------


def remind_waiting(uow: UnitOfWork, sla: timedelta, now: datetime) -> int:
    """Tickets waiting longer than ``sla``: their holder is told, or the admins
    when nobody took them (``tickets.reminders``). Returns the notices queued."""
    queued = 0
    with uow:
        admins = [a.id for a in uow.staff.with_role(Role.ADMIN)]
        for ticket in uow.tickets.waiting_since_before(now - sla):
            for effect in tickets.reminders(ticket, admins, now):
                queued += uow.outbox.add(effect.kind, effect.payload(), effect.key, now)
        uow.commit()
    return queued
