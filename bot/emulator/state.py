"""The emulated platform's whole state, in memory, and the rules that span its parts.

Pure: no network and no threads beyond the lock that callers take around every
operation (`with state.lock:`). Time comes from `state.clock`, which the control
API can move forward.
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.emulator import ACCOUNT_ID, DEMO_APP_ID, DEMO_APP_SECRET, DEMO_TOKEN
from bot.emulator.audience import Audience
from bot.emulator.clock import Clock, china_date
from bot.emulator.comments import CommentBoard
from bot.emulator.content import Library
from bot.emulator.datacube import SentArticle
from bot.emulator.datacube_news import Timing
from bot.emulator.errors import WeChatError
from bot.emulator.limits import FailureBook, QuotaBook
from bot.emulator.publishing import MassSend, Publication, PublishBook
from bot.emulator.tokens import Token, TokenBook
from workflow.capabilities import VERIFIED_SERVICE, AccountKind

CUSTOM_TYPES = frozenset({"text", "image", "news"})
# The call and push logs keep the newest entries only: an emulator left running
# (the demo) must not grow without end.
LOG_LIMIT = 10_000


@dataclass(frozen=True)
class EmulatorConfig:
    """The account the emulator plays, and where it pushes messages and events."""

    app_id: str = DEMO_APP_ID
    app_secret: str = DEMO_APP_SECRET
    token: str = DEMO_TOKEN
    encoding_aes_key: str = ""
    account_id: str = ACCOUNT_ID
    push_to: str | None = None
    push_delay: float = 0.5
    #: The kind of account played: the API refuses what it may not call (48001).
    kind: AccountKind = VERIFIED_SERVICE
    #: The API IP whitelist set in the official backend: a token fetched from any
    #: other address answers 40164 (empty: no whitelist, every address may).
    ip_whitelist: tuple[str, ...] = ()


class EmulatorState:
    def __init__(self, config: EmulatorConfig | None = None, clock: Clock | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.clock = clock or Clock()
        self.lock = threading.RLock()
        # Called (under the lock) for each submitted publication, mass send and
        # template message; the server uses them to push the job's result later.
        self.on_publish: Callable[[Publication], None] | None = None
        self.on_mass_send: Callable[[MassSend], None] | None = None
        self.on_template_sent: Callable[[str, int], None] | None = None
        self.reset()

    def reset(self) -> None:
        """Forget everything but the account's configuration; the clock returns to now."""
        self.clock.offset = 0.0
        self.tokens = TokenBook()
        self.audience = Audience()
        self.library = Library()
        self.publishing = PublishBook()
        self.comments = CommentBoard()
        self.quotas = QuotaBook()
        self.failures = FailureBook()
        self.calls: deque[dict[str, Any]] = deque(maxlen=LOG_LIMIT)
        self.pushes: deque[dict[str, Any]] = deque(maxlen=LOG_LIMIT)
        self.datacube_seeds: dict[tuple[str, str], list[dict[str, object]]] = {}
        self.datacube_timing = Timing()
        # From the clock, 10,000 a millisecond: a fresh emulator must not reuse an
        # earlier run's MsgIds, or wxops would answer them as retries of old messages.
        self.last_follower_msg_id = int(self.now() * 1000) * 10_000

    def now(self) -> float:
        return self.clock.now()

    # --- credentials ---------------------------------------------------------

    def check_credentials(self, grant_type: object, appid: object, secret: object) -> None:
        if grant_type != "client_credential":
            raise WeChatError(40002)
        if appid != self.config.app_id:
            raise WeChatError(40013)
        if secret != self.config.app_secret:
            raise WeChatError(40125)

    def check_caller(self, address: str) -> None:
        """40164 for a token fetched from an address not on the IP whitelist, with
        the caller's address in the errmsg as the platform words it."""
        if self.config.ip_whitelist and address not in self.config.ip_whitelist:
            rid = secrets.token_hex(12)
            raise WeChatError(40164, f"invalid ip {address} ipv6 ::ffff:{address}, "
                                     f"not in whitelist rid: {rid[:8]}-{rid[8:16]}-{rid[16:]}")

    def issue_token(self) -> Token:
        return self.tokens.issue(self.now())

    def stable_token(self, force_refresh: bool) -> Token:
        return self.tokens.stable_token(self.now(), force_refresh)

    def authorize(self, access_token: str | None) -> None:
        self.tokens.check(access_token, self.now())

    # --- what followers do (relayed by the control API) ----------------------

    def follower_message(self, openid: str) -> int:
        """Record a follower's message; returns its new, unique MsgId."""
        self.audience.message_from(openid, self.now())
        self.last_follower_msg_id += 1
        return self.last_follower_msg_id

    def follower_event(self, openid: str, event: str) -> None:
        self.audience.event_from(openid, event, self.now())

    # --- messages the account sends --------------------------------------------

    def send_custom(self, openid: str, msgtype: object, payload: dict[str, Any]) -> None:
        if msgtype not in CUSTOM_TYPES or not isinstance(payload.get(str(msgtype)), dict):
            raise WeChatError(40097, "invalid msgtype or body")
        self.audience.use_window(openid, self.now())
        self.audience.deliver(openid, "custom", payload, self.now())

    def send_template(self, openid: str, payload: dict[str, Any]) -> int:
        if not payload.get("template_id") or not isinstance(payload.get("data"), dict):
            raise WeChatError(40097, "template_id and data are required")
        self.audience.require_subscribed(openid)
        self.audience.deliver(openid, "template", payload, self.now())
        msg_id = self.publishing.next_msg_id()
        if self.on_template_sent is not None:
            self.on_template_sent(openid, msg_id)
        return msg_id

    def preview(self, recipient: str, media_id: object, *, is_openid: bool = True) -> int:
        """A draft sent to one phone; a WeChat ID (towxname) is not checked as a follower."""
        draft = self.library.draft(media_id)
        if is_openid:
            self.audience.require_subscribed(recipient)
        payload = {"media_id": draft.media_id, "articles": draft.news_item()}
        self.audience.deliver(recipient, "preview", payload, self.now())
        return self.publishing.next_msg_id()

    def sendall(self, media_id: object, clientmsgid: str, check_quota: Callable[[], None]
                ) -> MassSend:
        """A mass send to every subscribed follower; the same clientmsgid within 24 h
        answers 45065 with the earlier msg_id and sends nothing."""
        earlier = self.publishing.earlier_mass_send(clientmsgid, self.now())
        if earlier is not None:
            raise WeChatError(45065, msg_id=earlier.msg_id)
        draft = self.library.draft(media_id)
        check_quota()
        recipients = self.audience.subscribed()
        sent = self.publishing.record_mass_send(draft, clientmsgid, self.now(), len(recipients))
        payload = {"msg_id": sent.msg_id, "msg_data_id": sent.msg_data_id,
                   "media_id": draft.media_id, "articles": draft.news_item()}
        for openid in recipients:
            self.audience.deliver(openid, "mass", payload, self.now())
        self.comments.register(sent.msg_data_id, _comment_flags(draft.articles))
        if self.on_mass_send is not None:
            self.on_mass_send(sent)
        return sent

    # --- publishing --------------------------------------------------------------

    def submit_publication(self, media_id: object) -> Publication:
        """freepublish/submit: the draft leaves the box; the result is ready after
        the push delay (with an injected publish_status, if any)."""
        self.settle_publications()
        draft = self.library.take_draft(media_id)
        status = self.failures.next_publish_status()
        pub = self.publishing.submit(draft, self.now(), self.config.push_delay, status)
        self.comments.register(pub.msg_data_id, _comment_flags(draft.articles))
        if self.on_publish is not None:
            self.on_publish(pub)
        return pub

    def settle_publications(self) -> None:
        """A failed publication gives its draft back to the draft box."""
        now = self.now()
        for pub in self.publishing.publications.values():
            if pub.settled or now < pub.ready_at:
                continue
            pub.settled = True
            if pub.final_status != 0:
                self.library.drafts[pub.draft.media_id] = pub.draft

    # --- analytics ---------------------------------------------------------------

    def sent_articles(self) -> list[SentArticle]:
        now = self.now()
        rows = [SentArticle(f"{p.msg_data_id}_{i}", str(a.get("title", "")),
                            china_date(p.submitted_at))
                for p in self.publishing.published(now)
                for i, a in enumerate(p.draft.articles, start=1)]
        for sent in self.publishing.mass_sends:
            rows.extend(SentArticle(f"{sent.msg_data_id}_{i}", title, china_date(sent.sent_at),
                                    mass=True)
                        for i, title in enumerate(sent.titles, start=1))
        return rows

    # --- call log ------------------------------------------------------------------

    def log_call(self, method: str, path: str, query: dict[str, str], body: object) -> None:
        """Record a WeChat call; the token and secret values are masked."""
        if isinstance(body, dict):
            body = _masked(body)
        self.calls.append({"time": int(self.now()), "method": method, "path": path,
                           "query": _masked(query), "body": body})


_SECRET_KEYS = frozenset({"access_token", "secret"})


def _masked(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: ("***" if k in _SECRET_KEYS else v) for k, v in fields.items()}


def _comment_flags(articles: list[dict[str, Any]]) -> list[bool]:
    return [bool(a.get("need_open_comment")) for a in articles]
