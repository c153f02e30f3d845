"""The content item, its reviews, and the records a decision produces."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from workflow.capabilities import FULL, Capabilities
from workflow.roles import Actor
from workflow.states import Event, State

#: The largest id anything (an item, a ticket, a member, a rule) can have: ids
#: are stored as INTEGER, 32-bit on PostgreSQL (SQLite's hold 64 bits, but a
#: number PostgreSQL refuses is no id on either). A front door refuses a larger
#: one as not an id before it reaches the database.
MAX_ID = 2**31 - 1


class ReviewStage(StrEnum):
    FIRST = "first"
    FINAL = "final"


class ReviewDecision(StrEnum):
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"


@dataclass(frozen=True)
class ArticleMeta:
    """What an imported article says of itself beyond its title and digest,
    replaced as a whole by each import: the byline (the draft's ``author``),
    the cover's media_id and the image it came from (``cover_file``; a cover
    named but not uploaded leaves ``cover`` empty), whether comments are open,
    the sources reviewers see, the day an event notice expires, the theme."""

    byline: str = ""
    cover: str = ""  # the permanent material's media_id ("": the account's default cover)
    cover_file: str = ""
    comments: bool = True
    sources: tuple[str, ...] = ()
    expires_on: date | None = None
    theme: str = ""


@dataclass
class ContentItem:
    """One article on its way through the process.

    ``revision`` counts content edits; ``review_round`` counts submissions, so
    approvals from an earlier round or revision never count; ``version`` is the
    optimistic-lock counter every write bumps.
    """

    id: int
    title: str
    author_id: int
    state: State = State.PLANNED
    topic: str = ""
    body: str = ""
    digest: str = ""
    meta: ArticleMeta = field(default_factory=ArticleMeta)  # what the article says of itself
    sensitive: bool = False
    revision: int = 1
    review_round: int = 0
    version: int = 1
    planned_at: datetime | None = None
    due_on: date | None = None  # when the draft is due (the account's local day)
    scheduled_at: datetime | None = None
    published_at: datetime | None = None
    draft_media_id: str | None = None
    publish_id: str | None = None
    article_id: str | None = None
    url: str | None = None
    # Who wrote the current revision when not its author (an admin's edit): they
    # may not review it either. Kept with the revision, not on the item's row.
    edited_by: int | None = None

    @property
    def required_final_approvals(self) -> int:
        return 2 if self.sensitive else 1


@dataclass(frozen=True)
class Review:
    item_id: int
    reviewer_id: int
    stage: ReviewStage
    decision: ReviewDecision
    revision: int
    review_round: int
    comment: str = ""
    at: datetime | None = None
    quote: str = ""  # the passage of the revision a request for changes is about


@dataclass(frozen=True)
class ItemChanges:
    """An edit of an item's content; ``None`` leaves a field as it is."""

    title: str | None = None
    topic: str | None = None
    body: str | None = None
    digest: str | None = None
    meta: ArticleMeta | None = None

    def is_empty(self) -> bool:
        return all(v is None for v in (self.title, self.topic, self.body, self.digest, self.meta))


@dataclass(frozen=True)
class AuditEntry:
    item_id: int
    actor_id: int
    actor_name: str
    event: Event
    from_state: State
    to_state: State
    revision: int
    at: datetime
    comment: str = ""
    command: str = ""
    #: What the event settled, when the item's state does not say it: a schedule's
    #: time (ISO, UTC), so the quarterly evaluation can tell a late publish.
    result: str = ""


@dataclass(frozen=True)
class ActionEntry:
    """An audited change that is not a content item's transition: a ticket, a
    member, a rule, a piece of feedback (``subject`` names it: ``feedback:3``)."""

    subject: str
    event: str
    actor_id: int
    actor_name: str
    at: datetime
    result: str = ""
    comment: str = ""
    command: str = ""


@dataclass(frozen=True)
class Context:
    """Everything about the request that is not the item: who, when, why."""

    now: datetime
    comment: str = ""
    command: str = ""
    when: datetime | None = None
    # Topic planning: the day a draft is due (SET_DUE; None clears it) and the
    # member an item is given to (ASSIGN), resolved by the use case.
    due_on: date | None = None
    assignee: Actor | None = None
    extra: dict[str, str] = field(default_factory=dict)
    # What the account may call: decides which way a publication goes
    # (workflow.publishing).
    capabilities: Capabilities = FULL
