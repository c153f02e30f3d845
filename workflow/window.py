"""The customer-service window: what WeChat lets the account send a person now,
decided from the interactions recorded for them (``storage.followers``).

A follower's message opens 48 hours in which 5 customer-service sends may be
made; an event (a subscription, a scan, a menu click) opens one minute for 3.
Each new interaction of the kind starts that window afresh with its count at
nought. Unsubscribed people get nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

#: What a push was, as the windows count it: a message, an event, "seen" (a
#: VIEW, a location report, a photo or location menu: the follower was there,
#: but WeChat opens no window for it), or nothing.
Interaction = Literal["message", "event", "seen", "none"]

MESSAGE_WINDOW, MESSAGE_SENDS = timedelta(hours=48), 5
EVENT_WINDOW, EVENT_SENDS = timedelta(minutes=1), 3


class Counter(StrEnum):
    """Which window a send is counted against."""

    MESSAGE = "message"
    EVENT = "event"


class Closed(StrEnum):
    """Why nothing may be sent (templates/window_closed.j2 phrases these)."""

    UNSUBSCRIBED = "unsubscribed"
    USED_UP = "used_up"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Interactions:
    """What was recorded of one person: their last message and event, and the
    sends counted against each window since."""

    subscribed: bool
    last_message_at: datetime | None = None
    message_sent: int = 0
    last_event_at: datetime | None = None
    event_sent: int = 0


@dataclass(frozen=True)
class Window:
    """What the rules allow for one person right now."""

    counter: Counter | None  # the window to count the send against; None when closed
    closed_because: Closed | None = None

    @property
    def open(self) -> bool:
        return self.counter is not None


def window(seen: Interactions | None, now: datetime, queued: int = 0) -> Window:
    """5 sends within 48 h of the person's last message, or 3 within a minute of an
    event; ``seen`` None: nobody by that openid. ``queued``: sends already waiting
    in the outbox, which will spend the same budget."""
    if seen is None or not seen.subscribed:
        return Window(None, Closed.UNSUBSCRIBED)
    recent_message = _within(seen.last_message_at, now, MESSAGE_WINDOW)
    recent_event = _within(seen.last_event_at, now, EVENT_WINDOW)
    if recent_message and seen.message_sent + queued < MESSAGE_SENDS:
        return Window(Counter.MESSAGE)
    if recent_event and seen.event_sent + queued < EVENT_SENDS:
        return Window(Counter.EVENT)
    if recent_message or recent_event:
        return Window(None, Closed.USED_UP)
    return Window(None, Closed.EXPIRED)


def _within(at: datetime | None, now: datetime, span: timedelta) -> bool:
    return at is not None and now - at < span
