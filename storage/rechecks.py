"""The facts behind re-check dates (workflow.ports.RecheckView): queries only;
workflow/recheck.py decides what they mean."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from functools import cache
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Date,
    Delete,
    FromClause,
    Integer,
    Select,
    bindparam,
    cast,
    delete,
    func,
    insert,
    null,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.among import among, among_given
from storage.literal import constant
from storage.models import (
    TITLED_LIKE,
    AnalyticsDay,
    ArticleMetric,
    AuditRow,
    CommentTicketRow,
    ContentItemRow,
    RecheckBasisRow,
    RecheckDateRow,
    RecheckMarkRow,
    RecheckNoteRow,
    RecheckQuoteRow,
    RecheckSignalRow,
    ReplyTicket,
    Stripped,
    TicketMessage,
)
from storage.plans import custom_plans
from storage.titles import quoted_titles
from storage.types import UTCDateTime
from storage.upsert import conflict_insert
from workflow.recheck import (
    RECHECK_WORDS,
    Article,
    DayReads,
    Due,
    LastCheck,
    Said,
    Signal,
    SignalKind,
    Verdict,
    recheck_word,
    verdict_of,
)
from workflow.reply_queue import COMPLAINT_PRIORITY
from workflow.states import State
from workflow.suggestions import TITLE_QUOTE, named_items

#: The interface whose daily answer gives every article's reads that day.
READS = "getarticleread"
#: How a message naming an article in 《》 is found: as a literal, which the
#: partial index of such messages (``ix_ticket_messages_titled``) repeats.
TITLED = constant(TITLED_LIKE)
#: The audit events that may record a re-check (recheck.verdict_of decides).
CHECK_EVENTS = ("recheck_ok", "flag_outdated", "withdraw")
#: Up to this many items, the messages naming them are found by their titles
#: (``recheck_quotes``); more, and reading every quoting message costs no more.
FEW_TITLES = 500
#: The one row of ``recheck_basis``.
BASIS_ROW = 1


class SqlRecheckView:
    def __init__(self, session: Session) -> None:
        self.session = session

    def published(self) -> Sequence[Article]:
        c = ContentItemRow
        rows = self.session.connection().execute(  # Core: thousands of rows, no ORM
            select(c.id, c.title, c.topic, c.author_id, c.published_at, c.expires_on)
            .where(*_published(c)).order_by(c.id)).all()
        return [Article(r.id, r.title, r.topic or "", r.author_id, r.published_at,
                        r.expires_on) for r in rows]

    def checked(self, item_ids: Collection[int] | None = None
                ) -> Sequence[tuple[Article, LastCheck | None]]:
        """Every published item (of ``item_ids`` if given) with its last
        re-check, in one read: the
        item's last audit row of a re-check's events joined to it (by the
        partial index of them), not every such row of every item read and
        sifted (bench/scale.py). Where that row is no re-check (a withdrawal
        not asked for by 复查, which ``verdict_of`` decides), the item's
        earlier rows are read as ``last_checks`` reads them."""
        found: list[tuple[Article, LastCheck | None]] = []
        unsure: list[int] = []
        conn = self.session.connection()
        given = {} if item_ids is None else {"ids": list(item_ids)}
        for (item_id, title, topic, author_id, published_at, expires_on,
             event, command, comment, actor_id, actor_name, at) in \
                conn.execute(_checked(conn.dialect.name, item_ids is not None), given).all():
            verdict = verdict_of(event, command or "") if event is not None else None
            if event is not None and verdict is None:
                unsure.append(item_id)
            last = LastCheck(at, verdict, actor_id, actor_name, comment or "") \
                if verdict is not None else None
            found.append((Article(item_id, title, topic or "", author_id, published_at,
                                  expires_on), last))
        if unsure:
            earlier = self.last_checks(unsure)
            found = [(a, earlier.get(a.item_id) if a.item_id in unsure else last)
                     for a, last in found]
        return found

    def last_checks(self, item_ids: Collection[int]) -> Mapping[int, LastCheck]:
        if not item_ids:
            return {}
        a = AuditRow
        rows = self.session.connection().execute(
            select(a.item_id, a.event, a.command, a.comment, a.actor_id, a.actor_name, a.at)
            .where(among(self.session, a.item_id, item_ids),
                   a.event.in_([constant(e) for e in CHECK_EVENTS]))
            .order_by(a.id)).all()
        found: dict[int, LastCheck] = {}
        for r in rows:  # oldest first: the last one stays
            verdict = verdict_of(r.event, r.command or "")
            if verdict is not None and r.item_id is not None:
                found[r.item_id] = LastCheck(r.at, verdict, r.actor_id, r.actor_name,
                                             r.comment or "")
        return found

    def said_about(self, item_ids: Collection[int], since: datetime | None,
                   quoted: bool = False) -> Sequence[Said]:
        if not item_ids or since is None:
            return []
        custom_plans(self.session)  # an array of every published item, since long ago
        given: dict[str, Any] = {"items": list(item_ids), "since": since}
        which: Saying = "items"
        if quoted and len(item_ids) <= FEW_TITLES:
            which, given["messages"] = "quoted", self._quoting(item_ids)
        return self._said(which, given, set(item_ids))

    def _quoting(self, item_ids: Collection[int]) -> list[int]:
        """Which followers' messages may name one of a few items, the kept
        quotes being up to date: those quoting one of their titles
        (``named_items`` then decides), not every message quoting a title
        (复查 after a few writes: bench/scale.py). The ids as they are go to
        the next statement: a subquery was planned as a probe of every worded
        message."""
        conn = self.session.connection()
        ids = {"ids": list(item_ids)}
        return list(conn.execute(_quoting_messages(conn.dialect.name), ids).scalars())

    def said_since(self, since: datetime | None) -> Sequence[Said]:
        """``said_about`` every published item: the comments found by their
        items' state, not by a list of every published id sent along
        (bench/scale.py); the messages may name other items too."""
        if since is None:
            return []
        custom_plans(self.session)  # a date long ago
        return self._said("published", {"since": since}, None)

    def _said(self, which: Saying, given: dict[str, Any], wanted: set[int] | None) -> list[Said]:
        """The comments and the messages naming an item in 《》 that may be a
        signal (``_said_since``), read in one statement; the messages found by
        the kept quotes are sifted here, as the statement sifts the others."""
        found: list[Said] = []
        quoting: dict[int, tuple[int, bool, str, datetime]] = {}  # by message: some are both
        conn = self.session.connection()
        for item_id, message_id, ticket_id, priority, content, at in \
                conn.execute(_said_since(conn.dialect.name, which), given).all():
            if item_id is not None:
                found.append(Said(item_id, at, content or "", priority >= COMPLAINT_PRIORITY,
                                  ticket_id, "comment"))
            elif priority >= COMPLAINT_PRIORITY or recheck_word(content or ""):
                quoting[message_id] = (ticket_id, priority >= COMPLAINT_PRIORITY, content, at)
        if quoting:
            titles = quoted_titles(self.session, (content for _, _, content, _ in quoting.values()))
            found += [Said(i, at, content, complaint, ticket_id, "message")
                      for ticket_id, complaint, content, at in quoting.values()
                      for i in named_items(content, titles) if wanted is None or i in wanted]
        return sorted(found, key=lambda s: (s.at, s.ticket_id))

    def daily_reads(self, first: date, last: date) -> Sequence[DayReads]:
        return self.reads_of(first, last, (State.PUBLISHED,))

    def reads_of(self, first: date, last: date, states: Collection[State]) -> list[DayReads]:
        """getarticleread's answer of each day (every article read that day, by its
        msgid) mapped to the items in ``states`` by the msgids article_metrics has
        matched; a day without that answer falls back to article_metrics' own rows
        (the first 30 days after publishing)."""
        items = self._msgids(states)
        by_day: dict[tuple[int, date], int] = {}
        answered: set[date] = set()
        a = AnalyticsDay
        for day, rows in self.session.execute(select(a.day, a.rows).where(
                a.endpoint == READS, a.day >= first, a.day <= last)):
            answered.add(day)
            for row in rows or []:
                item_id = items.get(str(row.get("msgid", "")))
                if item_id is not None:
                    key = (item_id, day)
                    by_day[key] = by_day.get(key, 0) + _read_users(row)
        m = ArticleMetric
        for r in self.session.execute(select(m.item_id, m.day, m.reads).where(
                among(self.session, m.item_id, set(items.values())),
                m.day >= first, m.day <= last)):
            if r.day not in answered:  # an item published again: its articles add up
                by_day[(r.item_id, r.day)] = by_day.get((r.item_id, r.day), 0) + int(r.reads)
        return [DayReads(i, d, n) for (i, d), n in sorted(by_day.items())]

    def _msgids(self, states: Collection[State]) -> dict[str, int]:
        m, c = ArticleMetric, ContentItemRow
        rows = self.session.execute(select(m.msgid, m.item_id).distinct()
                                    .join(c, c.id == m.item_id)
                                    .where(c.state.in_([s.value for s in states])))
        return {r.msgid: r.item_id for r in rows}

    def figures_from(self) -> date | None:
        a, m = AnalyticsDay, ArticleMetric
        days = [self.session.scalar(select(func.min(a.day)).where(a.endpoint == READS)),
                self.session.scalar(select(func.min(m.day)))]
        return min((d for d in days if d is not None), default=None)

    def kept_signals(self, item_ids: Collection[int]) -> Sequence[tuple[int, Signal]]:
        if not item_ids:
            return []
        return self._kept(item_ids)

    def kept_signals_published(self) -> Sequence[tuple[int, Signal]]:
        """``kept_signals`` of every published item, found by their state."""
        return self._kept(None)

    def _kept(self, item_ids: Collection[int] | None) -> list[tuple[int, Signal]]:
        """The kept signals of ``item_ids``, or of every published item."""
        conn = self.session.connection()
        given = {} if item_ids is None else {"ids": list(item_ids)}
        rows = conn.execute(_kept_signals(conn.dialect.name, item_ids is not None), given).all()
        return [(item_id, Signal(SignalKind(kind), day, dict(detail or {})))
                for item_id, kind, day, detail in rows]

    def changed(self, basis: str) -> set[int] | None:
        """Claim what the triggers of migration 0035 recorded since the dates
        were kept: the items marked and the items the noted messages name
        (whose quotes are kept, ``recheck_quotes``). None when the dates were
        kept under another ``basis`` (or none): every date is to be computed,
        and every quote is read again. The basis row is locked first, so two
        callers take turns; a mark written meanwhile is not claimed and stays
        for the next. From here on in this unit of work, ``said_about(...,
        quoted=True)`` may find the messages naming a few items by the quotes."""
        kept, conn = self._basis(), self.session.connection()
        marked = set(conn.execute(_CLAIM_MARKS).scalars())
        noted = set(conn.execute(_CLAIM_NOTES).scalars())
        if kept != basis:
            conn.execute(delete(RecheckQuoteRow))
            self._keep_quotes(TicketMessage.content.like(TITLED))
            return None
        if not noted:
            return marked
        return marked | self._named_by(self._keep_quotes(among(self.session, TicketMessage.id,
                                                               noted)))

    def _basis(self) -> str | None:
        """The kept dates' basis, its row locked; made (empty) if missing, so that
        two first callers take turns as well."""
        conn = self.session.connection()
        kept = conn.scalar(_LOCKED_BASIS)
        if kept is None:
            made = conflict_insert(conn.dialect.name, RecheckBasisRow)
            conn.execute(made.values(id=BASIS_ROW, basis="").on_conflict_do_nothing())
            kept = conn.scalar(_LOCKED_BASIS)
        return kept

    def _keep_quotes(self, which: ColumnElement[bool]) -> list[str]:
        """Keep the quotes of the followers' messages ``which``; their texts."""
        m, q = TicketMessage, RecheckQuoteRow
        rows = self.session.connection().execute(
            select(m.id, m.content).where(m.direction == constant("in"), which)).all()
        quotes = sorted({(t.strip(), message_id) for message_id, content in rows
                         for t in TITLE_QUOTE.findall(content or "") if t.strip()})
        if quotes:
            self.session.connection().execute(
                conflict_insert(self.session.get_bind().dialect.name, q)
                .on_conflict_do_nothing(),
                [{"title": title, "message_id": message_id} for title, message_id in quotes])
        return [content or "" for _, content in rows]

    def _named_by(self, texts: Sequence[str]) -> set[int]:
        """The published items these messages name in 《》."""
        titles = quoted_titles(self.session, texts)
        return {i for content in texts for i in named_items(content, titles)}

    def keep_dates(self, found: Sequence[Due], item_ids: Collection[int] | None,
                   basis: str) -> None:
        """Keep ``found`` as the dates of ``item_ids`` (those not in it are no
        longer published), or, for None, as every date, computed under ``basis``."""
        d, conn = RecheckDateRow, self.session.connection()  # Core: no ORM bookkeeping
        if item_ids is None:
            conn.execute(delete(d))
        else:
            conn.execute(_forget_dates(conn.dialect.name), {"ids": list(item_ids)})
        if found:  # one executemany (the ORM would split it by which values are None)
            conn.execute(insert(d), [_date_row(due) for due in found])
        if item_ids is None:  # the row is there, locked: ``changed`` made it
            conn.execute(update(RecheckBasisRow).where(RecheckBasisRow.id == BASIS_ROW)
                         .values(basis=basis))

    def kept_due(self, today: date) -> list[Due]:
        """The kept dates due on or before ``today``, most overdue first."""
        d = RecheckDateRow
        rows = self.session.connection().execute(
            select(*d.__table__.columns).where(d.due_on <= today)
            .order_by(d.due_on, d.item_id)).all()
        return [_due(row) for row in rows]

    def kept_due_first(self, today: date, limit: int, after: date | None = None,
                       author_id: int | None = None) -> tuple[int, list[Due]]:
        """How many kept dates are due on or before ``today`` (after ``after``,
        of ``author_id``'s items), and the first ``limit`` (at least one) of
        them, in one read."""
        assert limit > 0, "the count comes with the rows"
        given = {"today": today, "limit": limit, "after": after, "author_id": author_id}
        rows = self.session.connection().execute(
            _kept_due_first(after is not None, author_id is not None), given).all()
        return (int(rows[0].due_count) if rows else 0), [_due(row) for row in rows]

    def keep_signal(self, item_id: int, signal: Signal, now: datetime) -> bool:
        stmt = insert(RecheckSignalRow).values(
            item_id=item_id, kind=signal.kind.value, signal_day=signal.on,
            detail=dict(signal.detail), found_at=now)
        try:
            with self.session.begin_nested():
                self.session.execute(stmt)
        except IntegrityError:
            return False
        return True


