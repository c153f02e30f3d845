"""The contracts storage implements. Unit tests use in-memory fakes of these."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime, tzinfo
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self

from workflow import window
from workflow.analytics import Totals
from workflow.autoreply import NewRule, Rule
from workflow.capabilities import Capability, LearntMissing
from workflow.checks import CheckResult, WordEntry
from workflow.comments import CommentTarget
from workflow.confirming import Confirmation
from workflow.draft_box import BoxDraft, SeenDraft
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
from workflow.old_content import OldContentView
from workflow.pages import ArticleText, PageLink, ReportRef
from workflow.queue_view import MessageLine, NoteLine, QueueLine, QueuePage, SavedReply
from workflow.recheck_record import Trail
from workflow.roles import Actor, Role
from workflow.staffing import Invite, Member
from workflow.states import State
from workflow.surveys import AnswerSet
from workflow.tickets import Arrived, Ticket
from workflow.window import Interaction

if TYPE_CHECKING:  # these modules' use cases take a UnitOfWork in turn
    from workflow.archive import ArchiveRequest
    from workflow.asset_cases import Asset
    from workflow.evaluation_records import (
        DueDraft,
        StaffSuggestion,
        Step,
        SurveyAnswer,
        TicketTimes,
    )
    from workflow.link_liveness import LinkStatus, Watched
    from workflow.recheck import Article, DayReads, Due, LastCheck, Said, Signal


class ItemRepository(Protocol):
    def get(self, item_id: int) -> ContentItem | None: ...

    def add(self, item: ContentItem) -> ContentItem:
        """Insert a new item and return it with its id assigned."""
        ...

    def save(self, item: ContentItem, expected_version: int) -> None:
        """Write ``item`` if the stored version is still ``expected_version``.

        Raises ``workflow.errors.StaleVersion`` otherwise: never a silent overwrite.
        """
        ...

    def list(self, state: State | None = None, limit: int = 50) -> Sequence[ContentItem]: ...

    def by_publish_id(self, publish_id: str) -> ContentItem | None: ...

    def agenda(self, start: datetime, end: datetime) -> Sequence[ContentItem]:
        """What a calendar from ``start`` to ``end`` shows: every item being written
        (WRITING_STATES, due or not: overdue ones and undated topics count too),
        and items scheduled or published in that time."""
        ...


class ReviewRepository(Protocol):
    def for_item(self, item_id: int) -> Sequence[Review]: ...

    def add(self, review: Review) -> None: ...


class ArchiveEntries(Protocol):
    """The archive (workflow/archive.py): an item's entry written in the move's
    transaction, from what the database holds of it then."""

    def store(self, request: ArchiveRequest, now: datetime) -> None: ...


class AuditLog(Protocol):
    def add(self, entry: AuditEntry) -> None: ...

    def record(self, entry: ActionEntry) -> None:
        """Audit a change that is not a content item's transition."""
        ...

    def latest(self, item_id: int) -> AuditEntry | None: ...

    def history(self, item_id: int, last: int | None = None) -> Sequence[AuditEntry]:
        """The item's trail, oldest first; with ``last``, only its last ``last``
        entries (an item edited for years has hundreds)."""
        ...


class Outbox(Protocol):
    def add(self, kind: str, payload: dict[str, Any], idempotency_key: str,
            now: datetime, recipient: str | None = None) -> bool:
        """Queue an outbound effect; False if that key was queued before.
        ``recipient``: the follower a customer-service send goes to (their
        sends share one budget, ``workflow.window``)."""
        ...

    def queued_sends(self, openid: str) -> int:
        """Customer-service sends to this person queued and not yet made."""
        ...

    def replace_notices(self, staff_id: int, item_id: int, newer_key: str) -> int:
        """Withdraw this person's notices about this item not yet sent (queued or
        held for their next message), other than ``newer_key``: the newer notice
        says what is true now. Returns how many."""
        ...

    def replace_reminders(self, staff_id: int, newer_key: str) -> int:
        """Withdraw this person's earlier re-check reminders not yet sent (a closed
        window holds them): the newer one lists everything due now. Returns how many."""
        ...


