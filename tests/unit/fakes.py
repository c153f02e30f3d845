"""In-memory fakes of the workflow ports, for pure unit tests."""

from __future__ import annotations

import copy
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, tzinfo
from types import TracebackType
from typing import Any, Self

from tests.unit.fakes_assets import FakeAssets, FakeLinkChecks
from workflow.analytics import Totals
from workflow.archive import ArchiveRequest
from workflow.autoreply import NewRule, Rule
from workflow.checks import CheckResult, WordEntry
from workflow.comments import CommentTarget
from workflow.confirming import Confirmation
from workflow.draft_box import BoxDraft, SeenDraft
from workflow.errors import StaleTicket, StaleVersion
from workflow.evaluation_records import DueDraft, StaffSuggestion, Step, SurveyAnswer, TicketTimes
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
from workflow.model import ActionEntry, AuditEntry, ContentItem, Review
from workflow.old_content import Facts, Windows
from workflow.pages import ArticleText, PageLink, ReportRef
from workflow.queue_view import MessageLine, NoteLine, QueueLine, QueuePage, SavedReply
from workflow.recheck import (
    Article,
    DayReads,
    Due,
    LastCheck,
    Said,
    Signal,
    due_now,
    verdict_of,
)
from workflow.recheck_record import Trail
from workflow.reply_queue import TicketStatus, in_queue
from workflow.roles import Actor, Role
from workflow.staffing import Invite, Member
from workflow.states import WRITING_STATES, State
from workflow.tickets import Ticket
from workflow.window import Interactions


class FakeItems:
    def __init__(self) -> None:
        self.rows: dict[int, ContentItem] = {}
        self.revisions: dict[tuple[int, int], ContentItem] = {}  # as each was saved

    def get(self, item_id: int) -> ContentItem | None:
        return self.rows.get(item_id)

    def add(self, item: ContentItem) -> ContentItem:
        item = replace(item, id=max(self.rows, default=0) + 1)
        self.rows[item.id] = item
        return item

    def save(self, item: ContentItem, expected_version: int) -> None:
        if self.rows[item.id].version != expected_version:
            raise StaleVersion(item.id)
        self.rows[item.id] = item
        self.revisions[item.id, item.revision] = item

    def list(self, state: State | None = None, limit: int = 50) -> list[ContentItem]:
        return [i for i in self.rows.values() if state is None or i.state is state][:limit]

    def by_publish_id(self, publish_id: str) -> ContentItem | None:
        return next((i for i in self.rows.values() if i.publish_id == publish_id), None)

    def agenda(self, start: datetime, end: datetime) -> Sequence[ContentItem]:
        def within(moment: datetime | None) -> bool:
            return moment is not None and start <= moment < end
        return [i for i in self.rows.values() if i.state in WRITING_STATES
                or within(i.scheduled_at) or within(i.published_at)]


class FakeReviews:
    def __init__(self) -> None:
        self.rows: list[Review] = []

    def for_item(self, item_id: int) -> list[Review]:
        return [r for r in self.rows if r.item_id == item_id]

    def add(self, review: Review) -> None:
        self.rows.append(review)


class FakeArchive:
    """The archive entries written, as the requests that wrote them."""

    def __init__(self) -> None:
        self.rows: list[tuple[ArchiveRequest, datetime]] = []

    def store(self, request: ArchiveRequest, now: datetime) -> None:
        self.rows.append((request, now))


class FakeAudit:
    def __init__(self) -> None:
        self.rows: list[AuditEntry] = []
        self.actions: list[ActionEntry] = []

    def add(self, entry: AuditEntry) -> None:
        self.rows.append(entry)

    def record(self, entry: ActionEntry) -> None:
        self.actions.append(entry)

    def latest(self, item_id: int) -> AuditEntry | None:
        return next((e for e in reversed(self.rows) if e.item_id == item_id), None)

    def history(self, item_id: int, last: int | None = None) -> list[AuditEntry]:
        found = [e for e in self.rows if e.item_id == item_id]
        return found[-last:] if last else found