def _date_row(due: Due) -> dict[str, Any]:
    signal, last = due.signal, due.last
    return {"item_id": due.item_id, "due_on": due.due_on, "planned_on": due.planned_on,
            "title": due.title, "topic": due.topic, "author_id": due.author_id,
            "signal_kind": signal.kind.value if signal else None,
            "signal_on": signal.on if signal else None,
            "signal_detail": dict(signal.detail) if signal else None,
            "last_at": last.at if last else None,
            "last_verdict": last.verdict.value if last else None,
            "last_actor_id": last.actor_id if last else None,
            "last_actor_name": last.actor_name if last else None,
            "last_note": last.note if last else None}


def _due(row: Any) -> Due:
    signal = Signal(SignalKind(row.signal_kind), row.signal_on, row.signal_detail or {}) \
        if row.signal_kind is not None else None
    last = LastCheck(row.last_at, Verdict(row.last_verdict), row.last_actor_id,
                     row.last_actor_name or "", row.last_note or "") \
        if row.last_verdict is not None else None
    return Due(row.item_id, row.title, row.topic, row.author_id, row.due_on, row.planned_on,
               signal, last)


#: What ``_said_since`` reads: "items", the comments on the items given as
#: ``items`` and every message naming an item; "quoted", those comments and
#: only the messages given as ``messages``; "published", as "items" for every
#: published item.
Saying = Literal["items", "quoted", "published"]