class StaffDirectory(Protocol):
    def actor(self, staff_id: int) -> Actor | None:
        """The active staff member as an Actor, or None."""
        ...

    def with_role(self, role: Role) -> Sequence[Actor]:
        """Active staff holding ``role`` (admins do not count as every role here)."""
        ...

    def matching(self, ref: str) -> Sequence[Member]:
        """Active members ``ref`` names: the one with that number, else the one
        with that openid, else every one with that exact name, by id
        (``staffing.only_one`` refuses a name two share)."""
        ...


class StaffRepository(StaffDirectory, Protocol):
    """Members and invite codes: persisted and queried, decided in workflow.staffing."""

    def member(self, staff_id: int) -> Member | None:
        """The member with that id, removed or not."""
        ...

    def members(self, include_inactive: bool = False) -> Sequence[Member]:
        """By id; active members only unless asked."""
        ...

    def by_openid(self, openid: str) -> Member | None:
        """Whoever holds this WeChat account (a removed member holds none)."""
        ...

    def add(self, member: Member, now: datetime) -> Member:
        """Insert and return it with its id."""
        ...

    def save(self, member: Member, expected: Member) -> bool:
        """Write ``member`` if its row is still ``expected`` (name, roles, openid,
        active); False when somebody changed it in between."""
        ...

    def release_claims(self, staff_id: int) -> int:
        """Put the member's unresolved tickets back in the queue, unassigned; how many."""
        ...

    def invite(self, code: str) -> Invite | None:
        """The invite with this code (as typed: any case, blanks around), locked
        against a second redemption until the transaction ends."""
        ...

    def add_invite(self, invite: Invite) -> Invite: ...

    def use_invite(self, invite: Invite, used_by: int) -> None:
        """Record ``invite.used_at`` and who used it."""
        ...


class WorkView(Protocol):
    """What waits for people: the queries behind 我的 (workflow.overview)."""

    def items_in(self, states: Sequence[State], author: int | None = None,
                 not_author: int | None = None) -> Sequence[ContentItem]:
        """Items in ``states``, waiting longest first (least recently changed)."""
        ...

    def my_tickets(self, staff_id: int) -> Sequence[tuple[int, str, datetime | None]]:
        """(id, summary, waiting since) of tickets waiting for this person's reply,
        waiting longest first."""
        ...

    def open_tickets(self, unclaimed: bool = False) -> int:
        """How many tickets wait for a staff reply; ``unclaimed``: nobody took them yet."""
        ...


