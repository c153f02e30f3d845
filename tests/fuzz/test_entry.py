"""Fuzz the WeChat entry (the WSGI app in this process, as gunicorn calls it): query
strings, signatures, XML bodies and encrypted envelopes, random or mutated from
what WeChat sends. Whatever comes, the answer is a 200 or a 4xx, nothing raises out
of the app, and nothing is logged as an error (a handler that failed on odd input
logs one and keeps the push for a person: a bug all the same)."""

from __future__ import annotations

import base64
import logging
import os
import struct
import time
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.crypto import decode_aes_key, msg_signature, signature
from storage import staff
from tests.fuzz.profiles import budget
from tests.harness import wechat as wx
from tests.harness.client import Response
from tests.integration.commanding import NOW
from tests.integration.conftest import AES_KEY, APP_ID, TOKEN, Account, make_account
from workflow.roles import Role

STAFF = "o_fuzz_admin"
SENDERS = [wx.FOLLOWER, STAFF, STAFF, wx.SYSTEM_SENDER]
MSG_TYPES = ["text", "image", "voice", "video", "shortvideo", "location", "link", "event",
             "file", "miniprogrampage"]
EVENTS = ["subscribe", "unsubscribe", "SCAN", "CLICK", "VIEW", "LOCATION", "PUBLISHJOBFINISH",
          "FREEPUBLISHJOBFINISH", "MASSSENDJOBFINISH", "TEMPLATESENDJOBFINISH",
          "kf_create_session", "user_enter_tempsession"]
TAGS = ["Content", "MsgId", "MsgID", "Event", "EventKey", "PicUrl", "MediaId", "Format",
        "Recognition", "ThumbMediaId", "Location_X", "Location_Y", "Scale", "Label", "Title",
        "Description", "Url", "Ticket", "Latitude", "Longitude", "Precision", "Status",
        "PublishEventInfo", "publish_id", "publish_status", "article_id", "article_detail",
        "item", "idx", "article_url", "fail_idx", "count", "TotalCount", "SentCount",
        "ErrorCount", "FilterCount", "KfAccount", "CopyrightCheckResult"]



