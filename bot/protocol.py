"""Inbound protocol of the WeChat endpoint: checks a pushed request, opens it, parses it.

Pure: no database, no network, and the clock only as the `now` argument. The
replay guard lives with the database; `InboundEnvelope` carries what it needs
(timestamp, nonce, body_hash).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from xml.etree.ElementTree import Element, ParseError, TreeBuilder, XMLParser

from bot.crypto import (
    AppIdMismatch,
    DecryptError,
    MessageCrypto,
    ProtocolError,
    check_msg_signature,
    check_signature,
    msg_signature,
)

__all__ = [
    "AppIdMismatch",
    "BadSignature",
    "BadXml",
    "BodyTooLarge",
    "DecryptError",
    "InboundEnvelope",
    "MessageCrypto",
    "Mode",
    "ProtocolError",
    "ReplayedNonce",
    "StaleTimestamp",
    "check_msg_signature",
    "check_signature",
    "check_verification",
    "msg_signature",
    "open_envelope",
    "parse_xml",
]

Mode = Literal["plain", "compatible", "safe"]

MAX_BODY = 65536
MAX_ACCOUNT_ID = 64  # openids and gh_ ids; the width of the columns that keep them
# WeChat's deepest messages (mass-send results) nest about five levels; a cap
# keeps the recursive conversion far from Python's recursion limit.
_MAX_DEPTH = 16
# Twelve digits reach the year 33658; longer values are not WeChat timestamps.
_TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")
# Every push carries these (WECHAT.md).
_REQUIRED_FIELDS = ("ToUserName", "FromUserName", "CreateTime", "MsgType")
# Safe-mode bodies carry only these; anything else means compatible mode.
_SAFE_MODE_FIELDS = frozenset({"ToUserName", "Encrypt"})
# The C0 controls XML 1.0 forbids (all but TAB, LF and CR). WeChat does not
# escape them: a follower's text with one (U+001D, U+0002, U+0010 have been
# seen) arrives raw inside its CDATA, in the clear text and in the ciphertext
# (WeRoBot #420, easywechat #1419, silenceper/wechat #750). In UTF-8 these
# bytes are only ever those characters, never part of another.
_XML_FORBIDDEN_CONTROLS = bytes(c for c in range(0x20) if c not in b"\t\n\r")
# The two non-characters XML 1.0 forbids as well, U+FFFE and U+FFFF, in UTF-8.
_XML_FORBIDDEN_NONCHARACTERS = re.compile(b"\xef\xbf[\xbe\xbf]")


class BadSignature(ProtocolError):
    status = 403
    reason = "bad signature"


class BadXml(ProtocolError):
    status = 400
    reason = "malformed or forbidden XML"


class BodyTooLarge(ProtocolError):
    status = 413
    reason = "request body too large"


class StaleTimestamp(ProtocolError):
    status = 403
    reason = "timestamp outside the allowed clock skew"


class ReplayedNonce(ProtocolError):
    """Raised by the replay guard (with the database), not by this module."""

    status = 403
    reason = "timestamp and nonce already used with another body"


@dataclass(frozen=True, slots=True)
class InboundEnvelope:
    """A checked inbound request.

    `authenticated` is True only when the message fields come from a ciphertext
    whose msg_signature verified; only then is FromUserName proof of the sender.
    `encrypted` says the reply must be encrypted too, with the EncodingAESKey
    that opened the request: `aes_key` 0 the current one, 1 the previous.
    """

    mode: Mode
    authenticated: bool
    message: dict[str, object]
    raw_xml: bytes
    timestamp: int
    nonce: str
    body_hash: str
    encrypted: bool
    aes_key: int = 0


class _ForbiddenDtd(Exception):
    pass


class _NoDtdTreeBuilder(TreeBuilder):
    """The standard tree builder, refusing any document type declaration.

    Entities, internal or external, can only be declared in a DTD, so with
    DTDs refused (as defusedxml's ``forbid_dtd`` does) there is nothing to
    expand and nothing to fetch: an undeclared entity is a parse error. The
    parse itself stays in ElementTree's C parser: 9 us for a text message,
    where defusedxml's pure-Python parser takes 19.
    """

    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        raise _ForbiddenDtd(name)


def parse_xml(body: bytes) -> dict[str, object]:
    """The children of the `<xml>` root as a dict, shaped like xmltodict's output.

    Leaves become their text stripped of surrounding whitespace, as xmltodict
    (and so WeRoBot and wechatpy) gives it: some of WeChat's own samples pad
    their CDATA, ``<MsgType> <![CDATA[event]]> </MsgType>`` ("" when empty,
    where xmltodict gives None);
    an element with children becomes a dict; a repeated tag becomes a list.
    Attributes are ignored: WeChat does not use them.
    """
    try:
        root = _parse_root(body)
    except ParseError as exc:
        # A control character WeChat left raw: parsed again without them (the
        # follower cannot see them either), rather than refused, which would
        # lose the message and show the follower the account as out of service.
        # Only on a failed parse, so a well-formed push costs nothing more.
        cleaned = _XML_FORBIDDEN_NONCHARACTERS.sub(
            b"", body.translate(None, _XML_FORBIDDEN_CONTROLS))
        if cleaned == body:
            raise BadXml("malformed XML") from exc
        try:
            root = _parse_root(cleaned)
        except ParseError as again:
            raise BadXml("malformed XML") from again
    if root.tag != "xml":
        raise BadXml("root element must be <xml>")
    fields = _element_value(root, depth=0)
    return fields if isinstance(fields, dict) else {}


def _parse_root(body: bytes) -> Element:
    """The root element; `ParseError` for XML that is not well formed."""
    parser = XMLParser(target=_NoDtdTreeBuilder())
    try:
        parser.feed(body)
        root: Element = parser.close()
    except _ForbiddenDtd as exc:
        raise BadXml("forbidden XML construct: a document type declaration") from exc
    except (ValueError, LookupError) as exc:
        raise ParseError(str(exc)) from exc
    return root


def _element_value(element: Element, depth: int) -> object:
    children = list(element)
    if not children:
        return element.text.strip() if element.text else ""
    if depth >= _MAX_DEPTH:
        raise BadXml("XML nested too deeply")
    result: dict[str, object] = {}
    for child in children:
        value = _element_value(child, depth + 1)
        if child.tag not in result:
            result[child.tag] = value
            continue
        # A single value is never a list, so a list here is one we built.
        previous = result[child.tag]
        if isinstance(previous, list):
            previous.append(value)
        else:
            result[child.tag] = [previous, value]
    return result


def _message(fields: dict[str, object]) -> dict[str, object]:
    """A push as WeChat sends every one: sender, account, time and type present,
    and openid and account id of a sensible length (openids are 28 characters).

    A body without them (only a forger sends one) could not be answered or
    told apart from its retries, so it is refused like malformed XML; an
    over-long id would not fit the columns that store it.
    """
    for name in _REQUIRED_FIELDS:
        value = fields.get(name)
        if not isinstance(value, str) or not value.strip():
            raise BadXml(f"push without {name}")
        if name in ("ToUserName", "FromUserName") and len(value) > MAX_ACCOUNT_ID:
            raise BadXml(f"{name} longer than {MAX_ACCOUNT_ID} characters")
    return fields


def check_verification(query: Mapping[str, str], *, token: str, now: int,
                       max_skew: int) -> str:
    """The echostr of a GET that verifies the server's URL, once its signature and
    timestamp check out as a push's do: a captured URL does not verify forever."""
    timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
    if not check_signature(token, timestamp, nonce, query.get("signature", "")):
        raise BadSignature("bad signature on verification")
    _issued_at(timestamp, now, max_skew)
    return query.get("echostr", "")


def open_envelope(
    query: Mapping[str, str],
    body: bytes,
    *,
    token: str,
    crypto: MessageCrypto | None,
    now: int,
    max_skew: int,
    max_body: int = MAX_BODY,
) -> InboundEnvelope:
    """Check and open a pushed request, cheapest and most general checks first.

    Order: size, signature, timestamp skew (`max_skew` 0 disables), mode,
    msg_signature, decryption, parsing. Raises a `ProtocolError` subclass.
    """
    if len(body) > max_body:
        raise BodyTooLarge()
    timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
    if not check_signature(token, timestamp, nonce, query.get("signature", "")):
        raise BadSignature()
    issued = _issued_at(timestamp, now, max_skew)
    body_hash = hashlib.sha256(body).hexdigest()
    if not _wants_aes(query):
        return InboundEnvelope(
            "plain", False, _message(parse_xml(body)), body, issued, nonce, body_hash, False
        )
    if crypto is None:
        raise DecryptError("encrypt_type=aes but no EncodingAESKey is configured")
    mode, raw_xml, aes_key = _decrypt_body(query, body, token=token, crypto=crypto)
    # Compatible mode also carries the fields in clear text, but nothing signs
    # them: anyone who saw one request could pair its query with forged fields.
    # So both encrypted modes take the message from the decrypted payload, which
    # msg_signature covers (a mismatch raised above), and count as authenticated.
    message = _message(parse_xml(raw_xml))
    return InboundEnvelope(mode, True, message, raw_xml, issued, nonce, body_hash, True,
                           aes_key)


def _issued_at(timestamp: str, now: int, max_skew: int) -> int:
    if not _TIMESTAMP_RE.fullmatch(timestamp):
        raise StaleTimestamp("timestamp is not a decimal integer")
    issued = int(timestamp)
    if max_skew > 0 and abs(now - issued) > max_skew:
        raise StaleTimestamp()
    return issued


def _wants_aes(query: Mapping[str, str]) -> bool:
    encrypt_type = query.get("encrypt_type", "")
    if encrypt_type in ("", "raw"):
        return False
    if encrypt_type == "aes":
        return True
    raise DecryptError(f"unsupported encrypt_type {encrypt_type[:16]!r}")


def _decrypt_body(
    query: Mapping[str, str], body: bytes, *, token: str, crypto: MessageCrypto
) -> tuple[Mode, bytes, int]:
    outer = parse_xml(body)
    encrypt = outer.get("Encrypt")
    if not isinstance(encrypt, str) or not encrypt:
        raise DecryptError("encrypt_type=aes but the body has no Encrypt element")
    # Verified before decrypting so that unsigned input never reaches the
    # cipher: no padding oracle, and key rotation cannot be probed.
    timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
    if not check_msg_signature(token, timestamp, nonce, encrypt, query.get("msg_signature", "")):
        raise BadSignature("bad msg_signature")
    mode: Mode = "safe" if outer.keys() <= _SAFE_MODE_FIELDS else "compatible"
    return (mode, *crypto.decrypt_keyed(encrypt))