class FakeOutbox:
    def __init__(self) -> None:
        self.rows: dict[str, tuple[str, dict[str, Any]]] = {}
        self.recipients: dict[str, str] = {}  # key: the follower a send goes to

    def add(self, kind: str, payload: dict[str, Any], idempotency_key: str,
            now: datetime, recipient: str | None = None) -> bool:
        if idempotency_key in self.rows:
            return False
        self.rows[idempotency_key] = (kind, payload)
        if recipient is not None:
            self.recipients[idempotency_key] = recipient
        return True

    def queued_sends(self, openid: str) -> int:
        return sum(1 for key, to in self.recipients.items()
                   if to == openid and key in self.rows and self.rows[key][0] == "cs_reply")

    def replace_notices(self, staff_id: int, item_id: int, newer_key: str) -> int:
        older = [key for key, (kind, payload) in self.rows.items()
                 if kind == "notify" and key != newer_key and payload["staff_id"] == staff_id
                 and payload.get("context", {}).get("item_id") == item_id]
        for key in older:
            del self.rows[key]
        return len(older)

    def replace_reminders(self, staff_id: int, newer_key: str) -> int:
        older = [key for key in self.rows if key != newer_key
                 and key.startswith("recheck:") and key.endswith(f":{staff_id}")]
        for key in older:
            del self.rows[key]
        return len(older)


class FakeStaff:
    """Members by id (actors given are active members without a WeChat account)
    and invite codes."""

    def __init__(self, people: list[Actor]) -> None:
        self.rows = {p.id: Member(p.id, p.name, None, p.roles) for p in people}
        self.invites: dict[str, Invite] = {}
        self.released: list[int] = []

    def actor(self, staff_id: int) -> Actor | None:
        member = self.rows.get(staff_id)
        return member.actor if member is not None and member.active else None

    def with_role(self, role: Role) -> list[Actor]:
        return [m.actor for m in self.members() if role in m.roles]

    def matching(self, ref: str) -> list[Member]:
        active = self.members()
        by_id = [m for m in active if ref.isdigit() and m.id == int(ref)]
        return by_id or [m for m in active if m.openid == ref] or \
            [m for m in active if m.name == ref]

    def member(self, staff_id: int) -> Member | None:
        return self.rows.get(staff_id)

    def members(self, include_inactive: bool = False) -> list[Member]:
        return [m for m in self.rows.values() if include_inactive or m.active]

    def by_openid(self, openid: str) -> Member | None:
        return next((m for m in self.rows.values() if m.openid == openid), None)

    def add(self, member: Member, now: datetime) -> Member:
        member = replace(member, id=max(self.rows, default=0) + 1)
        self.rows[member.id] = member
        return member

    def save(self, member: Member, expected: Member) -> bool:
        if self.rows.get(member.id) != expected:
            return False
        self.rows[member.id] = member
        return True

    def release_claims(self, staff_id: int) -> int:
        self.released.append(staff_id)
        return 0

    def invite(self, code: str) -> Invite | None:
        return self.invites.get(code.strip().upper())

    def add_invite(self, invite: Invite) -> Invite:
        invite = replace(invite, id=len(self.invites) + 1)
        self.invites[invite.code] = invite
        return invite

    def use_invite(self, invite: Invite, used_by: int) -> None:
        self.invites[invite.code] = replace(invite, used_by=used_by)


class FakeWork:
    """My work over the fake items; the fakes keep no tickets."""

    def __init__(self, items: FakeItems) -> None:
        self.items = items

    def items_in(self, states: Sequence[State], author: int | None = None,
                 not_author: int | None = None) -> list[ContentItem]:
        return [i for i in self.items.rows.values() if i.state in states
                and author in (None, i.author_id) and not_author != i.author_id]

    def my_tickets(self, staff_id: int) -> list[tuple[int, str, datetime | None]]:
        return []

    def open_tickets(self, unclaimed: bool = False) -> int:
        return 0