class RecheckView(Protocol):
    """The facts re-check dates are computed from (workflow.recheck)."""

    def published(self) -> Sequence[Article]:
        """Items in the published state, with when they were published."""
        ...

    def last_checks(self, item_ids: Collection[int]) -> Mapping[int, LastCheck]:
        """Each item's last re-check in the audit trail (recheck.verdict_of)."""
        ...

    def checked(self, item_ids: Collection[int] | None = None
                ) -> Sequence[tuple[Article, LastCheck | None]]:
        """``published`` (those of ``item_ids`` if given) with each item's
        ``last_checks``, read at once."""
        ...

    def said_about(self, item_ids: Collection[int], since: datetime | None,
                   quoted: bool = False) -> Sequence[Said]:
        """Comments on these items, and followers' messages naming one of them
        (suggestions.named_items), from ``since`` (None: nothing), oldest first:
        those that can be a signal (``recheck.said_signal``: a complaint, or a
        re-check word), which is all that any reader looks for. ``quoted``:
        ``changed`` has brought the kept quotes up to date in this unit of
        work, and the messages may be found by them."""
        ...

    def said_since(self, since: datetime | None) -> Sequence[Said]:
        """``said_about`` every published item (and maybe about others)."""
        ...

    def daily_reads(self, first: date, last: date) -> Sequence[DayReads]:
        """Each published item's reads a day from ``first`` to ``last``, as the
        platform's data gives them (getarticleread, else article_metrics)."""
        ...

    def figures_from(self) -> date | None:
        """The first day with articles' daily figures, None before any."""
        ...

    def kept_signals(self, item_ids: Collection[int]) -> Sequence[tuple[int, Signal]]:
        """The signals kept for these items (``keep_signal``), oldest first."""
        ...

    def kept_signals_published(self) -> Sequence[tuple[int, Signal]]:
        """``kept_signals`` of every published item."""
        ...

    def keep_signal(self, item_id: int, signal: Signal, now: datetime) -> bool:
        """Keep a signal the worker spotted; False if it was kept before."""
        ...

    def changed(self, basis: str) -> set[int] | None:
        """The items whose facts changed since their dates were kept (claimed:
        the next call gets only what changes after this one read them); None
        when the dates were kept under another ``basis``, or never."""
        ...

    def keep_dates(self, found: Sequence[Due], item_ids: Collection[int] | None,
                   basis: str) -> None:
        """Keep ``found`` as the dates of ``item_ids`` (the others of them are no
        longer published), or, for None, as every date, under ``basis``."""
        ...

    def kept_due(self, today: date) -> list[Due]:
        """The kept dates due on or before ``today``, most overdue first."""
        ...

    def kept_due_first(self, today: date, limit: int, after: date | None = None,
                       author_id: int | None = None) -> tuple[int, list[Due]]:
        """How many kept dates are due on or before ``today`` (and after the day
        ``after``, if given; of ``author_id``'s items, if given), and the first
        ``limit`` of them in ``kept_due``'s order, read at once."""
        ...


class FiguresView(Protocol):
    """The numbers behind 统计 (workflow.stats) and its suggestions."""

    def period_totals(self, first: date, last: date) -> PeriodTotals:
        """The follower figures of the days ``first`` to ``last`` summed up,
        the open tickets, and whether any platform figures were ever pulled."""
        ...

    def subscribed_since(self, since: datetime) -> int:
        """Followers whose subscribe event wxops recorded since ``since``."""
        ...

    def published_between(self, since: datetime, until: datetime) -> Sequence[Titled]:
        """Items published from ``since`` to ``until`` (both included), in order."""
        ...

    def item_totals(self, item_id: int) -> Sequence[Totals]:
        """An item's running totals from the platform, by day since publishing."""
        ...

    def recent_day7(self, except_item: int, limit: int) -> Sequence[int]:
        """Day-7 reads of the last ``limit`` articles published, newest first."""
        ...

    def article_reads(self, first: date, last: date) -> Sequence[ArticleReads]:
        """Each article's reads and shares summed over the days ``first``..``last``."""
        ...

    def first_responses(self, since: datetime, until: datetime) -> Sequence[Response]:
        """Tickets first answered from ``since`` until before ``until``."""
        ...

    def response_times(self, since: datetime, until: datetime, tz: tzinfo) -> ResponseTimes:
        """Tickets first answered from ``since`` until before ``until``, summed up
        as ``ResponseTimes.of`` sums them up (hours in ``tz``)."""
        ...

    def response_times_within(self, since: datetime, until: datetime, tz: tzinfo,
                              inner: datetime) -> tuple[ResponseTimes, ResponseTimes]:
        """``response_times(since, until, tz)``, and how many of those answers
        came from ``inner`` on with their median (no hours), read together."""
        ...

    def published_day7(self, since: datetime, until: datetime) -> Sequence[Published]:
        """Items published in the range, with their day-7 reads where pulled."""
        ...

    def follower_days(self, first: date, last: date) -> Sequence[FollowerDay]:
        ...

    def waiting(self, before: datetime) -> Waiting:
        """Open tickets: how many have waited for the team since ``before`` or
        longer, and since when the longest waiting has."""
        ...

    def complaints(self, since: datetime, until: datetime) -> Sequence[Complaints]:
        """Per item, its comments opened in the range as complaints."""
        ...

    def source_totals(self, first: date, last: date) -> Sequence[SourceTotals]:
        """Articles' running read-source totals on the days from before ``first``
        (as far back as running totals go) to ``last``."""
        ...


