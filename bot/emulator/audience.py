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
    openid: str
    subscribed: bool = True
    window: Window | None = None


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
        person.window = Window(now, *MESSAGE_WINDOW)

    def event_from(self, openid: str, event: str, now: float) -> None:
        """WINDOW_EVENTS open a 1-minute window of 3; unsubscribe closes all; other
        events leave the window as it is."""
        person = self.follower(openid)
        if event == "unsubscribe":
            person.subscribed, person.window = False, None
            return
        person.subscribed = True
        if event in WINDOW_EVENTS:
            person.window = Window(now, *EVENT_WINDOW)

    def use_window(self, openid: str, now: float) -> None:
        """Count one customer-service send, or raise 45015/45047."""
        person = self.followers.get(openid)
        if person is None or not person.subscribed:
            raise WeChatError(45015)
        window = person.window
        if window is None or not window.open_at(now):
            raise WeChatError(45015)
        if window.used >= window.limit:
            raise WeChatError(45047)
        window.used += 1

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
        window = person.window
        view: dict[str, object] = {"openid": openid, "known": openid in self.followers,
                                   "subscribed": person.subscribed, "window": None}
        if window is not None and window.open_at(now):
            view["window"] = {"closes_at": int(window.opened_at + window.seconds),
                              "sends_left": window.limit - window.used}
        return view