class FakeOldContent:
    """The old-content facts a test sets (workflow.old_content.OldContentView)."""

    def __init__(self) -> None:
        self.facts: list[Facts] = []

    def on_platform(self, window: Windows) -> Sequence[Facts]:
        return list(self.facts)
class FakeRechecks:
    """Re-check facts over the fake items and audit trail; comments, messages
    and reads are what a test puts in ``said`` and ``reads``."""

    def __init__(self, items: FakeItems, audit: FakeAudit) -> None:
        self.items, self.audit = items, audit
        self.said: list[Said] = []
        self.reads: list[DayReads] = []
        self.kept: list[tuple[int, Signal]] = []
        self.dates: list[Due] = []

    def published(self) -> list[Article]:
        return [Article(i.id, i.title, i.topic, i.author_id, i.published_at, i.meta.expires_on)
                for i in sorted(self.items.rows.values(), key=lambda i: i.id)
                if i.state is State.PUBLISHED and i.published_at is not None]

    def last_checks(self, item_ids: Collection[int]) -> dict[int, LastCheck]:
        found: dict[int, LastCheck] = {}
        for e in self.audit.rows:
            verdict = verdict_of(e.event.value, e.command)
            if e.item_id in item_ids and verdict is not None:
                found[e.item_id] = LastCheck(e.at, verdict, e.actor_id, e.actor_name, e.comment)
        return found

    def checked(self, item_ids: Collection[int] | None = None
                ) -> list[tuple[Article, LastCheck | None]]:
        articles = [a for a in self.published() if item_ids is None or a.item_id in item_ids]
        lasts = self.last_checks([a.item_id for a in articles])
        return [(a, lasts.get(a.item_id)) for a in articles]

    def said_about(self, item_ids: Collection[int], since: datetime | None,
                   quoted: bool = False) -> list[Said]:
        return [s for s in self.said if s.item_id in item_ids and since and s.at >= since]

    def said_since(self, since: datetime | None) -> list[Said]:
        return self.said_about([a.item_id for a in self.published()], since)

    def daily_reads(self, first: date, last: date) -> list[DayReads]:
        return [r for r in self.reads if first <= r.day <= last]

    def figures_from(self) -> date | None:
        return min((r.day for r in self.reads), default=None)

    def kept_signals(self, item_ids: Collection[int]) -> list[tuple[int, Signal]]:
        return [(i, s) for i, s in self.kept if i in item_ids]

    def kept_signals_published(self) -> list[tuple[int, Signal]]:
        return self.kept_signals([a.item_id for a in self.published()])

    def keep_signal(self, item_id: int, signal: Signal, now: datetime) -> bool:
        if any(i == item_id and (s.kind, s.on) == (signal.kind, signal.on)
               for i, s in self.kept):
            return False
        self.kept.append((item_id, signal))
        return True

    def changed(self, basis: str) -> set[int] | None:
        """Everything, every time: the fake has no triggers to say what changed
        (the kept dates' marks are tested on the databases)."""
        return None

    def keep_dates(self, found: Sequence[Due], item_ids: Collection[int] | None,
                   basis: str) -> None:
        self.dates = list(found)

    def kept_due(self, today: date) -> list[Due]:
        return due_now(self.dates, today)

    def kept_due_first(self, today: date, limit: int, after: date | None = None,
                       author_id: int | None = None) -> tuple[int, list[Due]]:
        due = [d for d in due_now(self.dates, today) if (after is None or d.due_on > after)
               and (author_id is None or d.author_id == author_id)]
        return len(due), due[:limit]


