"""The reply queue as people read it: one ticket's line, a page of the queue, a
ticket's messages and notes. Filled by the read-view port ``ports.QueueView``;
chat, the CLI and (later) the console show these, so they list alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from workflow.reply_queue import TicketFacts, TicketStatus, current_status


@dataclass(frozen=True)
class QueueLine:
    """A ticket as the queue shows it; ``status`` is stored, see ``current_status``."""

    id: int
    status: str
    priority: int
    assignee_id: int | None
    assignee: str | None  # the holder's name
    openid: str
    preview: str  # the follower's newest message: what they wait for now
    opened_at: datetime
    waiting_since: datetime | None
    snoozed_until: datetime | None
    resolution: str
    comment_item: int | None = None  # a comment's ticket: the item commented on

    @property
    def facts(self) -> TicketFacts:
        return TicketFacts(TicketStatus(self.status), self.assignee_id, self.snoozed_until)

    def current_status(self, now: datetime) -> str:
        """As it stands now: a snooze run out shows the ticket open."""
        return current_status(self.facts, now).value

    def minutes(self, now: datetime) -> int | None:
        """How long the follower has waited for the team, None when not waiting."""
        if self.waiting_since is None:
            return None
        return max(0, int((now - self.waiting_since).total_seconds() // 60))


@dataclass(frozen=True)
class QueuePage:
    tickets: list[QueueLine]  # higher priority first, then longest waiting
    total: int  # listed by the same rule, beyond the ones on this page too
    snoozed: int  # set aside for now, not listed (unless everything is)


@dataclass(frozen=True)
class MessageLine:
    at: datetime
    direction: str  # in | out
    kind: str
    content: str
    delivery: str  # queued | sent | refused | unknown for answers, "" for the follower's
    staff: str | None


@dataclass(frozen=True)
class NoteLine:
    at: datetime
    staff: str
    content: str


@dataclass(frozen=True)
class SavedReply:
    """A canned reply (快捷): ``#shortcut`` in a reply stands for ``body``."""

    shortcut: str
    body: str