@cache
def _said_since(dialect: str, which: Saying) -> CompoundSelect[Any]:
    """(item or None, message, ticket, priority, text, when): the comments on
    items (``which``) and the followers' messages (not comments) naming an
    item in 《》 (the index of them, migration 0029) from ``since`` (given when
    it runs, as the items and messages are; the statement is built once) that
    may be a signal. The messages come two ways: those with a re-check word by the
    index of them (0033: the words are not tested on every message again),
    those of complaints by the complaints' tickets; a message may come both
    ways. A message's ticket is looked up by its key: joined, PostgreSQL
    read every ticket (bench/scale.py: 100,000) to hash them. "quoted": only
    the messages given (by their ids, from the kept quotes), whether they may
    be a signal left to ``_said`` (driven by the complaints' tickets instead,
    SQLite probed each of thousands for them; with the words, PostgreSQL
    spent 6 ms planning the branch)."""
    c, t, m = CommentTicketRow, ReplyTicket, TicketMessage
    since = bindparam("since", type_=UTCDateTime())
    about = among_given(dialect, c.item_id, "items") if which != "published" else \
        c.item_id.in_(select(ContentItemRow.id).where(*_published(ContentItemRow)))
    by_quotes = among_given(dialect, m.id, "messages") if which == "quoted" else None
    comments = (select(c.item_id, m.id, m.ticket_id, t.priority, m.content, m.created_at)
                .join(t, t.id == c.ticket_id).join(m, m.ticket_id == c.ticket_id)
                .where(about, m.direction == "in", m.created_at >= since, _may_signal(t, m)))
    priority = select(t.priority).where(t.id == m.ticket_id).scalar_subquery()
    named = (select(cast(null(), Integer), m.id, m.ticket_id, priority, m.content, m.created_at)
             .where(~select(c.ticket_id).where(c.ticket_id == m.ticket_id).exists(),
                    m.direction == constant("in"), m.created_at >= since,
                    m.content.like(TITLED)))
    words = [m.content.like(constant(f"%{w}%")) for w in RECHECK_WORDS]
    if by_quotes is not None:  # a few messages by their ids, sifted by ``_said``
        return union_all(comments, named.where(by_quotes))
    worded = named.where(or_(*words))
    complained = named.where(m.ticket_id.in_(
        select(t.id).where(t.priority >= COMPLAINT_PRIORITY)))
    return union_all(comments, worded, complained)