class FakeFigures:
    """No platform figures and no followers: 统计 over an empty account; an item's
    running totals and the other articles' day-7 reads as a test sets them."""

    def __init__(self) -> None:
        self.totals: dict[int, list[Totals]] = {}
        self.day7: list[int] = []
        self.period = FakePeriodFigures()

    def period_totals(self, first: date, last: date) -> PeriodTotals:
        return PeriodTotals()

    def subscribed_since(self, since: datetime) -> int:
        return 0

    def published_between(self, since: datetime, until: datetime) -> list[Titled]:
        return []

    def item_totals(self, item_id: int) -> Sequence[Totals]:
        return self.totals.get(item_id, [])

    def recent_day7(self, except_item: int, limit: int) -> Sequence[int]:
        return self.day7[:limit]

    def article_reads(self, first: date, last: date) -> Sequence[ArticleReads]:
        return self.period.reads

    def first_responses(self, since: datetime, until: datetime) -> Sequence[Response]:
        return [r for r in self.period.responses if since <= r.answered_at < until]

    def response_times(self, since: datetime, until: datetime, tz: tzinfo) -> ResponseTimes:
        return ResponseTimes.of(self.first_responses(since, until), tz)

    def response_times_within(self, since: datetime, until: datetime, tz: tzinfo,
                              inner: datetime) -> tuple[ResponseTimes, ResponseTimes]:
        within = ResponseTimes.of(self.first_responses(inner, until), tz)
        return self.response_times(since, until, tz), ResponseTimes(within.answered,
                                                                    within.median)

    def published_day7(self, since: datetime, until: datetime) -> Sequence[Published]:
        return [a for a in self.period.published if since <= a.published_at < until]

    def follower_days(self, first: date, last: date) -> Sequence[FollowerDay]:
        return [d for d in self.period.followers if first <= d.day <= last]

    def waiting(self, before: datetime) -> Waiting:
        return Waiting.of(self.period.waiting, before)

    def complaints(self, since: datetime, until: datetime) -> Sequence[Complaints]:
        return self.period.complaints

    def source_totals(self, first: date, last: date) -> Sequence[SourceTotals]:
        return [s for s in self.period.sources if s.day <= last]


@dataclass
class FakePeriodFigures:
    """What 统计's period views return, as a test sets it."""

    reads: list[ArticleReads] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)
    published: list[Published] = field(default_factory=list)
    followers: list[FollowerDay] = field(default_factory=list)
    waiting: list[datetime] = field(default_factory=list)
    complaints: list[Complaints] = field(default_factory=list)
    sources: list[SourceTotals] = field(default_factory=list)


class FakeFeedback:
    def __init__(self) -> None:
        self.rows: list[tuple[int, str, str, datetime]] = []

    def add(self, staff_id: int, content: str, quarter: str, at: datetime) -> int:
        self.rows.append((staff_id, content, quarter, at))
        return len(self.rows)


class FakeEvaluation:
    """The staff survey in memory; nothing else to evaluate (the figures are
    tested on the real records: tests/integration/test_evaluation.py)."""

    def __init__(self) -> None:
        self.asked: dict[str, datetime] = {}
        self.answers: dict[tuple[str, int], SurveyAnswer] = {}
        self.names: dict[int, str] = {}

    def item_steps(self, since: datetime, until: datetime) -> list[Step]:
        return []

    def recheck_trails(self, until: datetime) -> list[Trail]:
        return []

    def tickets(self, since: datetime, until: datetime) -> list[TicketTimes]:
        return []

    def due_drafts(self, first: date, last: date, until: datetime) -> list[DueDraft]:
        return []

    def staff_messages(self, since: datetime, until: datetime) -> int:
        return 0

    def suggestions(self, quarter: str) -> list[StaffSuggestion]:
        return []

    def survey_asked(self, quarter: str) -> datetime | None:
        return self.asked.get(quarter)

    def start_survey(self, quarter: str, staff_ids: Collection[int], now: datetime) -> bool:
        if quarter in self.asked:
            return False
        self.asked[quarter] = now
        for staff_id in staff_ids:
            self.answers[(quarter, staff_id)] = SurveyAnswer(
                staff_id, self.names.get(staff_id, str(staff_id)), quarter, now)
        return True

    def survey_answers(self, quarter: str) -> list[SurveyAnswer]:
        return [a for (q, _), a in sorted(self.answers.items()) if q == quarter]

    def open_answer(self, staff_id: int) -> SurveyAnswer | None:
        mine = sorted(q for q, s in self.answers if s == staff_id)
        return self.answers[(mine[-1], staff_id)] if mine else None

    def save_answer(self, answer: SurveyAnswer) -> None:
        self.answers[(answer.quarter, answer.staff_id)] = answer


