"""Re-checks of published articles (5.1): when each is next due, what pulls one
forward, who is reminded of it (pure: no clock, no database; the read view is
``schedule`` over the ``RecheckView`` port).

The rule, decided here once:

- An event notice (``ArticleMeta.expires_on``) is due on its expiry day, until a
  re-check on or after that day; then, like every other article, it is due a
  number of days (``RecheckDays``: ``WXOPS_RECHECK_DAYS``, per topic if set) after
  its last re-check, or after its publication when it has none since.
- A signal since then pulls the date forward to the day it happened: a complaint
  about the article (a comment on it, or a message naming it in 《》, that the
  queue ranked a complaint: ``WXOPS_COMPLAINT_WORDS``), a re-check word
  (``RECHECK_WORDS``) in such a comment or message, or a sudden rise in an old
  article's reads (``is_spike``, spotted by the worker: ``spotted``). The
  earliest signal is the one shown. A plain comment ("写得真好") is no signal:
  every read article would otherwise be due at once.
- ``复查 N 正常`` (and 更新, and 删除) is a re-check: the next date counts from its day,
  and signals before it are answered.

How the dates are kept. Every fact a date depends on is kept already (the
publication, the expiry, the topic, the audit trail's re-checks, comments and
messages), and several arrive from places that know nothing of re-checks
(comment sync, the reply queue, an admin's edit of the expiry, a
republication). Computing every date on every 复查 cost 120-220 ms at 2,700
published articles (bench/scale.py), so the dates are kept (``keep_dates``)
and computed again only for the items whose facts changed; but a date kept
as a cache that each writer must remember to refresh is a reminder silently
lost the day one forgets. So nothing in the code marks an item: triggers in
the database do (migration 0035: the item's own columns, its audit trail's
re-checks, its comments and kept signals, a message quoting a title, a
ticket's priority), whoever writes. 复查, 我的 and the reminders claim the
marks (``changed``), compute those items by ``due_of`` and keep them, in one
transaction, and read the kept dates; a fact changed in place, other
intervals or another zone (``basis_of``) compute them all. ``schedule``
still computes every date from the facts: the old-content list and the
evaluation read it, and the tests check the two agree after every kind of
write.

A reads spike is a fact kept for re-checks alone (``recheck_signals``,
migration 0026): a day's reads come from the platform once, inside that
day's JSON answer, and rescanning every day
since each article's last re-check on every 复查 would grow without bound; the
worker looks at the last ``SPOT_DAYS`` each hour and keeps what it finds.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # the port names this module's records
    from workflow.ports import RecheckView, UnitOfWork

#: Days between re-checks when the settings say nothing (``WXOPS_RECHECK_DAYS``).
DEFAULT_DAYS = 90
#: Longest interval a setting may give: ten years is "never" in practice.
MAX_DAYS = 3650
#: Vocabulary, not a sentence: words in a comment or a message about an article
#: that say it may be wrong or out of date. One list, here.
RECHECK_WORDS = ("错误", "有误", "错了", "过期", "过时", "失效", "链接打不开", "打不开",
                 "不对", "已结束", "不准确")
#: A reads spike: a day's reads at least this many times the trailing average...
SPIKE_RATIO = 3.0
#: ... and at least this many reads (three times 5 is still nobody).
SPIKE_FLOOR = 50
#: Days averaged before the day; a day without a figure counts as 0 reads.
SPIKE_TRAILING = 7
#: An article is old from this many days after publication: before, rising reads
#: are what a new article does.
OLD_DAYS = 30
#: Days back the worker looks for reads spikes each hour (the figures of a day
#: come the next morning, a delayed day later).
SPOT_DAYS = 7
#: A re-check this many days overdue is escalated to the admins.
ESCALATE_DAYS = 14
#: Commands whose withdrawal is a re-check's answer (复查 N 删除 confirmed).
RECHECK_COMMANDS = ("复查", "recheck")
#: The rule's version, kept with the dates (``basis_of``): raise it with any
#: change to what ``due_of`` makes of the same facts (the constants above,
#: ``said_signal``, ``reply_queue.COMPLAINT_PRIORITY``), and every kept date is
#: computed again on the next 复查.
RULE = 1


class RecheckDaysError(ValueError):
    """``WXOPS_RECHECK_DAYS`` cannot be read: ``code`` says why, ``part`` where."""

    def __init__(self, code: str, part: str) -> None:
        super().__init__(f"{code}: {part}")
        self.code, self.part = code, part


@dataclass(frozen=True)
class RecheckDays:
    """Days between re-checks: a default and, optionally, one per topic."""

    default: int = DEFAULT_DAYS
    topics: tuple[tuple[str, int], ...] = ()

    def for_topic(self, topic: str) -> int:
        return dict(self.topics).get(topic.strip(), self.default)


#: Every topic every ``DEFAULT_DAYS`` days.
DEFAULT_INTERVALS = RecheckDays()


def parse_days(text: str) -> RecheckDays:
    """``90`` or ``90, 政策=30, 活动=14`` (the default first, then topic=days
    pairs, separated by commas or semicolons; full-width ones too)."""
    parts = [p.strip() for p in text.replace("，", ",").replace(";", ",")
             .replace("；", ",").replace("＝", "=").split(",") if p.strip()]
    if not parts or "=" in parts[0]:
        raise RecheckDaysError("no_default", text)
    default = _days(parts[0])
    topics: dict[str, int] = {}
    for part in parts[1:]:
        topic, _, days = part.partition("=")
        if not topic.strip() or not days.strip():
            raise RecheckDaysError("not_a_pair", part)
        topics[topic.strip()] = _days(days.strip())
    return RecheckDays(default, tuple(topics.items()))


def _days(text: str) -> int:
    if not text.isdecimal() or len(text) > len(str(MAX_DAYS)) or not 1 <= int(text) <= MAX_DAYS:
        raise RecheckDaysError("not_days", text)
    return int(text)


_Row = TypeVar("_Row", "Said", "DayReads")


class SignalKind(StrEnum):
    COMPLAINT = "complaint"  # a complaint about the article
    WORDS = "words"  # a re-check word in a comment or message about it
    READS = "reads"  # an old article's reads suddenly rose


@dataclass(frozen=True)
class Signal:
    """Why a re-check was pulled forward: what, on which (local) day, and the
    figures behind it (``ticket_id``, ``source``, ``word``; ``reads``, ``average``)."""

    kind: SignalKind
    on: date
    detail: Mapping[str, Any] = field(default_factory=dict)


class Verdict(StrEnum):
    OK = "ok"  # 复查 N 正常
    UPDATE = "update"  # 复查 N 更新 (flagged outdated)
    DELETE = "delete"  # 复查 N 删除 (withdrawn)


@dataclass(frozen=True)
class LastCheck:
    """An item's last re-check: when, the answer, who, and the note given."""

    at: datetime
    verdict: Verdict
    actor_id: int | None
    actor_name: str
    note: str = ""


