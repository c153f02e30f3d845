"""Commands about oneself: help, what is waiting for me, statistics, process feedback."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date

from handlers import texts
from handlers.commands.content import Lines, due_note
from handlers.commands.context import CommandContext, Result, say
from handlers.commands.grammar import (
    ARG_LABELS,
    Arg,
    Command,
    Spec,
    match,
    normalise,
    refused,
    unknown_command,
)
from handlers.commands.team import ordered
from handlers.replies import TEXT_REPLY_BYTES
from handlers.when import format_moment
from workflow import feedback as process_feedback
from workflow import (
    link_cases,
    overview,
    publishing,
    recheck_cases,
    staff_survey,
    ticket_cases,
)
from workflow.capabilities import Capability
from workflow.roles import Role
from workflow.stats import Period, last_days, period_stats, this_month

# --- 帮助 ------------------------------------------------------------------------------

#: Help groups by the module that handles the command (the table's own sections);
#: me_help.j2 names each group.
GROUPS = {"me": "me", "content": "content", "planning": "content", "confirm": "content",
          "drafts": "content", "old_content": "content",
          "queue": "queue", "team": "team"}
GROUP_ORDER = ("me", "content", "queue", "team", "other")

HelpLine = tuple[str, str]  # usage, summary ("" when left out to fit)


def help_(ctx: CommandContext, cmd: Command) -> Result:
    from handlers.commands.table import NEEDS, TABLE  # table.py imports this module

    topic = normalise(str(cmd.args.get("topic") or ""))
    if topic:
        return _help_topic(ctx, topic, TABLE)
    shown = [s for command in TABLE for s in command.every() if s.allowed_for(ctx.actor.roles)
             and not (s.name == "bind" and ctx.actor.id)  # members are bound already
             and (s.name not in NEEDS or ctx.capabilities.allows(NEEDS[s.name]))]
    # An admin's list is long: shorten the summaries, then drop them, until it fits.
    for summary in (_full, _short, _none):
        result = say("me_help", groups=_grouped(shown, summary))
        if len(result.render().encode()) <= TEXT_REPLY_BYTES:
            break
    return result


def _full(spec: Spec) -> str:
    return texts.command_text(spec.name).summary


def _short(spec: Spec) -> str:
    """The summary up to its first explanation: 定时发布（明天 9:00…） → 定时发布."""
    return re.split(r"[（(：；]", _full(spec), maxsplit=1)[0].strip()


def _none(spec: Spec) -> str:
    return ""


def brief_usage(spec: Spec) -> str:
    """The usage with short choices: Chinese words only, a label for long lists."""
    return " ".join([spec.words[0], *(_brief_arg(a) for a in spec.args)])


def _brief_arg(arg: Arg) -> str:
    if arg.kind != "choice":
        return arg.usage()
    words = [w for w in arg.choices if not w.isascii()] or list(arg.choices)
    shown = "|".join(words) if len(words) <= 4 else arg.label or ARG_LABELS[arg.kind]
    return shown if arg.required else f"[{shown}]"


def _group(spec: Spec) -> str:
    module = str(getattr(spec.handler, "__module__", "") or "")
    return GROUPS.get(module.rsplit(".", 1)[-1], "other")


def _grouped(specs: Iterable[Spec],
             summary: Callable[[Spec], str]) -> list[tuple[str, list[HelpLine]]]:
    groups: dict[str, list[HelpLine]] = {name: [] for name in GROUP_ORDER}
    for spec in specs:
        groups[_group(spec)].append((brief_usage(spec), summary(spec)))
    return [(name, lines) for name, lines in groups.items() if lines]


def _help_topic(ctx: CommandContext, topic: str, table: Sequence[Spec]) -> Result:
    found = match(topic, table)
    if found is None:
        raise unknown_command(topic, table)
    spec = found[0]
    roles = _roles(spec)
    return say("me_help_topic", spec=spec, roles=roles,
               form_roles={form.name: _roles(form) for form in spec.forms},
               allowed=spec.allowed_for(ctx.actor.roles), lacking=_lacking(ctx, spec),
               kind=ctx.capabilities.kind.name)


def _roles(spec: Spec) -> list[Role]:
    """Who may use the command, admins included; [] when every member may."""
    return ordered(spec.roles | {Role.ADMIN}) if spec.roles else []


def _lacking(ctx: CommandContext, spec: Spec) -> str:
    """The capability the account lacks for the command (table.NEEDS), "" if none:
    its help says so and where to do it instead."""
    from handlers.commands.table import NEEDS  # table.py imports this module

    need = NEEDS.get(spec.name)
    return need.value if need is not None and not ctx.capabilities.allows(need) else ""


# --- 我的 ------------------------------------------------------------------------------

TODO_LIMIT = 5  # items shown per section; the count is always the full one


def todo(ctx: CommandContext, cmd: Command) -> Result:
    found = overview.todo(ctx.uow(), ctx.actor, ctx.now,
                          by_hand=publishing.by_hand(ctx.capabilities))
    today = ctx.local_now.date()
    survey = staff_survey.open_question(ctx.uow(), ctx.actor, ctx.now)
    mine, overdue = recheck_cases.asked_first(ctx.uow(), ctx.recheck_days, ctx.tz, today,
                                              ctx.actor, TODO_LIMIT)
    return say("me_todo", todo=found, limit=TODO_LIMIT, due=lambda it: due_note(it, today),
               survey=(survey[0], survey[1].value) if survey else None,
               can_reply=ticket_cases.can_reply(ctx.capabilities),
               rechecks=Lines(mine.first, today, mine.total),
               overdue_rechecks=Lines(overdue.first, today, overdue.total))


# --- 统计 ------------------------------------------------------------------------------

DEFAULT_DAYS, MAX_DAYS = 7, 90
MONTH_WORDS = ("本月", "这个月", "month")


def stats(ctx: CommandContext, cmd: Command) -> Result:
    period = parse_period(cmd.args.get("days"), ctx.local_now.date())
    found = period_stats(ctx.uow(), period, ctx.now, ctx.tz)
    return say("me_stats", days=period.days, stats=found.stats, report=found,
               datacube=ctx.capabilities.allows(Capability.DATACUBE))


def parse_period(value: object, today: date) -> Period:
    """``本月`` (this month so far), or a number of days: ``7``, ``7天``, ``7d``
    (1 to 90, 7 when not given)."""
    if value is not None and str(value).lower() in MONTH_WORDS:
        return this_month(today)
    return last_days(today, parse_days(value))


def parse_days(value: object) -> int:
    """``7``, ``7天``, ``7d``; 1 to 90, 7 when not given."""
    if value is None:
        return DEFAULT_DAYS
    text = str(value).lower().removesuffix("天").removesuffix("日").removesuffix("d").strip()
    if not text.isdecimal() or not 1 <= int(text) <= MAX_DAYS:
        raise refused("days_invalid", limit=MAX_DAYS)
    return int(text)


# --- 报告 ------------------------------------------------------------------------------

def report(ctx: CommandContext, cmd: Command) -> Result:
    """The newest weekly report's link (a new one each time), or where it is kept
    when the web pages have no address."""
    pages = ctx.pages
    found, link = link_cases.latest_report(ctx.uow(), ctx.actor, ctx.now,
                                           pages.report_lifetime if pages else None)
    return say("report_link", report=found,
               url=pages.url(link) if pages and link else None,
               expires=format_moment(link.expires_at.astimezone(ctx.tz)) if link else None)


# --- 建议 ------------------------------------------------------------------------------

def feedback(ctx: CommandContext, cmd: Command) -> Result:
    quarter = process_feedback.give(ctx.uow(), ctx.actor, str(cmd.args["text"]),
                                    ctx.workflow(), ctx.tz)
    return say("me_feedback", quarter=quarter)


# --- 评估 ------------------------------------------------------------------------------

def survey(ctx: CommandContext, cmd: Command) -> Result:
    """The staff survey: the text answers the member's next open question."""
    done = staff_survey.answer(ctx.uow(), ctx.actor, str(cmd.args.get("answer") or ""),
                             ctx.workflow())
    return say("survey", quarter=done.answer.quarter,
               answered=done.answered.value if done.answered else None,
               next=done.next.value if done.next else None)
