"""Read views behind workflow.ports (WorkView, FiguresView) and the feedback log:
queries only; workflow.overview assembles what people are shown."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import (
    BindParameter,
    Date,
    Executable,
    Integer,
    Row,
    Text,
    bindparam,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from storage import analytics, outbox, platform
from storage.models import (
    ArticleMetric,
    CommentTicketRow,
    ContentItemRow,
    Follower,
    FollowerMetric,
    ProcessFeedback,
    ReplyTicket,
    TicketMessage,
)
from storage.repositories import item_from_row
from storage.response_times import response_times, response_times_within
from storage.titles import quoted_rows
from storage.types import UTCDateTime
from workflow.analytics import DETAIL_DAYS, Totals
from workflow.figures import (
    ArticleReads,
    Complaints,
    FollowerDay,
    PeriodTotals,
    Published,
    Response,
    ResponseTimes,
    SourceTotals,
    Titled,
    Waiting,
)
from workflow.model import ContentItem
from workflow.reply_queue import COMPLAINT_PRIORITY
from workflow.states import State
from workflow.suggestions import named_items, unique_titles


class SqlWorkView:
    def __init__(self, session: Session) -> None:
        self.session = session

    def items_in(self, states: Sequence[State], author: int | None = None,
                 not_author: int | None = None) -> Sequence[ContentItem]:
        row = ContentItemRow
        stmt = select(row).where(row.state.in_([s.value for s in states]))
        if author is not None:
            stmt = stmt.where(row.author_id == author)
        if not_author is not None:
            stmt = stmt.where(row.author_id != not_author)
        return [item_from_row(r)
                for r in self.session.scalars(stmt.order_by(row.updated_at, row.id))]

    def my_tickets(self, staff_id: int) -> Sequence[tuple[int, str, datetime | None]]:
        # 'open' only: a pending ticket waits for the follower, not for staff.
        rows = self.session.execute(
            select(ReplyTicket.id, ReplyTicket.summary, ReplyTicket.waiting_since)
            .where(ReplyTicket.status == "open", ReplyTicket.assignee_id == staff_id)
            .order_by(ReplyTicket.waiting_since, ReplyTicket.id))
        return [(r.id, r.summary, r.waiting_since) for r in rows]

    def open_tickets(self, unclaimed: bool = False) -> int:
        stmt = select(func.count()).select_from(ReplyTicket).where(ReplyTicket.status == "open")
        if unclaimed:
            stmt = stmt.where(ReplyTicket.assignee_id.is_(None))
        return int(self.session.scalar(stmt) or 0)


class SqlFiguresView:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _rows(self, statement: Executable,
              given: Mapping[str, Any] | None = None) -> Sequence[Row[Any]]:
        """A plain select's rows, run on the session's connection and fetched at
        once: no ORM in the way, nor a fetch per row (统计 sends sixteen of
        them; bench/scale.py). 统计's own are built once (below), their values
        ``given`` when they run: building them again cost more CPU than
        running them."""
        return self.session.connection().execute(statement, given or {}).all()

    def period_totals(self, first: date, last: date) -> PeriodTotals:
        """In one statement (统计 sent three or four; bench/scale.py). The
        reads and shares are the period's articles' (``article_reads``) summed."""
        row = self._rows(_STATEMENTS["period_totals"], {"first": first, "last": last})[0]
        return PeriodTotals(int(row[0]), int(row[1]), int(row[2]), int(row[3]), bool(row[4]))

    def subscribed_since(self, since: datetime) -> int:
        return int(self.session.scalar(select(func.count()).select_from(Follower)
                                       .where(Follower.subscribed_at >= since)) or 0)

    def published_between(self, since: datetime, until: datetime) -> Sequence[Titled]:
        rows = self._rows(_STATEMENTS["published_between"], {"since": since, "until": until})
        return [Titled(r.id, r.title) for r in rows]

    def item_totals(self, item_id: int) -> Sequence[Totals]:
        return analytics.item_totals(self.session.connection(), item_id)

    def recent_day7(self, except_item: int, limit: int) -> Sequence[int]:
        return analytics.recent_day7(self.session.connection(), except_item, limit)

    def article_reads(self, first: date, last: date) -> Sequence[ArticleReads]:
        rows = self._rows(_STATEMENTS["article_reads"], {"first": first, "last": last})
        return [ArticleReads(r.msgid, r.item_id, r.title or "",
                             int(r.reads or 0), int(r.shares or 0)) for r in rows]

    def first_responses(self, since: datetime, until: datetime) -> Sequence[Response]:
        t = ReplyTicket
        rows = self._rows(select(t.opened_at, t.first_response_at).where(
            t.first_response_at >= since, t.first_response_at < until)
            .order_by(t.first_response_at, t.id))
        return [Response(r.opened_at, r.first_response_at) for r in rows]

    def response_times(self, since: datetime, until: datetime, tz: tzinfo) -> ResponseTimes:
        return response_times(self.session, since, until, tz)

    def response_times_within(self, since: datetime, until: datetime, tz: tzinfo,
                              inner: datetime) -> tuple[ResponseTimes, ResponseTimes]:
        return response_times_within(self.session, since, until, tz, inner)

    def published_day7(self, since: datetime, until: datetime) -> Sequence[Published]:
        rows = self._rows(_STATEMENTS["published_day7"], {"since": since, "until": until})
        return [Published(item_id, title, topic or "", theme or "", at,
                          None if reads is None else int(reads))
                for item_id, title, topic, theme, at, reads in rows]

    def follower_days(self, first: date, last: date) -> Sequence[FollowerDay]:
        rows = self._rows(_STATEMENTS["follower_days"], {"first": first, "last": last})
        return [FollowerDay(r.day, r.new_users, r.cancel_users, r.cumulate_users)
                for r in rows]

    def complaints(self, since: datetime, until: datetime) -> Sequence[Complaints]:
        """The comments' counts (with their items' titles) and the messages
        that may name an item, in one statement; then the titles quoted."""
        counts: dict[int, int] = {}
        titles: dict[int, str] = {}
        texts: dict[int, list[str]] = {}
        for r in self._rows(_STATEMENTS["complaints"], {"since": since, "until": until}):
            if r.ticket_id is None:
                counts[r.item_id], titles[r.item_id] = int(r.n), r.title or ""
            else:
                texts.setdefault(r.ticket_id, []).append(r.content)
        if texts:
            quoted = quoted_rows(self.session, (text for said in texts.values() for text in said))
            named = unique_titles(quoted)
            titles.update((i, name) for i, name in quoted if i not in titles)
            for said in texts.values():
                for item_id in named_items(" ".join(said), named):
                    counts[item_id] = counts.get(item_id, 0) + 1
        return [Complaints(i, titles.get(i, ""), n) for i, n in sorted(counts.items())]

    def source_totals(self, first: date, last: date) -> Sequence[SourceTotals]:
        m = ArticleMetric
        since = first - timedelta(days=DETAIL_DAYS + 1)  # running totals end at day 30
        rows = self._rows(select(m.msgid, m.day, m.read_sources).where(
            m.day >= since, m.day <= last, m.read_sources.is_not(None)))
        return [SourceTotals(r.msgid, r.day, {str(k): int(v) for k, v in
                                              (r.read_sources or {}).items()}) for r in rows]

    def waiting(self, before: datetime) -> Waiting:
        """Counted here, not every open ticket's time read (1,500 at the
        benchmark's size)."""
        row = self._rows(_STATEMENTS["waiting"], {"before": before})[0]
        return Waiting(int(row[0]), row[1])