@dataclass(frozen=True)
class Article:
    """A published item as far as its re-checks care."""

    item_id: int
    title: str
    topic: str
    author_id: int
    published_at: datetime
    expires_on: date | None = None


@dataclass(frozen=True)
class Said:
    """A comment on an article, or a follower's message naming it: when, what,
    whether the queue ranked it a complaint, and its ticket."""

    item_id: int
    at: datetime
    text: str
    complaint: bool
    ticket_id: int
    source: str  # "comment" or "message"


@dataclass(frozen=True)
class DayReads:
    item_id: int
    day: date
    reads: int


@dataclass(frozen=True)
class Due:
    """One published item's next re-check: the day (``due_on``), the day its
    schedule alone gives (``planned_on``), the signal that pulled it forward if
    one did, and its last re-check."""

    item_id: int
    title: str
    topic: str
    author_id: int
    due_on: date
    planned_on: date
    signal: Signal | None = None
    last: LastCheck | None = None

    def is_due(self, today: date) -> bool:
        return self.due_on <= today

    def overdue_days(self, today: date) -> int:
        return max(0, (today - self.due_on).days)

    def escalated(self, today: date) -> bool:
        return self.overdue_days(today) >= ESCALATE_DAYS

    def line(self, today: date) -> dict[str, Any]:
        """The re-check as lists and reminders show it (templates/recheck_line.j2):
        plain data, kept as it is in a notice's payload."""
        signal = self.signal
        last = self.last
        return {"item_id": self.item_id, "title": self.title, "due_on": self.due_on.isoformat(),
                "overdue": self.overdue_days(today),
                "signal": signal.kind.value if signal else "",
                "detail": dict(signal.detail) if signal else {},
                "last": {"at": last.at.isoformat(), "verdict": last.verdict.value,
                         "by": last.actor_name} if last else None}