class FakeHeldNotices:
    """Nobody has notices held: the digest is tested on the real outbox."""

    def held_for(self, openid: str) -> list[tuple[int, dict[str, Any]]]:
        return []

    def item_versions(self, ids: Collection[int]) -> dict[int, tuple[int, str]]:
        return {}

    def hand_over(self, row_ids: Sequence[int], now: datetime) -> None:
        raise AssertionError("nothing is held")

    def drop(self, row_ids: Sequence[int], why: str) -> None:
        raise AssertionError("nothing is held")


class FakeRules:
    def __init__(self) -> None:
        self.rows: dict[int, Rule] = {}

    def add(self, rule: NewRule, created_by: int | None, now: datetime) -> Rule:
        made = Rule(id=max(self.rows, default=0) + 1, match_type=rule.match_type,
                    pattern=rule.pattern, priority=rule.priority, active=rule.active,
                    active_from=rule.active_from, active_until=rule.active_until,
                    reply_kind=rule.reply_kind, reply_text=rule.reply_text,
                    articles=rule.articles)
        self.rows[made.id] = made
        return made

    def listed(self, include_inactive: bool = True) -> list[Rule]:
        kept = [r for r in self.rows.values() if include_inactive or r.active]
        return sorted(kept, key=lambda r: (-r.priority, r.id))

    def get(self, rule_id: int) -> Rule | None:
        return self.rows.get(rule_id)

    def remove(self, rule_id: int) -> None:
        del self.rows[rule_id]

    def set_active(self, rule_id: int, active: bool) -> Rule:
        self.rows[rule_id] = replace(self.rows[rule_id], active=active)
        return self.rows[rule_id]
class FakeConfirmations:
    def __init__(self) -> None:
        self.rows: dict[str, Confirmation] = {}

    def add(self, confirmation: Confirmation) -> None:
        self.rows[confirmation.code] = confirmation

    def get(self, code: str) -> Confirmation | None:
        return self.rows.get(code.strip().upper())

    def use(self, confirmation: Confirmation) -> bool:
        if self.rows[confirmation.code].used_at is not None:
            return False
        self.rows[confirmation.code] = confirmation
        return True


class FakeTickets:
    """Tickets by id, with what is logged on them; ``stale`` makes the next
    saves lose a race (another commit changed the ticket first): ``meanwhile``
    is what that commit left."""

    def __init__(self) -> None:
        self.rows: dict[int, Ticket] = {}
        self.replies: list[tuple[int, int, str, datetime]] = []  # ticket, staff, text, at
        self.notes: list[tuple[int, int, str, datetime]] = []
        self.meanwhile: list[Ticket] = []
        self.landed: dict[int, Ticket] = {}  # committed by the others: no rollback undoes it
        self.comments: dict[int, CommentTarget] = {}  # by ticket: the comment it came from

    def get(self, ticket_id: int) -> Ticket | None:
        return self.rows.get(ticket_id)

    def save(self, ticket: Ticket, expected_version: int) -> None:
        if self.meanwhile:  # the other commit lands first
            winner = self.meanwhile.pop(0)
            self.rows[winner.id] = self.landed[winner.id] = winner
        if self.rows[ticket.id].version != expected_version:
            raise StaleTicket(ticket.id)
        self.rows[ticket.id] = ticket

    def unresolved_of(self, follower_id: int) -> list[Ticket]:
        return [t for t in self.rows.values() if t.follower_id == follower_id
                and t.status is not TicketStatus.RESOLVED]

    def waiting_since_before(self, limit: datetime) -> list[Ticket]:
        return sorted((t for t in self.rows.values() if t.status is TicketStatus.OPEN
                       and t.waiting_since is not None and t.waiting_since < limit),
                      key=lambda t: (t.waiting_since, t.id))

    def log_reply(self, ticket_id: int, staff_id: int, text: str, now: datetime) -> int:
        self.replies.append((ticket_id, staff_id, text, now))
        return len(self.replies) + len(self.notes)

    def add_note(self, ticket_id: int, staff_id: int, text: str, now: datetime) -> int:
        self.notes.append((ticket_id, staff_id, text, now))
        return len(self.notes)

    def comment_of(self, ticket_id: int) -> CommentTarget | None:
        return self.comments.get(ticket_id)

    def set_comment_status(self, ticket_id: int, status: str) -> None:
        self.comments[ticket_id] = replace(self.comments[ticket_id], status=status)