class HeldNotices(Protocol):
    """Staff notices held for the person's next message (handlers.digest)."""

    def held_for(self, openid: str) -> Sequence[tuple[int, dict[str, Any]]]:
        """This person's held notices, oldest first: (row id, payload). Locked
        until the transaction ends, so two pushes never both show one."""
        ...

    def item_versions(self, ids: Collection[int]) -> Mapping[int, tuple[int, str]]:
        """(version, state) of each of these content items that exists."""
        ...

    def hand_over(self, row_ids: Sequence[int], now: datetime) -> None:
        """Mark these notices sent: the reply being given shows them."""
        ...

    def drop(self, row_ids: Sequence[int], why: str) -> None:
        """Withdraw these notices unshown (they ask nothing any more)."""
        ...


class RuleRepository(Protocol):
    """Keyword auto-reply rules (workflow.rule_cases decides what may be kept)."""

    def add(self, rule: NewRule, created_by: int | None, now: datetime) -> Rule: ...

    def listed(self, include_inactive: bool = True) -> Sequence[Rule]:
        """Highest priority first, then the older rule: the order they are tried."""
        ...

    def get(self, rule_id: int) -> Rule | None: ...

    def remove(self, rule_id: int) -> None: ...

    def set_active(self, rule_id: int, active: bool) -> Rule: ...


class FeedbackLog(Protocol):
    def add(self, staff_id: int, content: str, quarter: str, at: datetime) -> int:
        """Keep one piece of process feedback; returns its id."""
class EvaluationRecords(Protocol):
    """What the quarterly evaluation reads (workflow.evaluation), and the staff
    survey's rounds and answers."""

    def item_steps(self, since: datetime, until: datetime) -> Sequence[Step]:
        """The whole audit trail (every time) of each item with a row in [since, until)."""
        ...

    def recheck_trails(self, until: datetime) -> Sequence[Trail]:
        """Every item published before ``until``: its re-checks before then and
        when it left the schedule (workflow.recheck_record)."""
        ...

    def tickets(self, since: datetime, until: datetime) -> Sequence[TicketTimes]:
        """Tickets opened, first answered or resolved in [since, until)."""
        ...

    def due_drafts(self, first: date, last: date, until: datetime) -> Sequence[DueDraft]:
        """Items due on a day from ``first`` to ``last``, with their first submit
        before ``until`` (None: none)."""
        ...

    def staff_messages(self, since: datetime, until: datetime) -> int:
        """Text messages members sent the account in [since, until)."""
        ...

    def suggestions(self, quarter: str) -> Sequence[StaffSuggestion]:
        """The quarter's process feedback (建议), with who gave it."""
        ...

    def survey_asked(self, quarter: str) -> datetime | None:
        """When the quarter's staff survey was asked (None: not yet)."""
        ...

    def start_survey(self, quarter: str, staff_ids: Collection[int], now: datetime) -> bool:
        """Record the quarter's survey as asked of ``staff_ids``; False (and
        nothing written) when it was already."""
        ...

    def survey_answers(self, quarter: str) -> Sequence[SurveyAnswer]:
        """Everyone asked in the quarter's survey, answered or not."""
        ...

    def open_answer(self, staff_id: int) -> SurveyAnswer | None:
        """The member's answers to the newest survey they were asked (locked)."""
        ...

    def save_answer(self, answer: SurveyAnswer) -> None: ...


class ConfirmationRepository(Protocol):
    def add(self, confirmation: Confirmation) -> None: ...

    def get(self, code: str) -> Confirmation | None:
        """The confirmation with this code (as typed: any case, blanks around),
        locked against a second use until the transaction ends."""
        ...

    def use(self, confirmation: Confirmation) -> bool:
        """Record ``confirmation.used_at`` if the code is still unused; False if
        somebody used it in between."""
        ...