def planned(published_on: date, expires_on: date | None, checked_on: date | None,
            days: int) -> date:
    """The next re-check by the schedule alone (module docstring): ``checked_on``
    is the day of the last re-check since publication, None without one."""
    if expires_on is not None and (checked_on is None or checked_on < expires_on):
        return expires_on
    return (checked_on or published_on) + timedelta(days=days)


def recheck_word(text: str, words: Sequence[str] = RECHECK_WORDS) -> str:
    """The first re-check word in ``text``, "" if none."""
    return next((w for w in words if w in text), "")


def said_signal(said: Said, on: date) -> Signal | None:
    """What a comment or message about the article says for its re-check."""
    word = recheck_word(said.text)
    if not (said.complaint or word):
        return None
    detail = {"ticket_id": said.ticket_id, "source": said.source, "word": word}
    return Signal(SignalKind.COMPLAINT if said.complaint else SignalKind.WORDS, on, detail)


def is_spike(reads: int, average: float) -> bool:
    """A day's reads suddenly up: ``SPIKE_RATIO`` times the trailing average, and
    at least ``SPIKE_FLOOR`` reads."""
    return reads >= SPIKE_FLOOR and reads >= SPIKE_RATIO * average


def reads_signal(reads: Iterable[DayReads], published_on: date, after: date,
                 known_from: date) -> Signal | None:
    """The first spike on a day after ``after`` once the article is old. Signalled
    on the day after it: a day's figures are known the next morning.

    A day without a figure counts as 0 reads (the platform leaves out an article
    nobody read), so a day is judged only when the figures (of any article)
    reach back a whole trailing week before it: ``known_from`` is the first day
    with figures. Otherwise the first figures ever pulled would look like a rise
    from nothing."""
    by_day = {r.day: r.reads for r in reads}
    old_from = published_on + timedelta(days=OLD_DAYS)
    judged_from = known_from + timedelta(days=SPIKE_TRAILING)
    for day in sorted(by_day):
        if day <= after or day < old_from or day < judged_from:
            continue
        average = sum(by_day.get(day - timedelta(days=n), 0)
                      for n in range(1, SPIKE_TRAILING + 1)) / SPIKE_TRAILING
        if is_spike(by_day[day], average):
            return Signal(SignalKind.READS, day + timedelta(days=1),
                          {"day": day.isoformat(), "reads": by_day[day],
                           "average": round(average, 1)})
    return None


def due_of(article: Article, last: LastCheck | None, said: Sequence[Said],
           kept: Sequence[Signal], days: RecheckDays, tz: tzinfo) -> Due:
    """The item's next re-check (module docstring). ``kept``: the signals the
    worker spotted in the platform's data (``spot``), kept as they were found."""
    since, since_on, plan = _planned_of(article, last, days, tz)
    pulled = None
    if said or kept:  # most articles have neither: their date is the plan's
        signals = [s for s in (said_signal(x, x.at.astimezone(tz).date()) for x in said
                               if x.at > since) if s is not None]
        signals += [s for s in kept if s.on > since_on]
        first = min(signals, key=lambda s: s.on, default=None)
        pulled = first if first is not None and first.on < plan else None
    return Due(article.item_id, article.title, article.topic, article.author_id,
               pulled.on if pulled else plan, plan, pulled, last)


def _planned_of(article: Article, last: LastCheck | None, days: RecheckDays,
                tz: tzinfo) -> tuple[datetime, date, date]:
    """From when signals count (and its local day), and the date the schedule
    alone gives (``planned``)."""
    published_on = article.published_at.astimezone(tz).date()
    since = _since(article, last)
    checked_on = since.astimezone(tz).date() if since != article.published_at else None
    plan = planned(published_on, article.expires_on, checked_on,
                   days.for_topic(article.topic))
    return since, published_on if checked_on is None else checked_on, plan


def verdict_of(event: str, command: str) -> Verdict | None:
    """The re-check an audit row records, if it records one: a re-check ok, a
    flag as outdated, or a withdrawal confirmed from 复查 N 删除."""
    if event == "recheck_ok":
        return Verdict.OK
    if event == "flag_outdated":
        return Verdict.UPDATE
    if event == "withdraw" and command.strip().lower().startswith(RECHECK_COMMANDS):
        return Verdict.DELETE
    return None