def mostly(common: st.SearchStrategy[Any], rare: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``common`` nine times in ten: odd input mostly well formed reaches further."""
    return st.integers(0, 9).flatmap(lambda n: rare if n == 0 else common)


#: What a message field may hold: staff commands, numbers of every size, odd unicode,
#: and now and then control characters (which XML itself cannot carry, but WeChat
#: sends raw: the parser drops them, bot.protocol.parse_xml).
WORDS = st.sampled_from(["帮助", "查看 1", "通过 1", "回 T1 好的", "发布 1", "确认 ABCDEF",
                         "绑定 K7M2QX8P", "选题 标题", "排期 1 明天 9:00", "统计 30天",
                         "规则 添加 关键词 回复", "成员 邀请 reviewer", "队列", "结 T1"])
NUMBERS = st.integers(min_value=-(2**70), max_value=2**70).map(str)
XML_TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=40)
VALUES = mostly(st.one_of(XML_TEXT, NUMBERS, WORDS, st.sampled_from(EVENTS + MSG_TYPES)),
                st.text(max_size=20))
FIELDS = st.recursive(VALUES, lambda inner: st.dictionaries(st.sampled_from(TAGS), inner,
                                                            max_size=3), max_leaves=6)


@st.composite
def messages(draw: st.DrawFn) -> dict[str, object]:
    """A message as WeChat might send one, every field open to oddity."""
    msg_type = draw(mostly(st.sampled_from(MSG_TYPES), st.text(max_size=8)))
    fields: dict[str, object] = {
        "ToUserName": draw(mostly(st.just(wx.ACCOUNT), XML_TEXT)),
        "FromUserName": draw(mostly(st.sampled_from(SENDERS), XML_TEXT)),
        "CreateTime": draw(mostly(st.just(str(int(time.time()))), st.one_of(NUMBERS, XML_TEXT))),
        "MsgType": msg_type}
    if msg_type == "event":
        fields["Event"] = draw(mostly(st.sampled_from(EVENTS), XML_TEXT))
    fields |= draw(st.dictionaries(st.sampled_from(TAGS), FIELDS, max_size=5))
    return fields


def render(fields: Mapping[str, object]) -> bytes:
    """The fields as WeChat writes them (strings in CDATA, a dict nested)."""
    return wx.message_xml(fields).encode("utf-8")


@st.composite
def mutated(draw: st.DrawFn, body: bytes) -> bytes:
    """``body`` with a few bytes changed, cut short, or grown."""
    data = bytearray(body)
    for _ in range(draw(st.integers(0, 3))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        how = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        if how == "flip":
            data[at] ^= draw(st.integers(1, 255))
        elif how == "cut":
            del data[at:]
        elif how == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:
            del data[at:at + draw(st.integers(1, 8))]
    return bytes(data)


def signed_query(timestamp: str | None = None, nonce: str | None = None) -> dict[str, str]:
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or os.urandom(6).hex()
    return {"signature": signature(TOKEN, timestamp, nonce), "timestamp": timestamp,
            "nonce": nonce, "openid": wx.FOLLOWER}


class ErrorLog(logging.Handler):
    """Every record at ERROR or above, from any logger."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def errors() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


@pytest.fixture
def fuzzed(engine: Engine) -> Account:
    """The app on a database of each engine, with an admin among the senders (so a
    fuzzed safe-mode text from them goes through the command grammar)."""
    with Session(engine) as session:
        staff.add_staff(session, "fuzz", frozenset({Role.ADMIN}), NOW, openid=STAFF)
        session.commit()
    return make_account(engine)


def answered(account: Account, errors: ErrorLog, method: str, query: dict[str, str],
             body: bytes = b"") -> Response:
    """The answer to one request: 200 or 4xx, with no error logged on the way."""
    errors.records.clear()
    response = account.client.request(method, query, body)
    assert response.status == 200 or 400 <= response.status < 500, response
    assert not errors.records, [r.getMessage() for r in errors.records]
    return response


@budget(300)
@given(method=st.sampled_from(["GET", "POST", "PUT", "HEAD"]),
       query=st.dictionaries(st.sampled_from(["signature", "timestamp", "nonce", "echostr",
                                              "openid", "encrypt_type", "msg_signature"]),
                             st.text(max_size=30), max_size=7),
       body=st.one_of(st.binary(max_size=300), messages().map(render)))
def test_unsigned_requests_are_refused_with_a_4xx(fuzzed: Account, errors: ErrorLog,
                                                   method: str, query: dict[str, str],
                                                   body: bytes) -> None:
    answered(fuzzed, errors, method, query, body)


@budget(100)
@given(timestamp=st.one_of(st.none(), NUMBERS, st.text(max_size=12)),
       nonce=st.one_of(st.none(), st.text(min_size=1, max_size=40)),
       echostr=st.text(max_size=40))
def test_signed_verifications_echo_or_refuse(fuzzed: Account, errors: ErrorLog,
                                             timestamp: str | None, nonce: str | None,
                                             echostr: str) -> None:
    query = signed_query(timestamp, nonce) | {"echostr": echostr}
    answered(fuzzed, errors, "GET", query)


@budget(250)
@given(data=st.data(), message=messages())
def test_signed_plain_messages_of_every_shape_are_answered(
        fuzzed: Account, errors: ErrorLog, data: st.DataObject,
        message: dict[str, object]) -> None:
    """Plain mode: the signature does not cover the body, so a correctly signed
    request may carry any body at all, which reaches the parser and the handlers."""
    body = data.draw(st.one_of(st.just(render(message)), mutated(render(message))))
    answered(fuzzed, errors, "POST", signed_query(), body)


def _aes(plain: bytes) -> str:
    """``plain`` encrypted as WeChat does, but with no padding or layout of ours:
    the test chooses the padding, the length field and the app id."""
    key = decode_aes_key(AES_KEY)
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


@st.composite
def envelopes(draw: st.DrawFn) -> str:
    """An Encrypt value: a real message with a mutated layout (length field, app id,
    padding), or real ciphertext with bytes flipped or cut."""
    xml = render(draw(messages()))
    app_id = draw(st.one_of(st.just(APP_ID), st.text(max_size=20)).map(str.encode))
    length = draw(st.one_of(st.just(len(xml)), st.integers(0, 2**32 - 1)))
    plain = os.urandom(16) + struct.pack(">I", length) + xml + app_id
    pad = 32 - len(plain) % 32
    padding = draw(st.one_of(st.just(bytes([pad]) * pad),
                             st.binary(min_size=pad, max_size=pad)))
    layout = draw(mutated(plain + padding))
    encrypt = _aes(layout[:len(layout) // 16 * 16] or bytes(16))  # whole AES blocks
    if draw(st.booleans()):
        encrypt = base64.b64encode(draw(mutated(base64.b64decode(encrypt)))).decode()
    return str(draw(mostly(st.just(encrypt), mutated(encrypt.encode()).map(
        lambda b: b.decode("latin-1")))))


@budget(250)
@given(encrypt=envelopes(), safe=st.booleans(), resign=mostly(st.just(True), st.just(False)))
def test_mutated_encrypted_envelopes_are_opened_or_refused(
        fuzzed: Account, errors: ErrorLog, encrypt: str, safe: bool, resign: bool) -> None:
    """Safe and compatible mode, signed over the mutated Encrypt (so it reaches the
    cipher) or not."""
    query = signed_query() | {"encrypt_type": "aes"}
    query["msg_signature"] = (msg_signature(TOKEN, query["timestamp"], query["nonce"], encrypt)
                              if resign else "0" * 40)
    outer: dict[str, Any] = {"ToUserName": wx.ACCOUNT, "Encrypt": encrypt}
    if not safe:
        outer |= {"FromUserName": wx.FOLLOWER, "MsgType": "text", "Content": "compatible"}
    answered(fuzzed, errors, "POST", query, wx.message_xml(outer).encode("utf-8"))


@budget(250)
@given(message=messages(), staff_text=st.one_of(WORDS, XML_TEXT))
def test_fuzzed_safe_mode_messages_reach_the_handlers_and_are_answered(
        fuzzed: Account, errors: ErrorLog, message: dict[str, object], staff_text: str) -> None:
    """Authenticated (safe mode) messages of every shape, half of them a staff
    member's text: the command grammar and its handlers answer them all."""
    if message["FromUserName"] == STAFF:
        message = message | {"MsgType": "text", "Content": staff_text}
    query, body = fuzzed.client.signer.build(message, "safe")
    answered(fuzzed, errors, "POST", query, body)