class TicketRepository(Protocol):
    """Reply tickets (workflow.tickets) and what is logged on them."""

    def get(self, ticket_id: int) -> Ticket | None: ...

    def save(self, ticket: Ticket, expected_version: int) -> None:
        """Write ``ticket`` if the stored version is still ``expected_version``;
        raises ``workflow.errors.StaleTicket`` otherwise."""
        ...

    def unresolved_of(self, follower_id: int) -> Sequence[Ticket]: ...

    def waiting_since_before(self, limit: datetime) -> Sequence[Ticket]:
        """Open tickets whose follower has waited since before ``limit``, longest first."""
        ...

    def log_reply(self, ticket_id: int, staff_id: int, text: str, now: datetime) -> int:
        """Log a staff answer on the ticket, queued for delivery; returns its message id."""
        ...

    def add_note(self, ticket_id: int, staff_id: int, text: str, now: datetime) -> int: ...

    def comment_of(self, ticket_id: int) -> CommentTarget | None:
        """The comment a ticket was opened by; None for a message's ticket."""
        ...

    def set_comment_status(self, ticket_id: int, status: str) -> None: ...


class Interactions(Protocol):
    """What was recorded of the people the account talks to (storage.followers)."""

    def of(self, openid: str) -> window.Interactions | None: ...


class TicketInbox(Protocol):
    """The inbound hot path's side of the reply queue: prepared statements on the
    push's own connection (storage.tickets.record_inbound), no unit of work."""

    def record(self, follower_id: int, kind: str, content: str, inbound_id: int | None,
               now: datetime, priority: int) -> Arrived:
        """Log a follower's message to their tickets by ``workflow.tickets.arrive``."""
        ...


class QueueView(Protocol):
    """The reply queue as people read it: chat (队列, 工单), the CLI (wxops queue)
    and, later, the console all read it here (workflow.ticket_cases.queue)."""

    def listing(self, now: datetime, limit: int, include_resolved: bool = False) -> QueuePage:
        """Tickets in the queue (``reply_queue.in_queue``), complaints first, then
        the longest waiting; with ``include_resolved``, every ticket, snoozed and
        resolved ones too, in the same order."""
        ...

    def line(self, ticket_id: int) -> QueueLine | None: ...

    def messages(self, ticket_id: int) -> Sequence[MessageLine]: ...

    def notes(self, ticket_id: int) -> Sequence[NoteLine]: ...


class CannedReplies(Protocol):
    """Saved replies (快捷): a code and the text it stands for in a reply."""

    def all(self) -> Sequence[SavedReply]:
        """By code."""
        ...

    def body(self, code: str) -> str | None: ...

    def save(self, code: str, body: str, staff_id: int, now: datetime) -> bool:
        """Add or overwrite; True if it is new."""
        ...

    def delete(self, code: str) -> bool: ...


class PushStore(Protocol):
    """What handling one push reads and records on the push's own connection (the
    hot path: the driver's prepared statements, no session, no savepoint)."""

    def touch(self, openid: str, now: datetime, kind: Interaction,
              subscribed: bool | None = None,
              scene: str | None = None) -> tuple[int, int | None, bool]:
        """Create or update the sender's follower row and record the interaction;
        returns their follower id, their staff id if they are an active member,
        and whether they have a survey's answer set started."""
        ...

    def staff_by_openid(self, openid: str) -> Actor | None: ...

    def active_rules(self) -> list[Rule]:
        """The active auto-reply rules, in the order they are tried."""
        ...

    def cached_active_rules(self) -> list[Rule] | None:
        """The same, if this process's copy is fresh; None when it must be read."""
        ...

    def count_hit(self, rule: Rule) -> None: ...


class SurveyAnswers(Protocol):
    """Followers' answer sets to the surveys (workflow.surveys): on a push's own
    connection for the follower answering, on any for the results."""

    def current(self, follower_id: int) -> AnswerSet | None:
        """The follower's answer set still marked started, if any."""
        ...

    def of(self, survey: str, follower_id: int) -> AnswerSet | None: ...

    def save(self, follower_id: int, answer_set: AnswerSet) -> None:
        """Store the follower's set for its survey, replacing the one there."""
        ...

    def of_survey(self, survey: str, since: datetime | None = None,
                  until: datetime | None = None) -> Sequence[AnswerSet]:
        """A survey's sets, oldest first; with a period, those last moved in it
        (``since`` included, ``until`` not)."""
        ...

    def surveys_moved(self, since: datetime, until: datetime) -> Sequence[str]:
        """The names of the surveys with a set last moved in the period."""
        ...