def schedule(uow: UnitOfWork, days: RecheckDays, tz: tzinfo) -> list[Due]:
    """Every published item's next re-check and its last re-check, soonest first,
    computed from the facts. The read function other views use (the
    old-content list, the evaluation)."""
    with uow:
        found = _computed(uow.rechecks, None, days, tz)
    return sorted(found, key=lambda d: (d.due_on, d.item_id))


def due_today(uow: UnitOfWork, days: RecheckDays, tz: tzinfo, today: date) -> list[Due]:
    """``due_now(schedule(...), today)``, what 复查, 我的 and the reminders list,
    from the dates kept: those of the items whose facts changed since (the
    view's ``changed``) are computed again first, and kept, in the same
    transaction; all of them when they were kept under another ``basis_of``."""
    with uow:
        refresh(uow.rechecks, days, tz)
        due = uow.rechecks.kept_due(today)
        uow.commit()
    return due


def due_first(uow: UnitOfWork, days: RecheckDays, tz: tzinfo, today: date,
              limit: int) -> tuple[int, list[Due]]:
    """How many ``due_today`` lists, and the first ``limit`` of them (复查 shows
    those and says how many more)."""
    with uow:
        refresh(uow.rechecks, days, tz)
        found = uow.rechecks.kept_due_first(today, limit)
        uow.commit()
    return found


def refresh(view: RecheckView, days: RecheckDays, tz: tzinfo) -> None:
    """The kept dates of the items whose facts changed computed again (every
    date, when they were kept under another ``basis_of``)."""
    basis = basis_of(days, tz)
    changed = view.changed(basis)
    if changed is None or changed:
        view.keep_dates(_computed(view, changed, days, tz), changed, basis)


def basis_of(days: RecheckDays, tz: tzinfo) -> str:
    """What a kept date depends on besides the facts: the rule (``RULE``), the
    intervals and the zone its days are counted in."""
    topics = ",".join(f"{topic}={n}" for topic, n in days.topics)
    return f"{RULE}|{days.default}|{topics}|{tz}"


def _computed(view: RecheckView, item_ids: Collection[int] | None, days: RecheckDays,
              tz: tzinfo) -> list[Due]:
    """``due_of`` every published item (of ``item_ids`` if given), from the facts."""
    checked = view.checked(item_ids)
    # Nothing before the oldest unanswered day can be a signal: not read.
    since = min((_since(a, last) for a, last in checked), default=None)
    if item_ids is None:
        said = _by_item(view.said_since(since))
        signals = view.kept_signals_published()
    else:
        said = _by_item(view.said_about([a.item_id for a, _ in checked], since,
                                        quoted=True))  # ``changed`` ran first
        signals = view.kept_signals([a.item_id for a, _ in checked])
    kept: dict[int, list[Signal]] = {}
    for item_id, signal in signals:
        kept.setdefault(item_id, []).append(signal)
    return [due_of(a, last, said.get(a.item_id, ()), kept.get(a.item_id, ()), days, tz)
            for a, last in checked]


def spotted(articles: Sequence[Article], lasts: Mapping[int, LastCheck],
            reads: Sequence[DayReads], known_from: date, first: date,
            tz: tzinfo) -> list[tuple[int, Signal]]:
    """The reads spikes in the figures from ``first`` on (the days the worker
    looks at again each hour: a late or delayed day is judged when it comes),
    each after the article's last re-check."""
    by_item = _by_item(reads)
    found = []
    for a in articles:
        since = _since(a, lasts.get(a.item_id)).astimezone(tz).date()
        signal = reads_signal(by_item.get(a.item_id, []), a.published_at.astimezone(tz).date(),
                              max(since, first - timedelta(days=1)), known_from)
        if signal is not None:
            found.append((a.item_id, signal))
    return found


def _since(article: Article, last: LastCheck | None) -> datetime:
    """From when signals count for ``article``: its publication or last re-check."""
    return last.at if last is not None and last.at >= article.published_at \
        else article.published_at


def _by_item(rows: Iterable[_Row]) -> dict[int, list[_Row]]:
    out: dict[int, list[_Row]] = {}
    for row in rows:
        out.setdefault(row.item_id, []).append(row)
    return out


def due_now(found: Iterable[Due], today: date) -> list[Due]:
    """What is due today or overdue, most overdue first."""
    return sorted((d for d in found if d.is_due(today)), key=lambda d: (d.due_on, d.item_id))