class FakeInteractions:
    """What was recorded of people, by openid; nobody unless set."""

    def __init__(self) -> None:
        self.seen: dict[str, Interactions] = {}

    def of(self, openid: str) -> Interactions | None:
        return self.seen.get(openid)


class FakeQueue:
    """The queue read view over the fake tickets: their stored facts, no messages."""

    def __init__(self, tickets: FakeTickets, staff: FakeStaff) -> None:
        self.tickets, self.staff = tickets, staff

    def listing(self, now: datetime, limit: int, include_resolved: bool = False) -> QueuePage:
        rows = [self._line(t) for t in self.tickets.rows.values()]
        listed = sorted((r for r in rows if include_resolved or in_queue(r.facts, now)),
                        key=lambda r: (-r.priority, r.waiting_since is None,
                                       r.waiting_since or now, r.id))
        snoozed = sum(1 for r in rows if r.status == TicketStatus.SNOOZED
                      and r.snoozed_until is not None and r.snoozed_until > now)
        return QueuePage(listed[:limit], len(listed), snoozed)

    def _line(self, t: Ticket) -> QueueLine:
        holder = self.staff.actor(t.assignee_id) if t.assignee_id is not None else None
        return QueueLine(t.id, t.status.value, t.priority, t.assignee_id,
                         holder.name if holder else None, t.openid, t.summary, t.opened_at,
                         t.waiting_since, t.snoozed_until, t.resolution)

    def line(self, ticket_id: int) -> QueueLine | None:
        found = self.tickets.get(ticket_id)
        return self._line(found) if found is not None else None

    def messages(self, ticket_id: int) -> list[MessageLine]:
        return []

    def notes(self, ticket_id: int) -> list[NoteLine]:
        return []


class FakeCanned:
    def __init__(self) -> None:
        self.rows: dict[str, str] = {}

    def all(self) -> list[SavedReply]:
        return [SavedReply(code, body) for code, body in sorted(self.rows.items())]

    def body(self, code: str) -> str | None:
        return self.rows.get(code)

    def save(self, code: str, body: str, staff_id: int, now: datetime) -> bool:
        new = code not in self.rows
        self.rows[code] = body
        return new

    def delete(self, code: str) -> bool:
        return self.rows.pop(code, None) is not None


class FakeLinks:
    """Page links; an item's text is its current one at its current revision
    (``articles`` holds older revisions a test keeps)."""

    def __init__(self, items: FakeItems) -> None:
        self.items = items
        self.rows: dict[int, PageLink] = {}
        self.articles: dict[tuple[int, int], ArticleText] = {}
        self.reports: dict[int, str] = {}
        self.latest: ReportRef | None = None

    def add(self, link: PageLink) -> PageLink:
        link = replace(link, id=max(self.rows, default=0) + 1)
        self.rows[link.id] = link
        return link

    def by_key(self, key: str) -> PageLink | None:
        return next((r for r in self.rows.values() if r.key == key), None)

    def get(self, link_id: int) -> PageLink | None:
        return self.rows.get(link_id)

    def listed(self, item_id: int | None, include_ended: bool, now: datetime,
               limit: int) -> Sequence[PageLink]:
        found = [r for r in sorted(self.rows.values(), key=lambda r: -r.id)
                 if (item_id is None or r.item_id == item_id)
                 and (include_ended or r.live(now))]
        return found[:limit]

    def revoke(self, link_id: int, now: datetime) -> bool:
        link = self.rows.get(link_id)
        if link is None or link.revoked_at is not None:
            return False
        self.rows[link_id] = replace(link, revoked_at=now)
        return True

    def revoke_item(self, item_id: int, now: datetime) -> int:
        ids = [r.id for r in self.rows.values() if r.item_id == item_id and r.revoked_at is None]
        return sum(self.revoke(i, now) for i in ids)

    def article(self, item_id: int, revision: int) -> ArticleText | None:
        item = self.items.get(item_id)
        if item is not None and item.revision == revision:
            return _text(item)
        saved = self.items.revisions.get((item_id, revision))
        return _text(saved) if saved is not None else self.articles.get((item_id, revision))

    def report_page(self, report_id: int) -> str | None:
        return self.reports.get(report_id)

    def latest_report(self) -> ReportRef | None:
        return self.latest