class LearntCapabilities(Protocol):
    """Capabilities the platform refused (48001) although the table grants them:
    what the sender learnt, ``wxops capabilities`` shows and resets."""

    def missing(self) -> Mapping[Capability, LearntMissing]: ...

    def learn(self, capability: Capability, at: datetime, errcode: int | None,
              call: str) -> None:
        """Record it missing since ``at``; the first time learnt is kept."""
        ...

    def forget(self, capability: Capability) -> bool:
        """The account has it again; False when it was not learnt missing."""
        ...


class PageLinks(Protocol):
    """Links to web pages (workflow.pages decides; link_cases uses)."""

    def add(self, link: PageLink) -> PageLink:
        """Insert and return it with its id."""
        ...

    def by_key(self, key: str) -> PageLink | None: ...

    def get(self, link_id: int) -> PageLink | None: ...

    def listed(self, item_id: int | None, include_ended: bool, now: datetime,
               limit: int) -> Sequence[PageLink]:
        """Newest first; live ones only unless ``include_ended``."""
        ...

    def revoke(self, link_id: int, now: datetime) -> bool:
        """Revoke it now; False when it was revoked already (or is unknown)."""
        ...

    def revoke_item(self, item_id: int, now: datetime) -> int:
        """Revoke the item's links not revoked yet; how many."""
        ...

    def article(self, item_id: int, revision: int) -> ArticleText | None:
        """What the item said at that revision (kept for every revision)."""
        ...

    def report_page(self, report_id: int) -> str | None:
        """A report's page as it was made (workflow/report.py, bot/report_page.py)."""
        ...

    def latest_report(self) -> ReportRef | None:
        """The newest weekly report, else the newest report of any period."""
        ...


class RevisionChecks(Protocol):
    """What the checks found on each revision of an item (workflow/revision_checks.py)."""

    def add(self, item_id: int, revision: int, result: CheckResult, at: datetime) -> None: ...

    def of(self, item_id: int, revision: int) -> CheckResult | None:
        """The stored result for that revision; None when it was never checked
        (a revision written before the checks were)."""
        ...

    def replace(self, item_id: int, revision: int, result: CheckResult) -> None:
        """The stored result of a revision replaced (the worker's findings added)."""
        ...


class SensitiveWords(Protocol):
    """The organisation's sensitive-word list."""

    def entries(self) -> list[WordEntry]: ...

    def stamp(self) -> tuple[int, int]:
        """Changes whenever the list does (its size and its newest id): a cache
        of the built list is kept while the stamp is the same."""
        ...

    def add(self, entry: WordEntry, at: datetime) -> bool:
        """False when the list has it already (same text, same kind)."""
        ...

    def remove(self, text: str) -> int:
        """How many entries (word, pattern or both) were removed."""
        ...


class UploadedImages(Protocol):
    """URLs of images uploaded with media/uploadimg, and media_ids of covers
    uploaded with material/add_material, by the sha256 of the bytes sent."""

    def url(self, sha256: str) -> str | None: ...

    def add(self, sha256: str, url: str, at: datetime) -> None: ...

    def material(self, sha256: str) -> str | None: ...

    def add_material(self, sha256: str, media_id: str, url: str, at: datetime) -> None: ...


