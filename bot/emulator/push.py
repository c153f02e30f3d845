"""Pushes to the wxops server, signed (and encrypted in safe mode) as WeChat does.

Every push carries `signature/timestamp/nonce/openid` in the query; with an
EncodingAESKey also `encrypt_type=aes&msg_signature` and a safe-mode body. The
query timestamp is real time (the server checks clock skew); CreateTime inside
the message is the emulator's clock, which tests may have moved.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlencode

from bot.crypto import MessageCrypto, check_msg_signature, msg_signature
from bot.emulator.state import EmulatorConfig
from bot.protocol import ProtocolError, parse_xml

PUSH_TIMEOUT = 5.0  # WeChat waits 5 seconds for an answer
PUSH_TRIES = 3

#: The longest Content of a passive text reply WeChat shows, in UTF-8 bytes.
#: The platform's early interface documentation gave "回复的消息内容长度不超过2048字节"
#: for the text reply; measured, 2047 bytes of UTF-8 are shown and 2048 are not
#: (柳峰, 微信公众帐号开发教程第6篇「文本消息的内容长度限制揭秘」, 2013, e.g.
#: cnblogs.com/roam/p/3584299.html; dodgepudding/wechat-php-sdk issue #363 says 2047
#: too). Today's passive-reply page (Message_Management/Passive_user_reply_message)
#: no longer states a length.
PASSIVE_TEXT_MAX_BYTES = 2047
#: What the follower sees instead of a reply WeChat cannot use. The passive-reply page
#: documents this system notice for a reply of "异常数据"; for an over-long text,
#: developers report it too (developers.weixin.qq.com community, 订阅号被动回复消息的
#: 字段约束有哪些?), where the 2013 tutorial saw no answer at all. The emulator shows
#: the notice, so that a test can see the reply was lost.
SYSTEM_NOTICE = "该公众号暂时无法提供服务，请稍后再试"


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _render(tag: str, value: object) -> str:
    if isinstance(value, Mapping):
        return f"<{tag}>" + "".join(_render(k, v) for k, v in value.items()) + f"</{tag}>"
    if isinstance(value, list | tuple):
        return "".join(_render(tag, item) for item in value)
    if isinstance(value, bool | int):
        return f"<{tag}>{int(value)}</{tag}>"
    return f"<{tag}>{_cdata(str(value))}</{tag}>"


def message_xml(fields: Mapping[str, object]) -> str:
    """WeChat-style XML: strings in CDATA, numbers bare, a list repeats its tag."""
    return "<xml>" + "".join(_render(k, v) for k, v in fields.items()) + "</xml>"


def _signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def unshowable(reply: str) -> str | None:
    """Why WeChat would not show this passive reply (its text is too long), or None."""
    if not reply.lstrip().startswith("<"):
        return None  # success, or nothing: WeChat shows nothing and that is fine
    try:
        fields = parse_xml(reply.encode("utf-8"))
    except ProtocolError:
        return None  # not judged here: the emulator relays it as it came
    text = fields.get("Content")
    size = len(text.encode("utf-8")) if isinstance(text, str) else 0
    if fields.get("MsgType", "text") != "text" or size <= PASSIVE_TEXT_MAX_BYTES:
        return None
    return (f"passive text reply of {size} bytes (UTF-8): WeChat shows at most "
            f"{PASSIVE_TEXT_MAX_BYTES}, so the follower sees「{SYSTEM_NOTICE}」instead")


@dataclass(frozen=True)
class PushResult:
    status: int | None  # None: no answer (connection failed or timed out)
    body: bytes
    attempts: int
    error: str | None = None


@dataclass(frozen=True)
class OpenedReply:
    text: str
    encrypted: bool
    error: str | None = None


class Pusher:
    """Sends XML to the configured push-to URL, as the platform would."""

    def __init__(self, config: EmulatorConfig, timeout: float = PUSH_TIMEOUT) -> None:
        self.config = config
        self.timeout = timeout
        self.crypto = (MessageCrypto(config.token, config.encoding_aes_key, config.app_id)
                       if config.encoding_aes_key else None)

    def signed_request(self, xml: str, openid: str) -> tuple[dict[str, str], bytes]:
        """(query, body) of the POST WeChat makes for `xml`."""
        timestamp, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
        query = {"signature": _signature(self.config.token, timestamp, nonce),
                 "timestamp": timestamp, "nonce": nonce, "openid": openid}
        if self.crypto is None:
            return query, xml.encode("utf-8")
        encrypt = self.crypto.encrypt(xml.encode("utf-8"))
        query["encrypt_type"] = "aes"
        query["msg_signature"] = msg_signature(self.config.token, timestamp, nonce, encrypt)
        body = (f"<xml><ToUserName>{_cdata(self.config.account_id)}</ToUserName>"
                f"<Encrypt>{_cdata(encrypt)}</Encrypt></xml>")
        return query, body.encode("utf-8")

    def push(self, xml: str, openid: str, *, retry_on_status: bool) -> PushResult:
        """POST up to PUSH_TRIES times, the same request each time (WeChat retries
        with the same body), while there is no answer, or no 200 if `retry_on_status`."""
        if not self.config.push_to:
            return PushResult(None, b"", 0, "no push-to URL configured")
        query, body = self.signed_request(xml, openid)
        url = f"{self.config.push_to}?{urlencode(query)}"
        result = PushResult(None, b"", 0)
        for attempt in range(1, PUSH_TRIES + 1):
            result = self._post_once(url, body, attempt)
            if result.status == 200 or (result.status is not None and not retry_on_status):
                break
        return result

    def push_copies(self, xml: str, openid: str, urls: list[str]) -> list[PushResult]:
        """The same signed request POSTed once to each of ``urls``, all at the same
        moment: a push and WeChat's retry of it that a load balancer sends to
        another host while the first is still being answered."""
        query, body = self.signed_request(xml, openid)
        with ThreadPoolExecutor(max_workers=len(urls)) as pool:
            return list(pool.map(lambda url: self._post_once(f"{url}?{urlencode(query)}",
                                                             body, 1), urls))

    def _post_once(self, url: str, body: bytes, attempt: int) -> PushResult:
        request = urllib.request.Request(url, data=body, method="POST",
                                         headers={"Content-Type": "text/xml; charset=utf-8"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return PushResult(response.status, response.read(), attempt)
        except urllib.error.HTTPError as exc:
            return PushResult(exc.code, exc.read(), attempt)
        except (urllib.error.URLError, OSError) as exc:
            return PushResult(None, b"", attempt, f"{type(exc).__name__}: {exc}")

    def open_reply(self, body: bytes) -> OpenedReply:
        """A passive reply as the follower would see it: decrypted when it is a
        safe-mode envelope (after checking its MsgSignature), else as sent."""
        text = body.decode("utf-8", "replace")
        if self.crypto is None or "<Encrypt>" not in text:
            return OpenedReply(text, encrypted=False)
        try:
            fields = parse_xml(body)
            encrypt, sig = str(fields.get("Encrypt", "")), str(fields.get("MsgSignature", ""))
            ts, nonce = str(fields.get("TimeStamp", "")), str(fields.get("Nonce", ""))
            if not check_msg_signature(self.config.token, ts, nonce, encrypt, sig):
                return OpenedReply(text, encrypted=True, error="bad MsgSignature in reply")
            plain = self.crypto.decrypt(encrypt).decode("utf-8", "replace")
        except ProtocolError as exc:
            return OpenedReply(text, encrypted=True, error=exc.reason)
        return OpenedReply(plain, encrypted=True)

