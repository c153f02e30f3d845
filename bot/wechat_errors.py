"""WeChat error codes as typed exceptions, each with the code and message kept."""

from __future__ import annotations

import re

from handlers import texts
from workflow.capabilities import Capability


class WeChatError(Exception):
    """The platform refused a call. ``transient`` errors are worth retrying later."""

    transient = False
    #: What people read about it: a macro of templates/wechat.j2.
    code = "wechat_error"
    #: Words of its own instead (a refusal worded by another catalogue), if any.
    summary: str | None = None

    def __init__(self, errcode: int | None, errmsg: str = "", **extra: object) -> None:
        # No errcode (nothing from WeChat itself): the detail alone, never "None ...".
        super().__init__(f"{errcode} {errmsg}".strip() if errcode is not None else errmsg)
        self.errcode, self.errmsg, self.extra = errcode, errmsg, extra

    @property
    def reason(self) -> str:
        """Chinese, for the person whose action failed."""
        summary = self.summary or texts.phrase("wechat", self.code)
        return texts.phrase("wechat", "reason", summary=summary, errcode=self.errcode)


class InvalidAccessToken(WeChatError):
    code = "invalid_access_token"


class BadCredentials(WeChatError):
    """40013, 40125, 40164: the AppID, the AppSecret or the caller's address
    refused. Transient: a person puts it right (an AppSecret reset in the console
    and not yet in the settings, a new server not yet on the IP whitelist), and a
    message waiting meanwhile goes out then instead of dying at once. Nothing
    was done by the refused call, so repeating it is safe."""

    transient = True
    code = "bad_credentials"


class OutsideReplyWindow(WeChatError):
    code = "outside_reply_window"


class SendLimitExceeded(WeChatError):
    code = "send_limit_exceeded"


class NotSubscribed(WeChatError):
    code = "not_subscribed"


class RateLimited(WeChatError):
    transient = True
    code = "rate_limited"


class PlatformBusy(WeChatError):
    transient = True
    code = "platform_busy"


class NotAuthorised(WeChatError):
    """48001: the account may not call this interface. The gateway names the
    capability the call needs (``gateway.NEEDS``) and the call, when it knows."""

    code = "not_authorised"
    capability: Capability | None = None
    call: str = ""

    @property
    def reason(self) -> str:
        if self.capability is None:
            return super().reason
        summary = texts.phrase("wechat", "lacks_capability", capability=self.capability.value)
        return texts.phrase("wechat", "reason", summary=summary, errcode=self.errcode)


class NotCalled(NotAuthorised):
    """The account lacks the capability the call needs, by the table for its kind
    or as learnt missing (``workflow.capabilities``): wxops asked first and made
    no call. Worded like a 48001, with what wxops does instead; nothing is
    learnt from it (no errcode: the platform was not asked)."""

    code = "not_called"

    def __init__(self, capability: Capability, call: str, kind: str, learnt: bool) -> None:
        super().__init__(None, f"{call}: {capability.value} missing ({kind}), not called")
        self.capability, self.call, self.kind, self.learnt = capability, call, kind, learnt

    @property
    def reason(self) -> str:
        assert self.capability is not None
        return texts.phrase("wechat", "not_called", capability=self.capability.value,
                            call=self.call, kind=self.kind, learnt=self.learnt)


class DuplicateClientMsgId(WeChatError):
    """The mass send with this clientmsgid already happened: not an error for us."""

    code = "duplicate_clientmsgid"


class TransportError(WeChatError):
    """No usable answer, and asking again is safe: the request never reached WeChat
    (the connection could not be made, or an intermediary said it did not pass the
    call on: HTTP 503 or 429), or it only reads (fetching a token).

    ``cause`` (keyword) says what happened, for the reason people read:
    ``unreachable``, ``http`` (with ``status``), ``token``."""

    transient = True
    #: Whether the request may have reached WeChat: the reason then says it cannot
    #: be known whether WeChat got it.
    sent = False
    default_cause = "unreachable"

    @property
    def reason(self) -> str:
        """What happened, in Chinese, from the template catalogue (never "None")."""
        return texts.phrase("outbox", "transport", sent=self.sent,
                            cause=self.extra.get("cause", self.default_cause),
                            status=self.extra.get("status"))


class OutcomeUnknown(TransportError):
    """The request went out and no usable answer came back: a read timeout, a
    connection cut after sending, an intermediary's 502/504 or a page that is not
    WeChat's. WeChat may or may not have acted on it.

    Still transient for calls that are safe to repeat (reads, token fetches, a
    mass send deduped by clientmsgid); the sender parks any other send for a
    person to decide instead of retrying it blindly. ``cause``: ``timeout``,
    ``cut``, ``http`` (with ``status``), ``not_json``, or none known."""

    sent = True
    default_cause = "no_answer"


class InvalidRequest(WeChatError):
    code = "invalid_request"


class InvalidMediaId(InvalidRequest):
    """40007: the platform knows no such media_id (a draft that left the draft box,
    a deleted material)."""

    code = "invalid_media_id"


ERRORS: dict[int, type[WeChatError]] = {
    -1: PlatformBusy,
    40001: InvalidAccessToken, 40014: InvalidAccessToken, 42001: InvalidAccessToken,
    41001: InvalidAccessToken,
    40013: BadCredentials, 40125: BadCredentials, 40164: BadCredentials,
    45015: OutsideReplyWindow,
    45047: SendLimitExceeded,
    43004: NotSubscribed,
    45009: RateLimited, 45011: RateLimited,
    48001: NotAuthorised,
    45065: DuplicateClientMsgId,
    40007: InvalidMediaId,
}


#: 40164's errmsg names the caller's address: "invalid ip 1.2.3.4 ipv6
#: ::ffff:1.2.3.4, not in whitelist rid: ..." (or "... hint: [...]").
_WHITELIST_IP = re.compile(r"invalid ip\s+(?P<v4>[0-9.]+)?\s*(?:ipv6\s+(?P<v6>[0-9A-Fa-f:.]+))?")
_MAPPED = "::ffff:"


def whitelist_ip(errmsg: str) -> str | None:
    """The outbound address WeChat saw, from a 40164's errmsg: the one to add to
    the account's IP whitelist (an IPv4 address mapped into IPv6 as IPv4)."""
    found = _WHITELIST_IP.search(errmsg)
    if found is None:
        return None
    v4, v6 = found["v4"], (found["v6"] or "").rstrip(",.")
    if v4:
        return v4
    if v6.lower().startswith(_MAPPED) and "." in v6:
        return v6[len(_MAPPED):]
    return v6 or None


def error_for(errcode: int | None, errmsg: str = "", **extra: object) -> WeChatError:
    cls = ERRORS.get(errcode, InvalidRequest) if errcode is not None else TransportError
    return cls(errcode, errmsg, **extra)


class ArticleWithKeptImages(WeChatError):
    """Images kept only in wxops (workflow/kept_images.py), which the draft box
    would drop without a word: refused for good, before any call."""

    def __init__(self, item_id: int, count: int) -> None:
        super().__init__(None, texts.phrase("publish_submit", "kept_images", item_id=item_id,
                                            count=count))
        self.summary = texts.phrase("publish_submit", "kept_images_short", count=count)
