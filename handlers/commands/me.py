"""Commands about oneself: help, what is waiting for me, statistics, process feedback."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handlers.commands.content import due_note
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
from storage.models import (
    ArticleMetric,
    ContentItemRow,
    Follower,
    FollowerMetric,
    ProcessFeedback,
    ReplyTicket,
)
from storage.repositories import SqlReviewRepository, item_from_row
from workflow import policy
from workflow.model import ContentItem
from workflow.roles import Actor, Role
from workflow.states import Event, State

# --- 帮助 ------------------------------------------------------------------------------

#: Help groups by the module that handles the command (the table's own sections).
GROUPS = {"me": "我的", "content": "稿件", "planning": "稿件", "confirm": "稿件",
          "queue": "留言队列", "team": "团队与规则"}
GROUP_ORDER = ("我的", "稿件", "留言队列", "团队与规则", "其他")

HelpLine = tuple[str, str]  # usage, summary ("" when left out to fit)


def help_(ctx: CommandContext, cmd: Command) -> Result:
    from handlers.commands.table import TABLE  # table.py imports this module

    topic = normalise(str(cmd.args.get("topic") or ""))
    if topic:
        return _help_topic(ctx, topic, TABLE)
    shown = [s for s in TABLE if s.allowed_for(ctx.actor.roles)
             and not (s.name == "bind" and ctx.actor.id)]  # members are bound already
    # An admin's list is long: shorten the summaries, then drop them, until it fits.
    for summary in (_full, _short, _none):
        result = say("me_help", groups=_grouped(shown, summary))
        if len(result.render().encode()) <= TEXT_REPLY_BYTES:
            break
    return result


def _full(spec: Spec) -> str:
    return spec.summary


def _short(spec: Spec) -> str:
    """The summary up to its first explanation: 定时发布（明天 9:00…） → 定时发布."""
    return re.split(r"[（(：；]", spec.summary, maxsplit=1)[0].strip()


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
    return GROUPS.get(module.rsplit(".", 1)[-1], "其他")


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
    roles = ordered(spec.roles | {Role.ADMIN}) if spec.roles else []
    return say("me_help_topic", spec=spec, roles=roles,
               allowed=spec.allowed_for(ctx.actor.roles))


# --- 我的 ------------------------------------------------------------------------------

TODO_LIMIT = 5  # items shown per section; the count is always the full one
MINE_STATES = (State.PLANNED, State.DRAFTING, State.CHANGES_REQUESTED, State.NEEDS_UPDATE)


@dataclass
class Todo:
    """What is waiting for one person. Empty lists for roles they do not hold."""

    to_review: list[ContentItem] = field(default_factory=list)
    to_final: list[ContentItem] = field(default_factory=list)
    mine: list[ContentItem] = field(default_factory=list)
    to_schedule: list[ContentItem] = field(default_factory=list)
    failed: list[ContentItem] = field(default_factory=list)
    tickets: list[tuple[int, str, int]] = field(default_factory=list)  # id, summary, minutes
    unclaimed: int = 0

    @property
    def empty(self) -> bool:
        return not (self.to_review or self.to_final or self.mine or self.to_schedule
                    or self.failed or self.tickets or self.unclaimed)

    @property
    def mine_to_start(self) -> bool:
        """Some of my items are only planned: the hint says 开始 first."""
        return any(item.state is State.PLANNED for item in self.mine)

    @property
    def mine_to_revise(self) -> bool:
        """Some of my published items were flagged outdated: the hint says 修订 first."""
        return any(item.state is State.NEEDS_UPDATE for item in self.mine)


def todo(ctx: CommandContext, cmd: Command) -> Result:
    actor, roles = ctx.actor, ctx.actor.roles
    found = Todo()
    with ctx.orm() as session:
        if Role.REVIEWER in roles:
            found.to_review = _items(session, (State.IN_REVIEW,), not_author=actor.id)
            found.to_final = _final_for(session, actor)
        if Role.CREATOR in roles:
            found.mine = by_due_day(_items(session, MINE_STATES, author=actor.id))
        if Role.ADMIN in roles:
            found.to_schedule = _items(session, (State.APPROVED,))
            found.failed = _items(session, (State.PUBLISH_FAILED,))
        found.tickets = _my_tickets(session, actor.id, ctx.now)
        found.unclaimed = _open_tickets(session, unclaimed=True)
    today = ctx.local_now.date()
    return say("me_todo", todo=found, limit=TODO_LIMIT, due=lambda it: due_note(it, today))


def by_due_day(items: list[ContentItem]) -> list[ContentItem]:
    """What is due soonest first (overdue first of all), then what has no due day,
    each as it was (waiting longest first)."""
    return sorted(items, key=lambda it: (it.due_on is None, it.due_on or date.min))



def _items(session: Session, states: Iterable[State], author: int | None = None,
           not_author: int | None = None) -> list[ContentItem]:
    """Waiting longest first."""
    stmt = select(ContentItemRow).where(ContentItemRow.state.in_([s.value for s in states]))
    if author is not None:
        stmt = stmt.where(ContentItemRow.author_id == author)
    if not_author is not None:
        stmt = stmt.where(ContentItemRow.author_id != not_author)
    rows = session.scalars(stmt.order_by(ContentItemRow.updated_at, ContentItemRow.id))
    return [item_from_row(row) for row in rows]


def _final_for(session: Session, actor: Actor) -> list[ContentItem]:
    """Final-review items this reviewer may approve: not their own, not first-approved
    by them, not already approved by them (the policy decides)."""
    reviews = SqlReviewRepository(session)
    return [item for item in _items(session, (State.FINAL_REVIEW,))
            if Event.FINAL_APPROVE in policy.allowed_events(actor, item,
                                                            reviews.for_item(item.id))]


def _my_tickets(session: Session, staff_id: int, now: datetime) -> list[tuple[int, str, int]]:
    """Tickets waiting for this person's reply ('open'; pending ones wait for the follower)."""
    rows = session.execute(
        select(ReplyTicket.id, ReplyTicket.summary, ReplyTicket.waiting_since)
        .where(ReplyTicket.status == "open", ReplyTicket.assignee_id == staff_id)
        .order_by(ReplyTicket.waiting_since, ReplyTicket.id))
    return [(r.id, r.summary, _minutes(r.waiting_since, now)) for r in rows]