def _statements() -> dict[str, Executable]:
    """统计's statements, built once (``SqlFiguresView._rows``)."""
    m, f, c, t = ArticleMetric, FollowerMetric, ContentItemRow, ReplyTicket
    first, last = bindparam("first", type_=Date()), bindparam("last", type_=Date())
    since, until, before = (bindparam(name, type_=UTCDateTime())
                            for name in ("since", "until", "before"))
    followers = select(func.count().label("days"),
                       func.coalesce(func.sum(f.new_users), 0).label("new"),
                       func.coalesce(func.sum(f.cancel_users), 0).label("lost")) \
        .where(f.day >= first, f.day <= last).subquery()
    open_tickets = select(func.count()).select_from(t).where(t.status == "open").scalar_subquery()
    pulled = or_(*[select(literal(True)).select_from(table).limit(1).scalar_subquery().is_not(None)
                   for table in (m, f)])  # a first row, not a count of every row
    sums = (select(m.msgid, func.max(m.item_id).label("item_id"),
                   func.sum(m.reads).label("reads"), func.sum(m.shares).label("shares"))
            .where(m.day >= first, m.day <= last).group_by(m.msgid).subquery())
    day7 = (select(func.max(m.total_reads))  # each item's own, by ix_article_metrics_item_age
            .where(m.item_id == c.id, m.age == 7).scalar_subquery())
    return {
        "period_totals": select(followers.c.days, followers.c.new, followers.c.lost,
                                open_tickets, pulled).select_from(followers),
        "published_between": select(c.id, c.title).where(
            c.published_at >= since, c.published_at <= until).order_by(c.published_at),
        "article_reads": select(sums, select(c.title).where(c.id == sums.c.item_id)
                                .scalar_subquery().label("title")),  # the title by its key
        "published_day7": select(c.id, c.title, c.topic, c.theme, c.published_at, day7)
        .where(c.published_at >= since, c.published_at < until).order_by(c.published_at, c.id),
        "follower_days": select(f.day, f.new_users, f.cancel_users, f.cumulate_users)
        .where(f.day >= first, f.day <= last).order_by(f.day),
        "complaints": _complaints(since, until),
        "waiting": select(func.count().filter(t.waiting_since <= before), func.min(t.waiting_since))
        .where(t.status == "open", t.waiting_since.is_not(None)),
    }


