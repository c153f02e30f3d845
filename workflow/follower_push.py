"""A follower's text recorded whole in one statement (``storage.one_trip`` on
PostgreSQL): what the endpoint decides before it, and what the statement
answers. Plain values: the statement applies ``workflow.tickets.arrive`` and
``Arrived.acknowledgement`` itself (tests/integration/test_arrivals.py and
tests/integration/test_one_trip.py check it agrees)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class PushStatus(StrEnum):
    HANDLED = "handled"  # recorded whole: answer with the reply or the acknowledgement
    RETRY = "retry"  # handled before: answer as then (the stored reply, or the outcome)
    REPLAYED = "replayed"  # the (timestamp, nonce) came before with another body
    FALLBACK = "fallback"  # nothing written: handle the push the usual way


@dataclass(frozen=True)
class Nonce:
    """The replay guard's pair, for a body the signature does not cover."""

    timestamp: int
    nonce: str
    body_hash: str


@dataclass(frozen=True)
class FollowerText:
    """Decided before the statement: the rule that answers (its id and the reply's
    XML, stored for retries), or else the ticket log's priority; whether the office
    is open (the acknowledgement's variant); when a ticket has been quiet long enough."""

    content: str
    priority: int
    open: bool
    quiet_since: datetime
    rule_id: int | None = None
    reply: str = ""


@dataclass(frozen=True)
class Acknowledgement:
    """An acknowledgement rendered after the push was recorded, kept so that a
    retry renders the same reply: the text's key (``ack``, ``ack_follow_up`` or their
    ``_away`` variants), the ticket, and whether the message was a complaint."""

    text: str
    ticket_id: int
    complaint: bool = False
    at: int = 0  # the reply's CreateTime (epoch seconds): a retry's XML is the same


@dataclass(frozen=True)
class OneTrip:
    status: PushStatus
    inbound_id: int | None = None
    reply: str = ""  # the XML stored (a rule's, or a retry's); "" for none
    acknowledgement: Acknowledgement | None = None  # to render, when reply is ""
    override: str | None = None  # the admin's version of the acknowledgement's text
