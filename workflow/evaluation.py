"""The quarterly evaluation (五): how the process itself went in a quarter, each
figure beside the previous quarter's. Pure: computed from the read port
``ports.EvaluationRecords`` (the audit log, the reply queue, staff messages,
suggestions and the staff survey); bot/evaluation_page.py draws it and
bot/evaluation.py keeps, serves and sends it like the weekly report. The
quarters and the hourly job's decision are workflow/quarters.py; the records
read, workflow/evaluation_records.py; the staff survey, workflow/staff_survey.py.

Its figures, per quarter (local days of the account's zone):

- lead time of each stage, between an item's milestones: planned (选题), first
  submitted, first review decision (初审: passed or sent back), final approval
  (终审 passed) and published. A stage counts in the quarter its *end* happened,
  once per item (its first occurrence: a revision of a published article is not
  a new lead time). Median and 90th percentile (nearest rank) in hours;
- send-backs (退回修改): how many, how many items, their share of the items
  reviewed, and the reasons grouped (``REASON_GROUPS``, first word found);
- timed publishes: published within ``ON_TIME_MINUTES`` of the time they were
  scheduled for (the schedule's audit row records it; for older rows, the
  timed start, the ``due`` event, stands in),
  late, or failed (not published); and drafts due in the quarter: submitted by
  their due day, late, or still missing;
- re-checks done (复查正常 / 标记待更新). Whether they were *on time* needs each
  item's re-check due date, which the audit log does not hold: not measured;
- the reply queue: minutes to a first answer (tickets first answered in the
  quarter) and hours to resolution (tickets resolved in it);
- staff messages (text staff sent the account) per item published;
- the suggestions of the quarter (建议), grouped (``SUGGESTION_GROUPS``);
- the staff survey: answers, the 1–5 rating's distribution and mean;
- follower surveys: whatever the caller passes in (``FollowerSurvey``); none yet.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import Enum

from workflow.evaluation_records import DueDraft, FollowerSurvey, StaffSuggestion, Step, TicketTimes
from workflow.ports import UnitOfWork
from workflow.quarters import Quarter
from workflow.recheck import DEFAULT_INTERVALS, RecheckDays
from workflow.recheck_record import NOTHING_DUE, Timeliness, timeliness
from workflow.staff_survey import StaffSurvey, staff_survey
from workflow.states import Event, State

#: A timed publish that reached 已发布 within this many minutes of its start is on time.
ON_TIME_MINUTES = 30
#: Grouping of the reasons given for a send-back, by the first word found
#: (else "other"). The page names each group (evaluation_labels.j2).
REASON_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("typos", ("错别字", "错字", "笔误", "标点", "语病", "病句")),
    ("facts", ("数据", "来源", "事实", "核实", "不准确", "出处", "引用")),
    ("images", ("图片", "配图", "封面", "版权", "侵权")),
    ("layout", ("排版", "格式", "字号", "样式", "段落")),
    ("title", ("标题", "摘要")),
    ("wording", ("敏感", "措辞", "违规", "语气", "表述")),
    ("length", ("太长", "篇幅", "精简", "太短", "冗长")),
)
SUGGESTION_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("review", ("审核", "初审", "终审", "退回", "审稿", "审批")),
    ("notices", ("通知", "提醒", "消息", "推送")),
    ("publishing", ("发布", "排期", "定时", "群发")),
    ("queue", ("回复", "工单", "留言", "粉丝", "客服", "评论")),
    ("writing", ("选题", "写作", "稿", "素材", "图片", "排版")),
)
OTHER = "other"


# --- figures --------------------------------------------------------------------------

class Stage(Enum):
    PLAN_SUBMIT = ("plan", "submit")
    SUBMIT_REVIEW = ("submit", "review")
    REVIEW_FINAL = ("review", "final")
    FINAL_PUBLISHED = ("final", "published")
    PLAN_PUBLISHED = ("plan", "published")  # the whole way

    @property
    def start(self) -> str:
        return self.value[0]

    @property
    def end(self) -> str:
        return self.value[1]

    @property
    def key(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Spread:
    """Values' count, median and 90th percentile (None with no values)."""

    count: int
    median: float | None
    p90: float | None


