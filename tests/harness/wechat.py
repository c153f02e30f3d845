"""Build requests the way the WeChat platform pushes them, and read encrypted replies.

Encryption and signatures here come from wechatpy, an implementation
independent of `bot.protocol`/`bot.crypto`: a test that passes proves the two
agree, not that our code agrees with itself.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping, Sequence
from typing import Literal
from xml.parsers.expat import ExpatError

import xmltodict
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.utils import WeChatSigner as _Sha1Signer

Mode = Literal["plain", "compatible", "safe"]
Message = Mapping[str, object] | str | bytes

ACCOUNT = "gh_0123456789ab"
FOLLOWER = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
# PUBLISHJOBFINISH and other system events come from this sender.
SYSTEM_SENDER = "oV5CrjpxgaGXNHIQigzNlgLTnwic"
CREATE_TIME = 1_700_000_000


def _sha1(*parts: str) -> str:
    signer = _Sha1Signer()
    signer.add_data(*parts)
    return str(signer.signature)


def _nonce() -> str:
    return str(secrets.randbelow(10**10))


class WeChatSigner:
    """Signs (and encrypts) inbound requests as the platform does for one account."""

    def __init__(self, token: str, app_id: str, aes_key: str | None = None) -> None:
        self.token = token
        self.app_id = app_id
        self.aes_key = aes_key

    def verification_query(self, echostr: str, timestamp: str | None = None) -> dict[str, str]:
        """Query of the GET that verifies the server URL."""
        timestamp = timestamp or str(int(time.time()))
        nonce = _nonce()
        signature = _sha1(self.token, timestamp, nonce)
        return {"signature": signature, "echostr": echostr, "timestamp": timestamp, "nonce": nonce}

    def build(
        self,
        message: Message,
        mode: Mode = "plain",
        *,
        timestamp: str | None = None,
        nonce: str | None = None,
        aes_key: str | None = None,
        app_id: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """(query, body) of the POST WeChat sends for `message` in `mode`.

        `aes_key` and `app_id` override the account's, to test key rotation and
        messages meant for another account.
        """
        xml = _as_bytes(message)
        timestamp = timestamp or str(int(time.time()))
        nonce = nonce or _nonce()
        query = {
            "signature": _sha1(self.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
        }
        fields = _fields(xml)
        if isinstance(fields.get("FromUserName"), str):
            query["openid"] = str(fields["FromUserName"])  # WeChat adds it to every POST
        if mode == "plain":
            return query, xml
        encrypt = self._encrypt(xml, aes_key or self.aes_key, app_id or self.app_id)
        query["encrypt_type"] = "aes"
        query["msg_signature"] = _sha1(self.token, timestamp, nonce, encrypt)
        return query, _encrypted_body(xml, fields, encrypt, mode)

    def decrypt_reply(self, body: bytes | str, aes_key: str | None = None) -> str:
        """Plaintext of a safe-mode reply, after checking its MsgSignature and app id;
        `aes_key` overrides the account's key.

        Raises wechatpy's InvalidSignatureException or InvalidAppIdException.
        """
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        reply = xmltodict.parse(text)["xml"]
        crypto = WeChatCrypto(self.token, self._require_key(aes_key or self.aes_key),
                              self.app_id)
        plain = crypto.decrypt_message(
            reply, reply["MsgSignature"], reply["TimeStamp"], reply["Nonce"]
        )
        return str(plain)

    def _encrypt(self, xml: bytes, aes_key: str | None, app_id: str) -> str:
        crypto = WeChatCrypto(self.token, self._require_key(aes_key), app_id)
        return bytes(PrpCrypto(crypto.key).encrypt(xml, app_id)).decode("ascii")

    @staticmethod
    def _require_key(aes_key: str | None) -> str:
        if aes_key is None:
            raise ValueError("encrypted modes need an aes_key")
        return aes_key


def _as_bytes(message: Message) -> bytes:
    # Raw bytes pass through untouched so tests can send bodies that are not UTF-8.
    if isinstance(message, bytes):
        return message
    if isinstance(message, str):
        return message.encode("utf-8")
    return message_xml(message).encode("utf-8")


def _fields(xml: bytes) -> dict[str, object]:
    try:
        # xmltodict refuses entity declarations by default, so hostile test
        # bodies cannot expand here.
        parsed = xmltodict.parse(xml)
    except (ExpatError, ValueError):  # broken or hostile XML under test: sign it anyway
        return {}
    root = parsed.get("xml") if isinstance(parsed, dict) else None
    return dict(root) if isinstance(root, dict) else {}


def _encrypted_body(xml: bytes, fields: Mapping[str, object], encrypt: str, mode: Mode) -> bytes:
    to_user = _cdata(str(fields.get("ToUserName", ACCOUNT)))
    encrypt_element = f"<Encrypt>{_cdata(encrypt)}</Encrypt>"
    if mode == "safe":
        return f"<xml><ToUserName>{to_user}</ToUserName>{encrypt_element}</xml>".encode()
    # Compatible mode: the plaintext message with <Encrypt> appended inside <xml>.
    head, _, _ = xml.rstrip().rpartition(b"</xml>")
    return head + encrypt_element.encode() + b"</xml>"


# --- message XML -------------------------------------------------------------


def _cdata(text: str) -> str:
    # "]]>" cannot appear inside CDATA; split it across two sections.
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _render(tag: str, value: object) -> str:
    if isinstance(value, Mapping):
        inner = "".join(_render(k, v) for k, v in value.items())
        return f"<{tag}>{inner}</{tag}>"
    if isinstance(value, list | tuple):
        return "".join(_render(tag, item) for item in value)
    if isinstance(value, bool | int):
        return f"<{tag}>{int(value)}</{tag}>"
    return f"<{tag}>{_cdata(str(value))}</{tag}>"


def message_xml(fields: Mapping[str, object]) -> str:
    """WeChat-style XML: strings in CDATA, numbers bare, a list repeats its tag."""
    return "<xml>" + "".join(_render(k, v) for k, v in fields.items()) + "</xml>"


def _base(msg_type: str, sender: str, create_time: int) -> dict[str, object]:
    return {
        "ToUserName": ACCOUNT,
        "FromUserName": sender,
        "CreateTime": create_time,
        "MsgType": msg_type,
    }


def text(content: str, *, sender: str = FOLLOWER, msg_id: int = 23_000_000_000_000_001,
         create_time: int = CREATE_TIME) -> str:
    return message_xml({**_base("text", sender, create_time), "Content": content, "MsgId": msg_id})


def image(*, sender: str = FOLLOWER, msg_id: int = 23_000_000_000_000_002,
          create_time: int = CREATE_TIME) -> str:
    fields = {"PicUrl": "http://mmbiz.qpic.cn/example.jpg", "MediaId": "media_image_1"}
    return message_xml({**_base("image", sender, create_time), **fields, "MsgId": msg_id})


def voice(recognition: str = "", *, sender: str = FOLLOWER,
          msg_id: int = 23_000_000_000_000_003, create_time: int = CREATE_TIME) -> str:
    fields = {"MediaId": "media_voice_1", "Format": "amr", "Recognition": recognition}
    return message_xml({**_base("voice", sender, create_time), **fields, "MsgId": msg_id})


def video(*, short: bool = False, sender: str = FOLLOWER,
          msg_id: int = 23_000_000_000_000_004, create_time: int = CREATE_TIME) -> str:
    fields = {"MediaId": "media_video_1", "ThumbMediaId": "media_thumb_1", "MsgId": msg_id}
    msg_type = "shortvideo" if short else "video"
    return message_xml({**_base(msg_type, sender, create_time), **fields})


def location(x: str = "23.134521", y: str = "113.358803", label: str = "广州市天河区",
             *, sender: str = FOLLOWER, msg_id: int = 23_000_000_000_000_005,
             create_time: int = CREATE_TIME) -> str:
    fields = {"Location_X": x, "Location_Y": y, "Scale": 20, "Label": label, "MsgId": msg_id}
    return message_xml({**_base("location", sender, create_time), **fields})


def link(url: str = "https://example.org/a", title: str = "标题", *, sender: str = FOLLOWER,
         msg_id: int = 23_000_000_000_000_006, create_time: int = CREATE_TIME) -> str:
    fields = {"Title": title, "Description": "描述", "Url": url, "MsgId": msg_id}
    return message_xml({**_base("link", sender, create_time), **fields})


def event(name: str, *, sender: str = FOLLOWER, create_time: int = CREATE_TIME,
          **extra: object) -> str:
    """Any event; `extra` fields follow Event in the order given."""
    return message_xml({**_base("event", sender, create_time), "Event": name, **extra})


def subscribe(scene: str | None = None, *, sender: str = FOLLOWER,
              create_time: int = CREATE_TIME) -> str:
    """A follow; with `scene`, a follow through a parametric QR code (qrscene_ prefix)."""
    if scene is None:
        return event("subscribe", sender=sender, create_time=create_time, EventKey="")
    return event("subscribe", sender=sender, create_time=create_time,
                 EventKey=f"qrscene_{scene}", Ticket="gQH47joAAAAAAAAAASxodHRwOi8v")


def unsubscribe(*, sender: str = FOLLOWER, create_time: int = CREATE_TIME) -> str:
    return event("unsubscribe", sender=sender, create_time=create_time, EventKey="")


def scan(scene: str, *, sender: str = FOLLOWER, create_time: int = CREATE_TIME) -> str:
    """A follower scanning a parametric QR code: EventKey has no qrscene_ prefix."""
    return event("SCAN", sender=sender, create_time=create_time,
                 EventKey=scene, Ticket="gQH47joAAAAAAAAAASxodHRwOi8v")


def click(key: str, *, sender: str = FOLLOWER, create_time: int = CREATE_TIME) -> str:
    return event("CLICK", sender=sender, create_time=create_time, EventKey=key)


def view(url: str, *, sender: str = FOLLOWER, create_time: int = CREATE_TIME) -> str:
    return event("VIEW", sender=sender, create_time=create_time, EventKey=url, MenuId=1)


def publish_job_finish(
    publish_id: int,
    article_urls: Sequence[str] = ("https://mp.weixin.qq.com/s/article1",),
    *,
    status: int = 0,
    article_id: str = "b5O2OUs25HBxRceL7hfReg-U9QGeq9zQjiDvyWP4Hq4",
    fail_idx: Sequence[int] = (),
    name: str = "PUBLISHJOBFINISH",
    create_time: int = CREATE_TIME,
) -> str:
    """Publish result; `name` may be FREEPUBLISHJOBFINISH, which the docs also use."""
    info: dict[str, object] = {"publish_id": publish_id, "publish_status": status}
    if status == 0:
        items = [{"idx": i, "article_url": url} for i, url in enumerate(article_urls, start=1)]
        info["article_id"] = article_id
        info["article_detail"] = {"count": len(items), "item": items}
    if fail_idx:
        info["fail_idx"] = list(fail_idx)
    return event(name, sender=SYSTEM_SENDER, create_time=create_time, PublishEventInfo=info)


def mass_send_job_finish(msg_id: int, *, status: str = "send success", total: int = 100,
                         sent: int = 98, errors: int = 2, create_time: int = CREATE_TIME) -> str:
    return event("MASSSENDJOBFINISH", sender=SYSTEM_SENDER, create_time=create_time,
                 MsgID=msg_id, Status=status, TotalCount=total, FilterCount=total,
                 SentCount=sent, ErrorCount=errors)


def template_send_job_finish(msg_id: int, *, status: str = "success", sender: str = FOLLOWER,
                             create_time: int = CREATE_TIME) -> str:
    return event("TEMPLATESENDJOBFINISH", sender=sender, create_time=create_time,
                 MsgID=msg_id, Status=status)
