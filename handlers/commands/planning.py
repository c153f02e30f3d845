"""Topic planning (seed step 1.1): plan a topic, give it to a writer, set when
the draft is due, and the calendar of what is due and going out (日程)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date

from handlers.commands.context import CommandContext, Result, say
from handlers.commands.grammar import Command, refused
from handlers.replies import TEXT_REPLY_BYTES
from handlers.when import WhenPassed, format_day, parse_day
from workflow import agenda, staff_cases, usecases
from workflow.ports import UnitOfWork
from workflow.roles import Actor

#: The word that gives a due day, in 选题 … 截止 周五 (also the command 截止 12 周五).
DUE_WORD = "截止"
#: ``选题 标题 截止 周五``: the due date follows the last 截止 (or "due") set off by spaces.
_DUE_SUFFIX = re.compile(rf"^(?P<title>.+)\s+(?:{DUE_WORD}|due)\s+(?P<day>\S.*)$",
                         re.IGNORECASE)
#: ``截止 12 无``: the item has no due date any more.
NO_DUE = frozenset({"无", "不限", "取消", "none", "-"})
#: Lines per section of 日程, tried in turn until the reply fits one message.
FIT_LIMITS = (5, 3, 2, 1)


def plan(ctx: CommandContext, cmd: Command) -> Result:
    title, due_text = title_and_due(str(cmd.args["title"]))
    word = cmd.spec.words[0]  # the reply to a question names the day in the command's words
    due_on = _day(ctx, due_text, lambda s: f"{word} {title} {DUE_WORD} {s}") if due_text else None
    item = usecases.plan(ctx.uow(), ctx.actor.id, title, replace(ctx.workflow(), due_on=due_on))
    return say("planned", item=item, due=_shown(item.due_on, ctx))


def title_and_due(text: str) -> tuple[str, str]:
    """The title and the due day's text ("" when none) of ``选题 标题 [截止 日期]``:
    the day follows the last 截止 set off by spaces; one inside a word is title."""
    found = _DUE_SUFFIX.match(text.strip())
    return (found["title"], found["day"]) if found else (text, "")


def assign(ctx: CommandContext, cmd: Command) -> Result:
    decision = usecases.assign(ctx.uow(), ctx.actor.id, int(cmd.args["item"]),
                               str(cmd.args["member"]), ctx.workflow())
    writer = decision.item.author_id
    return say("assigned", item=decision.item, writer=_name(ctx, writer),
               told=writer != ctx.actor.id, pushed=staff_cases.told_at_once(ctx.capabilities),
               due=_shown(decision.item.due_on, ctx))


def _name(ctx: CommandContext, staff_id: int) -> str:
    with ctx.uow() as uow:
        member = uow.staff.actor(staff_id)
    return member.name if member else str(staff_id)


def due(ctx: CommandContext, cmd: Command) -> Result:
    item_id, text = int(cmd.args["item"]), str(cmd.args["day"]).strip()
    word = cmd.spec.words[0]
    due_on = None if text.lower() in NO_DUE else _day(ctx, text, lambda s: f"{word} {item_id} {s}")
    decision = usecases.set_due(ctx.uow(), ctx.actor.id, item_id, due_on, ctx.workflow())
    return say("due_set", item=decision.item, due=_shown(due_on, ctx))


def _day(ctx: CommandContext, text: str, command: Callable[[str], str]) -> date:
    """The due day ``text`` names; a day gone this year is asked about, with
    ``command(day)`` as the reply that names the candidate."""
    try:
        return parse_day(text, ctx.local_now)
    except WhenPassed as passed:
        raise refused("when_passed", what=passed.what, candidate=passed.candidate,
                      clock="", weekday=passed.weekday,
                      reply=command(passed.suggestion)) from None


def _shown(day: date | None, ctx: CommandContext) -> str:
    return format_day(day, ctx.local_now.date()) if day else ""


def calendar(ctx: CommandContext, cmd: Command) -> Result:
    period = agenda.Period(cmd.args.get("period") or agenda.Period.THIS_WEEK)
    today = ctx.local_now.date()
    first, last = agenda.period_days(period, today)
    start, end = agenda.bounds(first, last, ctx.tz)
    with ctx.uow() as uow:
        found = agenda.build(uow.items.agenda(start, end), first, last, today, ctx.tz)
        writers = {p.id: p.name for p in _people(uow, found)}
    # A month can hold more than one reply: fewer lines until it fits.
    for limit in FIT_LIMITS:
        days, hidden = _first_entries(found.days, limit * 4)
        result = say("agenda", agenda=found, period=period, writers=writers, days=days,
                     hidden=hidden, limit=limit, day=lambda d: format_day(d, today),
                     late=lambda it: agenda.overdue_days(it, today))
        if len(result.render().encode()) <= TEXT_REPLY_BYTES:
            break
    return result


def _first_entries(days: list[tuple[date, list[agenda.Entry]]],
                   limit: int) -> tuple[list[tuple[date, list[agenda.Entry]]], int]:
    """The calendar's first ``limit`` entries, and how many are left out."""
    shown: list[tuple[date, list[agenda.Entry]]] = []
    left = limit
    for day, entries in days:
        if left <= 0:
            break
        shown.append((day, entries[:left]))
        left -= len(shown[-1][1])
    return shown, sum(len(e) for _, e in days) - sum(len(e) for _, e in shown)


def _people(uow: UnitOfWork, found: agenda.Agenda) -> list[Actor]:
    """The writers the calendar names (a removed member is shown by number)."""
    ids = {it.author_id for it in found.overdue + found.undated}
    ids |= {e.item.author_id for _, entries in found.days for e in entries}
    return [p for p in (uow.staff.actor(i) for i in sorted(ids)) if p is not None]