def p90(values: Sequence[float]) -> float:
    """The 90th percentile by nearest rank: the smallest value at or above 90 % of them."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def spread(values: Sequence[float]) -> Spread:
    if not values:
        return Spread(0, None, None)
    return Spread(len(values), round(float(statistics.median(values)), 1),
                  round(float(p90(values)), 1))


def group_of(text: str, groups: tuple[tuple[str, tuple[str, ...]], ...]) -> str:
    lowered = text.lower()
    for name, words in groups:
        if any(w in lowered for w in words):
            return name
    return OTHER


def counted(names: Sequence[str]) -> list[tuple[str, int]]:
    """Each name with how often it occurs, most first (then by name)."""
    counts: dict[str, int] = {}
    for n in names:
        counts[n] = counts.get(n, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def milestones(steps: Sequence[Step]) -> dict[int, dict[str, datetime]]:
    """Per item, when each milestone first happened (steps in any order)."""
    found: dict[int, dict[str, datetime]] = {}
    for s in sorted(steps, key=lambda s: s.at):
        name = _milestone(s)
        if name is not None:
            found.setdefault(s.item_id, {}).setdefault(name, s.at)
    return found


def _milestone(s: Step) -> str | None:
    if s.event == Event.PLAN:
        return "plan"
    if s.event == Event.SUBMIT:
        return "submit"
    if s.event in (Event.APPROVE, Event.REQUEST_CHANGES) and s.from_state == State.IN_REVIEW:
        return "review"
    if s.event == Event.FINAL_APPROVE and s.to_state == State.APPROVED:
        return "final"
    if s.to_state == State.PUBLISHED and s.from_state != State.PUBLISHED:
        return "published"
    return None


def _in(at: datetime, since: datetime, until: datetime) -> bool:
    return since <= at < until


def lead_times(steps: Sequence[Step], since: datetime, until: datetime
               ) -> dict[Stage, Spread]:
    """Hours each stage took, for the stages that ended in [since, until)."""
    hours: dict[Stage, list[float]] = {stage: [] for stage in Stage}
    for marks in milestones(steps).values():
        for stage in Stage:
            start, end = marks.get(stage.start), marks.get(stage.end)
            if start is not None and end is not None and start <= end and _in(end, since, until):
                hours[stage].append((end - start).total_seconds() / 3600)
    return {stage: spread(v) for stage, v in hours.items()}


@dataclass(frozen=True)
class SendBacks:
    count: int  # request_changes events
    items: int  # items sent back at least once
    reviewed: int  # items given any review decision
    by_stage: dict[str, int]  # in_review | final_review → count
    reasons: list[tuple[str, int]]  # REASON_GROUPS name → count, most first
    examples: dict[str, list[str]]  # group → its reasons as written (up to 5)

    @property
    def share(self) -> float | None:
        """Of the items reviewed, the share sent back at least once."""
        return self.items / self.reviewed if self.reviewed else None


EXAMPLES = 5


def send_backs(steps: Sequence[Step], since: datetime, until: datetime) -> SendBacks:
    inside = [s for s in steps if _in(s.at, since, until)]
    back = [s for s in inside if s.event == Event.REQUEST_CHANGES]
    reviewed = {s.item_id for s in inside
                if s.event in (Event.APPROVE, Event.REQUEST_CHANGES, Event.FINAL_APPROVE)}
    groups = [group_of(s.comment, REASON_GROUPS) for s in back]
    examples: dict[str, list[str]] = {}
    for s, g in zip(back, groups, strict=True):
        if s.comment.strip() and len(examples.setdefault(g, [])) < EXAMPLES:
            examples[g].append(s.comment.strip())
    return SendBacks(len(back), len({s.item_id for s in back}), len(reviewed),
                     dict(counted([s.from_state for s in back])), counted(groups), examples)


@dataclass(frozen=True)
class Publishes:
    on_time: int
    late: int
    failed: int  # timed publishes not published (failed, or never finished)
    untimed: int  # published at once or by hand, not timed

    @property
    def timed(self) -> int:
        return self.on_time + self.late + self.failed

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.timed if self.timed else None


def publishes(steps: Sequence[Step], since: datetime, until: datetime) -> Publishes:
    """Timed publishes started in [since, until) by how they ended; and the items
    first published in it without a timed start."""
    by_item: dict[int, list[Step]] = {}
    for s in sorted(steps, key=lambda s: s.at):
        by_item.setdefault(s.item_id, []).append(s)
    on_time = late = failed = untimed = 0
    limit = timedelta(minutes=ON_TIME_MINUTES)
    for trail in by_item.values():
        for n, s in enumerate(trail):
            if s.event == Event.DUE and _in(s.at, since, until):
                done = next((t for t in trail[n + 1:] if t.to_state == State.PUBLISHED
                             or t.event == Event.DUE), None)
                if done is None or done.to_state != State.PUBLISHED:
                    failed += 1
                elif done.at - scheduled_time(trail[:n], s.at) <= limit:
                    on_time += 1
                else:
                    late += 1
        first = next((t for t in trail if _milestone(t) == "published"), None)
        if first is not None and _in(first.at, since, until) and not any(
                t.event == Event.DUE for t in trail if t.at <= first.at):
            untimed += 1
    return Publishes(on_time, late, failed, untimed)


def scheduled_time(before: Sequence[Step], due_at: datetime) -> datetime:
    """The time a timed publish was scheduled for: the last schedule before it
    (its row's ``result``); the timed start itself where that is not recorded
    (rows older than the record)."""
    for s in reversed(before):
        if s.event == Event.SCHEDULE:
            try:
                when = datetime.fromisoformat(s.result) if s.result else due_at
            except ValueError:
                return due_at
            return when if when.tzinfo else when.replace(tzinfo=UTC)
    return due_at


@dataclass(frozen=True)
class DueDrafts:
    on_time: int
    late: int
    missing: int  # past their due day, not submitted

    @property
    def due(self) -> int:
        return self.on_time + self.late + self.missing

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.due if self.due else None


def due_drafts(drafts: Sequence[DueDraft], today: date, tz: tzinfo) -> DueDrafts:
    """Drafts due in the quarter by when they came in; one not in and not yet
    past its due day (``today`` local) is not counted."""
    on_time = late = missing = 0
    for d in drafts:
        if d.submitted_at is None:
            missing += d.due_on < today
        elif d.submitted_at.astimezone(tz).date() <= d.due_on:
            on_time += 1
        else:
            late += 1
    return DueDrafts(on_time, late, missing)


@dataclass(frozen=True)
class Rechecks:
    ok: int  # 复查正常
    outdated: int  # 标记待更新
    items: int
    #: against each re-check's day by the schedule (workflow.recheck_record)
    kept: Timeliness = NOTHING_DUE

    @property
    def done(self) -> int:
        return self.ok + self.outdated


def rechecks(steps: Sequence[Step], since: datetime, until: datetime) -> Rechecks:
    done = [s for s in steps if _in(s.at, since, until)
            and s.event in (Event.RECHECK_OK, Event.FLAG_OUTDATED)]
    return Rechecks(sum(s.event == Event.RECHECK_OK for s in done),
                    sum(s.event == Event.FLAG_OUTDATED for s in done),
                    len({s.item_id for s in done}))


@dataclass(frozen=True)
class Queue:
    first_response: Spread  # minutes, tickets first answered in the quarter
    resolution: Spread  # hours, tickets resolved in the quarter
    opened: int
    unanswered: int  # opened in the quarter and not answered by its end


def queue(tickets: Sequence[TicketTimes], since: datetime, until: datetime) -> Queue:
    answered = [(t.first_response_at - t.opened_at).total_seconds() / 60 for t in tickets
                if t.first_response_at is not None and _in(t.first_response_at, since, until)]
    resolved = [(t.resolved_at - t.opened_at).total_seconds() / 3600 for t in tickets
                if t.resolved_at is not None and _in(t.resolved_at, since, until)]
    opened = [t for t in tickets if _in(t.opened_at, since, until)]
    unanswered = sum(1 for t in opened
                     if t.first_response_at is None or t.first_response_at >= until)
    return Queue(spread([max(0.0, m) for m in answered]),
                 spread([max(0.0, h) for h in resolved]), len(opened), unanswered)


def published_items(steps: Sequence[Step], since: datetime, until: datetime) -> int:
    """Items that reached 已发布 in [since, until) (each once)."""
    return len({s.item_id for s in steps if _milestone(s) == "published"
                and _in(s.at, since, until)})


@dataclass(frozen=True)
class Measures:
    """One quarter's figures."""

    quarter: Quarter
    until: datetime  # figures up to here: the quarter's end, or the moment made
    stages: dict[Stage, Spread]
    send_backs: SendBacks
    publishes: Publishes
    drafts: DueDrafts
    rechecks: Rechecks
    queue: Queue
    published: int
    staff_messages: int
    suggestions: list[StaffSuggestion]
    suggestion_groups: list[tuple[str, int]]
    survey: StaffSurvey

    @property
    def messages_per_item(self) -> float | None:
        return round(self.staff_messages / self.published, 1) if self.published else None

    def suggestions_in(self, group: str) -> list[StaffSuggestion]:
        return [s for s in self.suggestions if group_of(s.text, SUGGESTION_GROUPS) == group]


@dataclass(frozen=True)
class Evaluation:
    quarter: Quarter
    made_at: datetime
    current: Measures
    previous: Measures
    partial: bool  # made before the quarter was over: its figures so far
    follower_surveys: list[FollowerSurvey] = field(default_factory=list)


def measure(uow: UnitOfWork, quarter: Quarter, now: datetime, tz: tzinfo,
            recheck_days: RecheckDays = DEFAULT_INTERVALS) -> Measures:
    since, end = quarter.span(tz)
    until = min(end, now)
    with uow:
        records = uow.evaluation
        steps = list(records.item_steps(since, until))
        tickets = list(records.tickets(since, until))
        drafts = list(records.due_drafts(quarter.first, quarter.last, until))
        messages = records.staff_messages(since, until)
        suggestions = sorted(records.suggestions(quarter.name), key=lambda s: s.at)
        answers = list(records.survey_answers(quarter.name))
        trails = list(records.recheck_trails(until))
    today = until.astimezone(tz).date() if until < end else quarter.last + timedelta(days=1)
    kept = timeliness(trails, quarter.first, quarter.last, today, recheck_days, tz)
    return Measures(
        quarter, until, lead_times(steps, since, until), send_backs(steps, since, until),
        publishes(steps, since, until), due_drafts(drafts, today, tz),
        replace(rechecks(steps, since, until), kept=kept), queue(tickets, since, until),
        published_items(steps, since, until), messages, suggestions,
        counted([group_of(s.text, SUGGESTION_GROUPS) for s in suggestions]),
        staff_survey(answers))


def make(uow: UnitOfWork, quarter: Quarter, now: datetime, tz: tzinfo,
         follower_surveys: Sequence[FollowerSurvey] = (),
         recheck_days: RecheckDays = DEFAULT_INTERVALS) -> Evaluation:
    """The evaluation of ``quarter`` (and the previous one beside it) as the
    database holds it at ``now``; re-checks judged by ``recheck_days``."""
    return Evaluation(quarter, now, measure(uow, quarter, now, tz, recheck_days),
                      measure(uow, quarter.previous(), now, tz, recheck_days),
                      now < quarter.span(tz)[1], list(follower_surveys))
