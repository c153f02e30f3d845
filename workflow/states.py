"""States, events and the transition table of a content item.

The table is data: the state machine reads it, the policy reads it, and a test
renders it into ``docs/workflow.md`` as a Mermaid diagram so the picture in the
docs cannot drift from the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    PLANNED = "planned"
    DRAFTING = "drafting"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    FINAL_REVIEW = "final_review"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    PUBLISHING = "publishing"
    PUBLISH_FAILED = "publish_failed"
    PUBLISHED = "published"
    NEEDS_UPDATE = "needs_update"
    WITHDRAWN = "withdrawn"
    ARCHIVED = "archived"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


STATE_LABELS: dict[State, str] = {
    State.PLANNED: "选题",
    State.DRAFTING: "撰写中",
    State.IN_REVIEW: "初审中",
    State.CHANGES_REQUESTED: "待修改",
    State.FINAL_REVIEW: "终审中",
    State.APPROVED: "待排期",
    State.SCHEDULED: "已排期",
    State.PUBLISHING: "发布中",
    State.PUBLISH_FAILED: "发布失败",
    State.PUBLISHED: "已发布",
    State.NEEDS_UPDATE: "待更新",
    State.WITHDRAWN: "已删除",
    State.ARCHIVED: "已归档",
    State.CANCELLED: "已取消",
}

FINAL_STATES = frozenset({State.ARCHIVED, State.CANCELLED})


class Event(StrEnum):
    PLAN = "plan"  # creates an item; no transition fires it
    START = "start"
    CANCEL = "cancel"
    SUBMIT = "submit"
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    FINAL_APPROVE = "final_approve"
    SCHEDULE = "schedule"
    UNSCHEDULE = "unschedule"
    PUBLISH = "publish"
    DUE = "due"
    PUBLISH_SUCCEEDED = "publish_succeeded"
    PUBLISH_FAILED = "publish_failed"
    SUBMIT_CONFIRMED = "submit_confirmed"
    RECORD_PUBLISHED = "record_published"
    RETRY = "retry"
    RECHECK_OK = "recheck_ok"
    FLAG_OUTDATED = "flag_outdated"
    WITHDRAW = "withdraw"
    ARCHIVE = "archive"
    REVISE = "revise"
    EDIT = "edit"
    MARK_SENSITIVE = "mark_sensitive"
    ASSIGN = "assign"
    SET_DUE = "set_due"

    @property
    def label(self) -> str:
        return EVENT_LABELS[self]


EVENT_LABELS: dict[Event, str] = {
    Event.PLAN: "新建选题",
    Event.START: "开始撰写",
    Event.CANCEL: "取消",
    Event.SUBMIT: "提交审核",
    Event.APPROVE: "初审通过",
    Event.REQUEST_CHANGES: "退回修改",
    Event.FINAL_APPROVE: "终审通过",
    Event.SCHEDULE: "排期",
    Event.UNSCHEDULE: "取消排期",
    Event.PUBLISH: "发布",
    Event.DUE: "定时发布",
    Event.PUBLISH_SUCCEEDED: "发布成功",
    Event.PUBLISH_FAILED: "发布失败",
    Event.SUBMIT_CONFIRMED: "确认已提交",
    # An admin records an article published by hand: the command is the state's name.
    Event.RECORD_PUBLISHED: STATE_LABELS[State.PUBLISHED],
    Event.RETRY: "重试发布",
    Event.RECHECK_OK: "复查正常",
    Event.FLAG_OUTDATED: "标记待更新",
    Event.WITHDRAW: "撤回删除",
    Event.ARCHIVE: "归档",
    Event.REVISE: "修订",
    Event.EDIT: "修改内容",
    Event.MARK_SENSITIVE: "标记敏感",
    Event.ASSIGN: "分配",
    Event.SET_DUE: "设截止日期",
}


@dataclass(frozen=True)
class Transition:
    source: State
    event: Event
    target: State
    guard: str = ""  # a condition the machine checks beyond the table, shown in the diagram


_S, _E = State, Event

TRANSITIONS: tuple[Transition, ...] = (
    Transition(_S.PLANNED, _E.START, _S.DRAFTING),
    Transition(_S.PLANNED, _E.CANCEL, _S.CANCELLED),
    Transition(_S.DRAFTING, _E.SUBMIT, _S.IN_REVIEW),
    Transition(_S.DRAFTING, _E.CANCEL, _S.CANCELLED, "never published"),
    # A revision of a published article is dropped, not the article: it stays
    # online, and from needs_update it can be revised again or withdrawn.
    Transition(_S.DRAFTING, _E.CANCEL, _S.NEEDS_UPDATE, "published: drop the revision"),
    Transition(_S.IN_REVIEW, _E.APPROVE, _S.FINAL_REVIEW),
    Transition(_S.IN_REVIEW, _E.REQUEST_CHANGES, _S.CHANGES_REQUESTED),
    Transition(_S.CHANGES_REQUESTED, _E.SUBMIT, _S.IN_REVIEW),
    Transition(_S.FINAL_REVIEW, _E.FINAL_APPROVE, _S.APPROVED, "quorum met"),
    Transition(_S.FINAL_REVIEW, _E.FINAL_APPROVE, _S.FINAL_REVIEW, "quorum not met"),
    Transition(_S.FINAL_REVIEW, _E.REQUEST_CHANGES, _S.CHANGES_REQUESTED),
    Transition(_S.APPROVED, _E.SCHEDULE, _S.SCHEDULED),
    Transition(_S.APPROVED, _E.PUBLISH, _S.PUBLISHING),
    Transition(_S.SCHEDULED, _E.UNSCHEDULE, _S.APPROVED),
    Transition(_S.SCHEDULED, _E.SCHEDULE, _S.SCHEDULED, "new time"),
    Transition(_S.SCHEDULED, _E.DUE, _S.PUBLISHING),
    Transition(_S.SCHEDULED, _E.PUBLISH, _S.PUBLISHING),
    Transition(_S.PUBLISHING, _E.PUBLISH_SUCCEEDED, _S.PUBLISHED),
    Transition(_S.PUBLISHING, _E.PUBLISH_FAILED, _S.PUBLISH_FAILED),
    # An account that may not publish through the platform (workflow.publishing):
    # an admin publishes the article in the official backend and records its link.
    Transition(_S.PUBLISHING, _E.RECORD_PUBLISHED, _S.PUBLISHED, "published by hand"),
    Transition(_S.PUBLISH_FAILED, _E.RETRY, _S.PUBLISHING),
    # A submission given up as unconfirmed (its worker stalled with the call in
    # flight) that WeChat is then seen to have accepted: the publication goes on,
    # and its result decides as for any other.
    Transition(_S.PUBLISH_FAILED, _E.SUBMIT_CONFIRMED, _S.PUBLISHING, "accepted after all"),
    Transition(_S.PUBLISH_FAILED, _E.REQUEST_CHANGES, _S.CHANGES_REQUESTED),
    Transition(_S.PUBLISHED, _E.RECHECK_OK, _S.PUBLISHED),
    Transition(_S.PUBLISHED, _E.FLAG_OUTDATED, _S.NEEDS_UPDATE),
    Transition(_S.PUBLISHED, _E.WITHDRAW, _S.WITHDRAWN),
    Transition(_S.PUBLISHED, _E.ARCHIVE, _S.ARCHIVED),
    Transition(_S.NEEDS_UPDATE, _E.REVISE, _S.DRAFTING),
    Transition(_S.NEEDS_UPDATE, _E.WITHDRAW, _S.WITHDRAWN),
    Transition(_S.NEEDS_UPDATE, _E.RECHECK_OK, _S.PUBLISHED),
    Transition(_S.WITHDRAWN, _E.ARCHIVE, _S.ARCHIVED),
    # Edits bump the revision. Approvals bind to a revision, so an edit after
    # any approval sends the item back to first review.
    Transition(_S.PLANNED, _E.EDIT, _S.PLANNED),
    Transition(_S.DRAFTING, _E.EDIT, _S.DRAFTING),
    Transition(_S.CHANGES_REQUESTED, _E.EDIT, _S.CHANGES_REQUESTED),
    Transition(_S.IN_REVIEW, _E.EDIT, _S.IN_REVIEW),
    Transition(_S.FINAL_REVIEW, _E.EDIT, _S.IN_REVIEW),
    Transition(_S.APPROVED, _E.EDIT, _S.IN_REVIEW),
    Transition(_S.SCHEDULED, _E.EDIT, _S.IN_REVIEW),
    Transition(_S.PUBLISH_FAILED, _E.EDIT, _S.IN_REVIEW),
    # Marking an item sensitive raises the final-approval quorum to two; an
    # item that was approved on one approval goes back to final review.
    Transition(_S.PLANNED, _E.MARK_SENSITIVE, _S.PLANNED),
    Transition(_S.DRAFTING, _E.MARK_SENSITIVE, _S.DRAFTING),
    Transition(_S.IN_REVIEW, _E.MARK_SENSITIVE, _S.IN_REVIEW),
    Transition(_S.CHANGES_REQUESTED, _E.MARK_SENSITIVE, _S.CHANGES_REQUESTED),
    Transition(_S.FINAL_REVIEW, _E.MARK_SENSITIVE, _S.FINAL_REVIEW),
    Transition(_S.APPROVED, _E.MARK_SENSITIVE, _S.FINAL_REVIEW, "quorum not met"),
    Transition(_S.APPROVED, _E.MARK_SENSITIVE, _S.APPROVED, "quorum met"),
    Transition(_S.SCHEDULED, _E.MARK_SENSITIVE, _S.FINAL_REVIEW, "quorum not met"),
    Transition(_S.SCHEDULED, _E.MARK_SENSITIVE, _S.SCHEDULED, "quorum met"),
    # Topic planning: who writes an item and when the draft is due, changed
    # while it is being written (after submission the draft is in).
    *(Transition(state, event, state) for event in (_E.ASSIGN, _E.SET_DUE)
      for state in (_S.PLANNED, _S.DRAFTING, _S.CHANGES_REQUESTED, _S.NEEDS_UPDATE)),
)

#: States in which an item is being written: its writer and due date apply.
WRITING_STATES = frozenset({State.PLANNED, State.DRAFTING, State.CHANGES_REQUESTED,
                            State.NEEDS_UPDATE})


def transitions_from(state: State, event: Event) -> tuple[Transition, ...]:
    """Every row of the table for (state, event); empty when the move is illegal."""
    return tuple(t for t in TRANSITIONS if t.source is state and t.event is event)


def events_from(state: State) -> tuple[Event, ...]:
    """Events the table allows in ``state``, in table order, without repeats."""
    seen: dict[Event, None] = {}
    for t in TRANSITIONS:
        if t.source is state:
            seen.setdefault(t.event)
    return tuple(seen)


def mermaid() -> str:
    """The transition table as a Mermaid state diagram."""
    lines = ["stateDiagram-v2"]
    lines += [f"    [*] --> {State.PLANNED.value}"]
    for t in TRANSITIONS:
        label = t.event.value + (f" [{t.guard}]" if t.guard else "")
        lines.append(f"    {t.source.value} --> {t.target.value}: {label}")
    lines += [f"    {s.value} --> [*]" for s in sorted(FINAL_STATES)]
    return "\n".join(lines) + "\n"
