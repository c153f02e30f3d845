"""Effects: what must happen outside the database after a decision.

The domain records them; the unit of work turns each into an outbox row in the
same transaction; the worker performs them. Every effect has a stable
idempotency key, so recording it twice never sends it twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from workflow.roles import Role


@dataclass(frozen=True)
class Effect:
    kind = "effect"

    def payload(self) -> dict[str, Any]:
        raise NotImplementedError

    def idempotency_key(self, item_id: int, version: int) -> str:
        """Unique per item version: one decision never emits the same effect twice."""
        return f"{self.kind}:{item_id}:v{version}"


@dataclass(frozen=True)
class NotifyRole:
    """Tell everyone holding ``role`` (expanded to NotifyStaff by the use case)."""

    role: Role
    template: str
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AskForApproval:
    """Ask for the next approval the item needs. The use case sends it to the
    team members who may give it now (workflow.approvals), never to one who
    may not: the author, the editor, the first reviewer at final review."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NotifyStaff(Effect):
    kind = "notify"
    staff_id: int = 0
    template: str = ""
    context: dict[str, Any] = field(default_factory=dict)
    # The version and state of the item the notice describes (set when recorded).
    item_version: int | None = None
    item_state: str | None = None

    def payload(self) -> dict[str, Any]:
        payload = {"staff_id": self.staff_id, "template": self.template, "context": self.context}
        if self.item_version is not None:
            payload["item_version"] = self.item_version
        if self.item_state is not None:
            payload["item_state"] = self.item_state
        return payload

    def idempotency_key(self, item_id: int, version: int) -> str:
        return f"notify:{item_id}:v{version}:{self.template}:{self.staff_id}"


@dataclass(frozen=True)
class SyncDraft(Effect):
    """Create or update the item's article in the WeChat draft box."""

    kind = "sync_draft"
    item_id: int = 0
    revision: int = 0

    def payload(self) -> dict[str, Any]:
        return {"item_id": self.item_id, "revision": self.revision}


@dataclass(frozen=True)
class SubmitPublish(Effect):
    """Submit the item's draft to freepublish."""

    kind = "submit_publish"
    item_id: int = 0
    revision: int = 0

    def payload(self) -> dict[str, Any]:
        return {"item_id": self.item_id, "revision": self.revision}


@dataclass(frozen=True)
class DeletePublished(Effect):
    """Delete the published article (freepublish/delete)."""

    kind = "delete_published"
    item_id: int = 0
    article_id: str = ""

    def payload(self) -> dict[str, Any]:
        return {"item_id": self.item_id, "article_id": self.article_id}


@dataclass(frozen=True)
class ArchivePublished(Effect):
    """Read the published article's HTML (freepublish/getarticle) into the item's
    archive entry, the article staying online (归档)."""

    kind = "archive_published"
    item_id: int = 0
    article_id: str = ""

    def payload(self) -> dict[str, Any]:
        return {"item_id": self.item_id, "article_id": self.article_id}


@dataclass(frozen=True)
class SendPreview(Effect):
    """Send the item's WeChat preview to one staff member's phone. Each request
    is its own send: the key holds who asked and when."""

    kind = "preview"
    item_id: int = 0
    openid: str = ""
    staff_id: int = 0
    requested_at: int = 0  # unix seconds

    def payload(self) -> dict[str, Any]:
        return {"item_id": self.item_id, "openid": self.openid}

    def idempotency_key(self, item_id: int, version: int) -> str:
        return f"preview:{item_id}:v{version}:{self.staff_id}:{self.requested_at}"


AnyEffect = Effect | NotifyRole | AskForApproval


# --- the reply queue: effects with keys of their own (not an item's version) -------


@dataclass(frozen=True)
class SendReply:
    """A staff member's answer to a follower's ticket, as a customer-service
    message; one send per logged answer (``message_id``)."""

    kind = "cs_reply"
    ticket_id: int = 0
    message_id: int = 0
    openid: str = ""
    text: str = ""
    staff_id: int = 0

    @property
    def recipient(self) -> str:
        return self.openid

    @property
    def key(self) -> str:
        return f"cs_reply:{self.message_id}"

    def payload(self) -> dict[str, Any]:
        return {"ticket_id": self.ticket_id, "message_id": self.message_id,
                "openid": self.openid, "text": self.text, "staff_id": self.staff_id}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> SendReply:
        """The send an outbox row holds (``payload``); a comment reply's
        (``ReplyToComment``) reads the same, with no openid."""
        return cls(ticket_id=int(payload["ticket_id"]), message_id=int(payload["message_id"]),
                   openid=str(payload.get("openid", "")), text=str(payload["text"]),
                   staff_id=int(payload["staff_id"]))