class BoxDrafts(Protocol):
    """Drafts seen in the WeChat draft box (workflow/draft_box.py)."""

    def get(self, media_id: str) -> SeenDraft | None: ...

    def numbered(self, number: int) -> SeenDraft | None: ...

    def recent(self, limit: int) -> list[SeenDraft]:
        """Newest saved first (the box's update_time)."""
        ...

    def item_using(self, media_id: str) -> int | None:
        """The item whose own draft (``draft_media_id``) this is, if any."""
        ...

    def record(self, draft: BoxDraft, at: datetime, item_id: int | None = None,
               revision: int | None = None, judged: bool = True) -> None:
        """Keep the draft as seen now (title, content); ``judged``: its
        update_time is the one judged; ``revision``: the one taken from it."""
        ...

    def claim(self, draft: BoxDraft, was: int | None, at: datetime, item_id: int,
              revision: int) -> bool:
        """Keep the draft as judged at its update_time, attached to ``item_id``
        with ``revision`` taken from it, if it is still judged at ``was``
        (None: not kept yet); whether it was. A compare-and-set: of two syncs
        at once exactly one claims a change, and the other's transaction (the
        revision's) is undone. On PostgreSQL the loser waits on the winner's
        row lock and then finds ``judged_time`` moved on."""
        ...

    def attach(self, media_id: str, item_id: int) -> None:
        """Attach the draft to the item (not yet judged for it) and make it the
        item's own draft, the one its pushes update."""
        ...

    def forget_except(self, media_ids: set[str]) -> int:
        """Forget drafts no longer in the box; how many."""
        ...


class AssetStore(Protocol):
    """The team's materials (workflow/asset_cases.py) and the images kept for
    the preview (workflow/kept_images.py), bytes and all."""

    def add(self, asset: Asset, data: bytes) -> None: ...

    def get(self, name: str) -> Asset | None: ...

    def data(self, name: str) -> bytes | None: ...

    def listed(self) -> Sequence[Asset]: ...

    def remove(self, name: str) -> bool:
        """False when there was no such material."""
        ...

    def keep(self, sha256: str, content_type: str, data: bytes, at: datetime) -> None:
        """Keep an image for the preview (nothing when it is kept already)."""
        ...

    def kept(self, sha256: str) -> tuple[str, bytes] | None:
        """A kept image's content type and bytes."""
        ...


class LinkChecks(Protocol):
    """Whether the addresses an article cites answer (workflow/link_liveness.py)."""

    def watched(self, states: Sequence[State]) -> Sequence[Watched]:
        """The newest revision of each item in ``states``."""
        ...

    def latest(self, urls: Collection[str]) -> Mapping[str, LinkStatus]:
        """The newest status known of each address, whichever revision cited it."""
        ...

    def record(self, item_id: int, revision: int, status: LinkStatus) -> None:
        """One revision's address's status, replacing an older one."""
        ...


class UnitOfWork(Protocol):
    """One transaction. Leaving the block without ``commit()`` rolls back."""

    @property
    def items(self) -> ItemRepository: ...

    @property
    def reviews(self) -> ReviewRepository: ...

    @property
    def checks(self) -> RevisionChecks: ...

    @property
    def words(self) -> SensitiveWords: ...

    @property
    def uploads(self) -> UploadedImages: ...

    @property
    def drafts(self) -> BoxDrafts: ...

    @property
    def assets(self) -> AssetStore: ...

    @property
    def liveness(self) -> LinkChecks: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def archive(self) -> ArchiveEntries: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def staff(self) -> StaffRepository: ...

    @property
    def work(self) -> WorkView: ...

    @property
    def figures(self) -> FiguresView: ...

    @property
    def old_content(self) -> OldContentView: ...

    @property
    def rechecks(self) -> RecheckView: ...

    @property
    def feedback(self) -> FeedbackLog: ...

    @property
    def evaluation(self) -> EvaluationRecords: ...

    @property
    def notices(self) -> HeldNotices: ...

    @property
    def rules(self) -> RuleRepository: ...

    @property
    def confirmations(self) -> ConfirmationRepository: ...

    @property
    def tickets(self) -> TicketRepository: ...

    @property
    def interactions(self) -> Interactions: ...

    @property
    def queue(self) -> QueueView: ...

    @property
    def canned(self) -> CannedReplies: ...

    @property
    def links(self) -> PageLinks: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...