def _complaints(since: BindParameter[datetime], until: BindParameter[datetime]) -> Executable:
    """The complaints' comments counted by item (with its title) and the
    messages of the message tickets raised as complaints, from ``since``."""
    t, c, m, item = ReplyTicket, CommentTicketRow, TicketMessage, ContentItemRow
    raised = (t.priority >= COMPLAINT_PRIORITY, t.opened_at >= since, t.opened_at < until)
    title = select(item.title).where(item.id == c.item_id).scalar_subquery()  # by its key
    comments = (select(cast(null(), Integer).label("ticket_id"), c.item_id,
                       func.count().label("n"), cast(null(), Text).label("content"),
                       title.label("title"))
                .join(t, t.id == c.ticket_id).where(*raised).group_by(c.item_id))
    # Items named (suggestions.named_items) in the messages of the message
    # tickets raised as complaints in the range: each item once a ticket.
    messages = (select(m.ticket_id, cast(null(), Integer), cast(null(), Integer),
                       m.content, cast(null(), Text))
                .join(t, t.id == m.ticket_id).outerjoin(c, c.ticket_id == t.id)
                .where(*raised, c.ticket_id.is_(None), m.direction == "in",
                       m.content.contains("《")))
    return union_all(comments, messages)


_STATEMENTS = _statements()


class SqlHeldNotices:
    """Held notices on the session's connection, through the outbox's prepared
    statements (a staff member's every push asks)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def held_for(self, openid: str) -> Sequence[tuple[int, dict[str, Any]]]:
        return outbox.held_for(self.session.connection(), openid)

    def item_versions(self, ids: Collection[int]) -> Mapping[int, tuple[int, str]]:
        return platform.item_versions(self.session.connection(), ids)

    def hand_over(self, row_ids: Sequence[int], now: datetime) -> None:
        outbox.hand_over(self.session.connection(), row_ids, now)

    def drop(self, row_ids: Sequence[int], why: str) -> None:
        outbox.drop_held(self.session.connection(), row_ids, why)


class SqlFeedbackLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, staff_id: int, content: str, quarter: str, at: datetime) -> int:
        row = ProcessFeedback(staff_id=staff_id, content=content, quarter=quarter, created_at=at)
        self.session.add(row)
        self.session.flush()
        return row.id