@dataclass(frozen=True)
class RemindOfTicket:
    """Tell a staff member a follower has waited too long (``ticket_waiting``);
    once per person per wait."""

    kind = "notify"
    staff_id: int = 0
    ticket_id: int = 0
    minutes: int = 0
    summary: str = ""
    waiting_since: datetime | None = None
    recipient = None

    @property
    def key(self) -> str:
        since = self.waiting_since.isoformat() if self.waiting_since else ""
        return f"sla:{self.ticket_id}:{since}:{self.staff_id}"

    def payload(self) -> dict[str, Any]:
        return {"staff_id": self.staff_id, "template": "ticket_waiting",
                "context": {"ticket_id": self.ticket_id, "minutes": self.minutes,
                            "summary": self.summary}}


@dataclass(frozen=True)
class TellOfTicket:
    """Tell a staff member something about a ticket (``template`` under
    templates/notices); ``key`` names the occasion, once."""

    kind = "notify"
    staff_id: int = 0
    template: str = ""
    ticket_id: int = 0
    occasion: str = ""
    recipient = None

    @property
    def key(self) -> str:
        return f"{self.template}:{self.occasion}"

    def payload(self) -> dict[str, Any]:
        return {"staff_id": self.staff_id, "template": self.template,
                "context": {"ticket_id": self.ticket_id}}


@dataclass(frozen=True)
class ReplyToComment:
    """A staff member's answer to a comment ticket, as a reply under the comment
    (``comment/reply/add``); no customer-service window applies."""

    kind = "comment_reply"
    ticket_id: int = 0
    message_id: int = 0
    msg_data_id: str = ""
    index: int = 0
    user_comment_id: int = 0
    text: str = ""
    staff_id: int = 0
    recipient = None

    @property
    def key(self) -> str:
        return f"comment_reply:{self.message_id}"

    def payload(self) -> dict[str, Any]:
        return {"ticket_id": self.ticket_id, "message_id": self.message_id,
                "msg_data_id": self.msg_data_id, "index": self.index,
                "user_comment_id": self.user_comment_id, "text": self.text,
                "staff_id": self.staff_id}


@dataclass(frozen=True)
class ActOnComment:
    """Feature (``markelect``) or delete (``delete``) the comment of a ticket."""

    kind = "comment_action"
    ticket_id: int = 0
    action: str = ""  # markelect | delete
    msg_data_id: str = ""
    index: int = 0
    user_comment_id: int = 0
    recipient = None

    @property
    def key(self) -> str:
        return f"comment_{self.action}:{self.ticket_id}"

    def payload(self) -> dict[str, Any]:
        return {"ticket_id": self.ticket_id, "action": self.action,
                "msg_data_id": self.msg_data_id, "index": self.index,
                "user_comment_id": self.user_comment_id}


@dataclass(frozen=True)
class SwitchComments:
    """Open or close a published article's comments (``comment/open|close``);
    each switch is its own call: the key holds when it was asked."""

    kind = "comment_switch"
    item_id: int = 0
    open: bool = True
    msg_data_id: str = ""
    index: int = 0
    asked_at: int = 0  # unix seconds
    recipient = None

    @property
    def key(self) -> str:
        return f"comment_switch:{self.item_id}:{int(self.open)}:{self.asked_at}"

    def payload(self) -> dict[str, Any]:
        return {"item_id": self.item_id, "open": self.open, "msg_data_id": self.msg_data_id,
                "index": self.index}


TicketEffect = SendReply | RemindOfTicket | TellOfTicket | ReplyToComment


@dataclass(frozen=True)
class ReplyGivenUp:
    """Tell a reply's writer it did not arrive (or may not have): gathered with
    the others given up in the same incident into one notice per person
    (``storage.incidents``), keyed by the reply's outbox row."""

    kind = "notify"
    staff_id: int = 0
    row_id: int = 0  # the reply's outbox row
    ticket_id: int = 0
    reason: str = ""
    unconfirmed: bool = False  # the send went out and no answer came: it may have arrived

    def entry(self) -> dict[str, Any]:
        return {"row_id": self.row_id, "ticket_id": self.ticket_id, "reason": self.reason,
                "unconfirmed": self.unconfirmed}