def _text(item: ContentItem) -> ArticleText:
    return ArticleText(item.title, item.body, item.digest,
                       item.planned_at or datetime(2026, 1, 1, tzinfo=UTC),
                       item.meta.byline, item.meta.sources)


class FakeChecks:
    def __init__(self) -> None:
        self.rows: dict[tuple[int, int], CheckResult] = {}

    def add(self, item_id: int, revision: int, result: CheckResult, at: datetime) -> None:
        self.rows[item_id, revision] = result

    def of(self, item_id: int, revision: int) -> CheckResult | None:
        return self.rows.get((item_id, revision))

    def replace(self, item_id: int, revision: int, result: CheckResult) -> None:
        if (item_id, revision) in self.rows:
            self.rows[item_id, revision] = result


class FakeWords:
    def __init__(self) -> None:
        self.rows: dict[int, WordEntry] = {}
        self.next_id = 1

    def entries(self) -> list[WordEntry]:
        return list(self.rows.values())

    def stamp(self) -> tuple[int, int]:
        return len(self.rows), max(self.rows, default=0)

    def add(self, entry: WordEntry, at: datetime) -> bool:
        if any((e.text, e.pattern) == (entry.text, entry.pattern) for e in self.rows.values()):
            return False
        self.rows[self.next_id] = entry
        self.next_id += 1
        return True

    def remove(self, text: str) -> int:
        gone = [k for k, e in self.rows.items() if e.text == text]
        for k in gone:
            del self.rows[k]
        return len(gone)


class FakeUploads:
    def __init__(self) -> None:
        self.rows: dict[str, str] = {}
        self.materials: dict[str, str] = {}

    def url(self, sha256: str) -> str | None:
        return self.rows.get(sha256)

    def add(self, sha256: str, url: str, at: datetime) -> None:
        self.rows[sha256] = url

    def material(self, sha256: str) -> str | None:
        return self.materials.get(sha256)

    def add_material(self, sha256: str, media_id: str, url: str, at: datetime) -> None:
        self.materials[sha256] = media_id