@cache
def _checked(dialect: str, given: bool) -> Select[Any]:
    """``checked``'s statement, built once: of the items given as ``ids`` if
    ``given``, else of every published item."""
    c, a = ContentItemRow, AuditRow
    which = (among_given(dialect, c.id, "ids"),) if given else ()
    checks = a.event.in_([constant(e) for e in CHECK_EVENTS])
    last: FromClause
    if dialect == "postgresql":  # one index probe an item
        last = select(a.event, a.command, a.comment, a.actor_id, a.actor_name, a.at) \
            .where(a.item_id == c.id, checks).order_by(a.id.desc()).limit(1).lateral()
        on: ColumnElement[bool] = true()
    else:  # no LATERAL: the same row found by its id
        last = AuditRow.__table__.alias("last_check")
        on = last.c.id == select(func.max(a.id)).where(a.item_id == c.id, checks) \
            .scalar_subquery()
    return select(c.id, c.title, c.topic, c.author_id, c.published_at, c.expires_on,
                  last.c.event, last.c.command, last.c.comment, last.c.actor_id,
                  last.c.actor_name, last.c.at) \
        .select_from(c).outerjoin(last, on).where(*_published(c), *which).order_by(c.id)


@cache
def _forget_dates(dialect: str) -> Delete:
    """The kept dates of the items given as ``ids`` deleted."""
    return delete(RecheckDateRow).where(among_given(dialect, RecheckDateRow.item_id, "ids"))