def _minutes(since: datetime | None, now: datetime) -> int:
    return max(0, int((now - since).total_seconds() // 60)) if since else 0


def _open_tickets(session: Session, unclaimed: bool = False) -> int:
    """Tickets waiting for a staff reply; ``unclaimed``: nobody has taken them yet."""
    stmt = select(func.count()).select_from(ReplyTicket).where(ReplyTicket.status == "open")
    if unclaimed:
        stmt = stmt.where(ReplyTicket.assignee_id.is_(None))
    return int(session.scalar(stmt) or 0)


# --- 统计 ------------------------------------------------------------------------------

DEFAULT_DAYS, MAX_DAYS = 7, 90


@dataclass(frozen=True)
class Stats:
    first: date
    last: date
    reads: int
    shares: int
    new_followers: int
    lost_followers: int | None  # None: no platform figures, counted from our own records
    open_tickets: int
    published: list[ContentItem]
    analytics_pulled: bool  # any datacube rows at all yet


def stats(ctx: CommandContext, cmd: Command) -> Result:
    days = parse_days(cmd.args.get("days"))
    last = ctx.local_now.date()
    first = last - timedelta(days=days - 1)
    since = datetime.combine(first, time(), ctx.tz).astimezone(UTC)
    with ctx.orm() as session:
        reads, shares = _article_sums(session, first, last)
        new, lost = _followers(session, first, last, since)
        figures = Stats(first, last, reads, shares, new, lost, _open_tickets(session),
                        _published(session, since, ctx.now), _analytics_pulled(session))
    return say("me_stats", days=days, stats=figures)


def parse_days(value: object) -> int:
    """``7``, ``7天``, ``7d``; 1 to 90, 7 when not given."""
    if value is None:
        return DEFAULT_DAYS
    text = str(value).lower().removesuffix("天").removesuffix("日").removesuffix("d").strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_DAYS:
        raise refused("days_invalid", limit=MAX_DAYS)
    return int(text)


def _article_sums(session: Session, first: date, last: date) -> tuple[int, int]:
    row = session.execute(
        select(func.coalesce(func.sum(ArticleMetric.reads), 0),
               func.coalesce(func.sum(ArticleMetric.shares), 0))
        .where(ArticleMetric.day >= first, ArticleMetric.day <= last)).one()
    return int(row[0]), int(row[1])


def _followers(session: Session, first: date, last: date,
               since: datetime) -> tuple[int, int | None]:
    """The platform's daily figures when pulled, else our own subscribe records."""
    row = session.execute(
        select(func.count(), func.coalesce(func.sum(FollowerMetric.new_users), 0),
               func.coalesce(func.sum(FollowerMetric.cancel_users), 0))
        .where(FollowerMetric.day >= first, FollowerMetric.day <= last)).one()
    if row[0]:
        return int(row[1]), int(row[2])
    counted = session.scalar(select(func.count()).select_from(Follower)
                             .where(Follower.subscribed_at >= since))
    return int(counted or 0), None


def _published(session: Session, since: datetime, now: datetime) -> list[ContentItem]:
    rows = session.scalars(select(ContentItemRow).where(
        ContentItemRow.published_at >= since, ContentItemRow.published_at <= now)
        .order_by(ContentItemRow.published_at))
    return [item_from_row(row) for row in rows]


def _analytics_pulled(session: Session) -> bool:
    return any(session.scalar(select(func.count()).select_from(model))
               for model in (ArticleMetric, FollowerMetric))


# --- 建议 ------------------------------------------------------------------------------

MAX_FEEDBACK = 1000


def quarter_of(when: datetime) -> str:
    """``2026Q4``: feedback is reviewed at the quarterly process review."""
    return f"{when.year}Q{(when.month - 1) // 3 + 1}"


def feedback(ctx: CommandContext, cmd: Command) -> Result:
    text = str(cmd.args["text"]).strip()
    if len(text) > MAX_FEEDBACK:
        raise refused("feedback_too_long", limit=MAX_FEEDBACK)
    quarter = quarter_of(ctx.local_now)
    with ctx.orm() as session:
        row = ProcessFeedback(staff_id=ctx.actor.id, content=text, quarter=quarter,
                              created_at=ctx.now)
        session.add(row)
        session.flush()
        row_id = row.id
    ctx.audit(f"feedback:{row_id}", "feedback", quarter, comment=text)
    return say("me_feedback", quarter=quarter)