class FakeBoxDrafts:
    def __init__(self, items: FakeItems) -> None:
        self.items = items
        self.rows: dict[str, SeenDraft] = {}

    def get(self, media_id: str) -> SeenDraft | None:
        return self.rows.get(media_id)

    def numbered(self, number: int) -> SeenDraft | None:
        return next((d for d in self.rows.values() if d.number == number), None)

    def recent(self, limit: int) -> list[SeenDraft]:
        return sorted(self.rows.values(), key=lambda d: (-d.update_time, -d.number))[:limit]

    def item_using(self, media_id: str) -> int | None:
        return next((i.id for i in self.items.rows.values() if i.draft_media_id == media_id),
                    None)

    def record(self, draft: BoxDraft, at: datetime, item_id: int | None = None,
               revision: int | None = None, judged: bool = True) -> None:
        old = self.rows.get(draft.media_id)
        number = old.number if old else max((d.number for d in self.rows.values()), default=0) + 1
        self.rows[draft.media_id] = SeenDraft(
            number, draft.media_id, draft.title, draft.content, draft.update_time, at,
            judged_time=draft.update_time if judged else (old.judged_time if old else 0),
            item_id=item_id if item_id is not None else (old.item_id if old else None),
            revision=revision if revision is not None else (old.revision if old else None))

    def claim(self, draft: BoxDraft, was: int | None, at: datetime, item_id: int,
              revision: int) -> bool:
        old = self.rows.get(draft.media_id)
        if (old.judged_time if old else None) != was:
            return False
        self.record(draft, at, item_id, revision)
        return True

    def attach(self, media_id: str, item_id: int) -> None:
        self.rows[media_id] = replace(self.rows[media_id], item_id=item_id, judged_time=0)
        self.items.rows[item_id] = replace(self.items.rows[item_id], draft_media_id=media_id)

    def forget_except(self, media_ids: set[str]) -> int:
        gone = [m for m in self.rows if m not in media_ids]
        for media_id in gone:
            del self.rows[media_id]
        return len(gone)


class FakeUnitOfWork:
    """Commits by keeping the state; rolls back by restoring a snapshot."""

    def __init__(self, people: list[Actor]) -> None:
        self.items, self.reviews, self.audit = FakeItems(), FakeReviews(), FakeAudit()
        self.outbox, self.staff = FakeOutbox(), FakeStaff(people)
        self.work, self.figures, self.feedback = FakeWork(self.items), FakeFigures(), FakeFeedback()
        self.old_content = FakeOldContent()
        self.evaluation = FakeEvaluation()
        self.rechecks = FakeRechecks(self.items, self.audit)
        self.notices, self.rules = FakeHeldNotices(), FakeRules()
        self.confirmations = FakeConfirmations()
        self.tickets, self.canned = FakeTickets(), FakeCanned()
        self.interactions = FakeInteractions()
        self.queue = FakeQueue(self.tickets, self.staff)
        self.links = FakeLinks(self.items)
        self.checks, self.words, self.uploads = FakeChecks(), FakeWords(), FakeUploads()
        self.drafts = FakeBoxDrafts(self.items)
        self.assets, self.liveness = FakeAssets(), FakeLinkChecks(self.items)
        self.archive = FakeArchive()
        self.commits = 0
        self._snapshot: tuple[Any, ...] | None = None

    def _state(self) -> tuple[Any, ...]:
        return (dict(self.items.rows), list(self.reviews.rows), list(self.audit.rows),
                dict(self.outbox.rows), list(self.audit.actions), dict(self.staff.rows),
                dict(self.staff.invites), dict(self.confirmations.rows),
                dict(self.tickets.rows), list(self.tickets.replies), list(self.tickets.notes),
                dict(self.links.rows), dict(self.checks.rows), dict(self.words.rows),
                dict(self.drafts.rows), list(self.archive.rows))

    def __enter__(self) -> Self:
        self._snapshot = copy.copy(self._state())
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.rollback()

    def commit(self) -> None:
        self.commits += 1
        self._snapshot = self._state()
        self.tickets.landed.clear()

    def rollback(self) -> None:
        if self._snapshot is not None:
            (items, reviews, audit, outbox, notes, members, invites, codes, tickets, replies,
             ticket_notes, links, checks, words, drafts, archived) = self._snapshot
            self.archive.rows = list(archived)
            self.drafts.rows = dict(drafts)
            self.links.rows = dict(links)
            self.checks.rows, self.words.rows = dict(checks), dict(words)
            self.items.rows, self.reviews.rows = dict(items), list(reviews)
            self.audit.rows, self.outbox.rows = list(audit), dict(outbox)
            self.audit.actions = list(notes)
            self.staff.rows, self.staff.invites = dict(members), dict(invites)
            self.confirmations.rows = dict(codes)
            self.tickets.rows = {**tickets, **self.tickets.landed}
            self.tickets.replies, self.tickets.notes = list(replies), list(ticket_notes)
