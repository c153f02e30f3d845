"""Followers, their customer-service windows, and what each was sent (inboxes)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.emulator.errors import WeChatError

# (seconds, sends) a window allows after a follower's message, and after an event.
MESSAGE_WINDOW = (48 * 3600, 5)
EVENT_WINDOW = (60, 3)
# Events that open a customer-service window: a subscription, a scan, and the
# menu clicks that push to the account (VIEW and the photo menus do not).
WINDOW_EVENTS = frozenset({"subscribe", "CLICK", "SCAN", "scancode_push", "scancode_waitmsg"})


@dataclass
class Window:
    opened_at: float
    seconds: int
    limit: int
    used: int = 0

    def open_at(self, now: float) -> bool:
        return now < self.opened_at + self.seconds


@dataclass
class Follower:
    """The two windows are separate allowances: a menu click does not take away
    the 48 hours a message gave, and a send uses the message window first."""

    openid: str
    subscribed: bool = True
    message_window: Window | None = None
    event_window: Window | None = None

    def open_windows(self, now: float) -> list[Window]:
        return [w for w in (self.message_window, self.event_window)
                if w is not None and w.open_at(now)]


@dataclass
class Audience:
    followers: dict[str, Follower] = field(default_factory=dict)
    inboxes: dict[str, list[dict[str, object]]] = field(default_factory=dict)

    def follower(self, openid: str) -> Follower:
        return self.followers.setdefault(openid, Follower(openid))

    def message_from(self, openid: str, now: float) -> None:
        """A follower's message: a fresh 48-hour window of 5 sends."""
        person = self.follower(openid)
        person.subscribed = True
        person.message_window = Window(now, *MESSAGE_WINDOW)

    def event_from(self, openid: str, event: str, now: float) -> None:
        """WINDOW_EVENTS open a 1-minute window of 3; unsubscribe closes all; other
        events leave the window as it is."""
        person = self.follower(openid)
        if event == "unsubscribe":
            person.subscribed = False
            person.message_window = person.event_window = None
            return
        person.subscribed = True
        if event in WINDOW_EVENTS:
            person.event_window = Window(now, *EVENT_WINDOW)

    def use_window(self, openid: str, now: float) -> None:
        """Count one customer-service send against the first open window with sends
        left (the message window before the event window), or raise 45015/45047."""
        person = self.followers.get(openid)
        if person is None or not person.subscribed:
            raise WeChatError(45015)
        open_now = person.open_windows(now)
        if not open_now:
            raise WeChatError(45015)
        usable = [w for w in open_now if w.used < w.limit]
        if not usable:
            raise WeChatError(45047)
        usable[0].used += 1

    def require_subscribed(self, openid: str) -> None:
        person = self.followers.get(openid)
        if person is None:
            raise WeChatError(40003)
        if not person.subscribed:
            raise WeChatError(43004)

    def subscribed(self) -> list[str]:
        return [p.openid for p in self.followers.values() if p.subscribed]

    def deliver(self, openid: str, kind: str, payload: object, now: float) -> None:
        entry: dict[str, object] = {"kind": kind, "payload": payload, "time": int(now)}
        self.inboxes.setdefault(openid, []).append(entry)

    def describe(self, openid: str, now: float) -> dict[str, object]:
        """A follower as the control API shows it."""
        person = self.followers.get(openid) or Follower(openid, subscribed=False)
        open_now = person.open_windows(now)
        view: dict[str, object] = {"openid": openid, "known": openid in self.followers,
                                   "subscribed": person.subscribed, "window": None}
        if open_now:  # the one the next send counts against
            window = next((w for w in open_now if w.used < w.limit), open_now[0])
            view["window"] = {"closes_at": int(window.opened_at + window.seconds),
                              "sends_left": sum(w.limit - w.used for w in open_now)}
        return view