@cache
def _kept_due_first(after: bool, author: bool) -> Select[Any]:
    """``kept_due_first``'s: how many are due (counted before the limit) with
    each row; after the day given as ``after``, of the author ``author_id``."""
    d = RecheckDateRow
    which = [d.due_on <= bindparam("today", type_=Date())]
    if after:
        which.append(d.due_on > bindparam("after", type_=Date()))
    if author:
        which.append(d.author_id == bindparam("author_id", type_=Integer()))
    return select(*d.__table__.columns, func.count().over().label("due_count")) \
        .where(*which).order_by(d.due_on, d.item_id).limit(bindparam("limit"))


#: ``changed``'s statements, built once.
_CLAIM_MARKS = delete(RecheckMarkRow).returning(RecheckMarkRow.item_id)
_CLAIM_NOTES = delete(RecheckNoteRow).returning(RecheckNoteRow.message_id)
_LOCKED_BASIS = select(RecheckBasisRow.basis).where(RecheckBasisRow.id == BASIS_ROW) \
    .with_for_update()


@cache
def _kept_signals(dialect: str, given: bool) -> Select[Any]:
    """The kept signals of the items given as ``ids`` if ``given``, else of
    every published item (found by their state), oldest first."""
    k, item = RecheckSignalRow, ContentItemRow
    which = among_given(dialect, k.item_id, "ids") if given else \
        k.item_id.in_(select(item.id).where(*_published(item)))
    return select(k.item_id, k.kind, k.signal_day, k.detail).where(which) \
        .order_by(k.signal_day, k.id)


@cache
def _quoting_messages(dialect: str) -> Select[Any]:
    """The followers' messages quoting the (stripped) title of an item given as
    ``ids``, by the kept quotes."""
    c, q = ContentItemRow, RecheckQuoteRow
    titles = select(Stripped(c.title)).where(among_given(dialect, c.id, "ids"))
    return select(q.message_id).where(q.title.in_(titles))


def _published(c: type[ContentItemRow]) -> tuple[ColumnElement[bool], ...]:
    """The items re-checks are about."""
    return c.state == State.PUBLISHED.value, c.published_at.is_not(None)


def _may_signal(t: type[ReplyTicket], m: type[TicketMessage]) -> ColumnElement[bool]:
    """What can be a signal (recheck.said_signal): a complaint, or words that say
    the article may be wrong. The rest (写得真好) is not read at all."""
    return or_(t.priority >= COMPLAINT_PRIORITY, *[m.content.contains(w) for w in RECHECK_WORDS])


def _read_users(row: dict[str, Any]) -> int:
    """A getarticleread row's readers (its ``detail``; at the top in older answers)."""
    found = row.get("detail")
    detail: dict[str, Any] = found if isinstance(found, dict) else row
    try:
        return int(detail.get("read_user", 0))
    except (TypeError, ValueError):
        return 0
