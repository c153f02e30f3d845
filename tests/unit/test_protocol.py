"""Inbound protocol: signatures, the three encryption modes, hostile XML, clock skew."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
import xmltodict
from wechatpy.exceptions import InvalidSignatureException

from bot.crypto import check_msg_signature, decode_aes_key
from bot.protocol import (
    AppIdMismatch,
    BadSignature,
    BadXml,
    BodyTooLarge,
    DecryptError,
    InboundEnvelope,
    MessageCrypto,
    ProtocolError,
    ReplayedNonce,
    StaleTimestamp,
    check_signature,
    msg_signature,
    open_envelope,
    parse_xml,
)
from tests.harness import wechat
from tests.harness.wechat import WeChatSigner

TOKEN = "wxopsTestToken"
APP_ID = "wx1234567890abcdef"
KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
OLD_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
OTHER_KEY = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
NOW = 1_700_000_000
SKEW = 300


@pytest.fixture
def signer() -> WeChatSigner:
    return WeChatSigner(TOKEN, APP_ID, KEY)


@pytest.fixture
def crypto() -> MessageCrypto:
    return MessageCrypto(TOKEN, KEY, APP_ID)


def open_(query: dict[str, str], body: bytes, crypto: MessageCrypto | None = None,
          **kwargs: int) -> InboundEnvelope:
    options = {"now": NOW, "max_skew": SKEW, **kwargs}
    return open_envelope(query, body, token=TOKEN, crypto=crypto, **options)


def build(signer: WeChatSigner, message: wechat.Message, mode: wechat.Mode = "plain",
          **kwargs: str) -> tuple[dict[str, str], bytes]:
    return signer.build(message, mode, timestamp=str(NOW), **kwargs)


# --- signatures -------------------------------------------------------------


def test_check_signature_accepts_the_platform_signature(signer: WeChatSigner) -> None:
    query = signer.verification_query("echo", timestamp=str(NOW))
    assert check_signature(TOKEN, query["timestamp"], query["nonce"], query["signature"])


def test_check_signature_refuses_a_wrong_signature(signer: WeChatSigner) -> None:
    query = signer.verification_query("echo", timestamp=str(NOW))
    assert not check_signature("otherToken", query["timestamp"], query["nonce"],
                               query["signature"])
    assert not check_signature(TOKEN, query["timestamp"], query["nonce"], "0" * 40)


@pytest.mark.parametrize("missing", ["token", "timestamp", "nonce", "signature"])
def test_check_signature_refuses_missing_parts(missing: str) -> None:
    parts = {"token": TOKEN, "timestamp": "1", "nonce": "2", "signature": "x"}
    parts[missing] = ""
    assert not check_signature(**parts)


def test_check_signature_does_not_crash_on_non_ascii() -> None:
    assert not check_signature(TOKEN, "1", "2", "签名")


def test_open_envelope_refuses_bad_and_missing_signature(signer: WeChatSigner) -> None:
    query, body = build(signer, wechat.text("hi"))
    with pytest.raises(BadSignature) as info:
        open_({**query, "signature": "f" * 40}, body)
    assert info.value.status == 403
    del query["signature"]
    with pytest.raises(BadSignature):
        open_(query, body)


# --- the three modes ----------------------------------------------------------


def test_plain_mode_round_trip(signer: WeChatSigner) -> None:
    query, body = build(signer, wechat.text("你好 wxops"))
    envelope = open_(query, body)
    assert envelope.mode == "plain"
    assert not envelope.authenticated
    assert not envelope.encrypted
    assert envelope.message["Content"] == "你好 wxops"
    assert envelope.message["FromUserName"] == wechat.FOLLOWER
    assert envelope.raw_xml == body
    assert (envelope.timestamp, envelope.nonce) == (NOW, query["nonce"])
    assert len(envelope.body_hash) == 64


def test_safe_mode_round_trip(signer: WeChatSigner, crypto: MessageCrypto) -> None:
    xml = wechat.text("发布 3")
    query, body = build(signer, xml, "safe")
    assert b"FromUserName" not in body
    envelope = open_(query, body, crypto)
    assert (envelope.mode, envelope.authenticated, envelope.encrypted) == ("safe", True, True)
    assert envelope.message["Content"] == "发布 3"
    assert envelope.raw_xml == xml.encode()


def test_compatible_mode_round_trip(signer: WeChatSigner, crypto: MessageCrypto) -> None:
    query, body = build(signer, wechat.text("hello"), "compatible")
    envelope = open_(query, body, crypto)
    assert (envelope.mode, envelope.authenticated, envelope.encrypted) == (
        "compatible", True, True)
    assert envelope.message["Content"] == "hello"
    assert "Encrypt" not in envelope.message


def test_compatible_mode_ignores_forged_clear_text(
    signer: WeChatSigner, crypto: MessageCrypto
) -> None:
    query, body = build(signer, wechat.text("hello"), "compatible")
    forged = body.replace(wechat.FOLLOWER.encode(), b"o_staff_openid").replace(
        b"hello", b"publish 1")
    envelope = open_(query, forged, crypto)
    assert envelope.message["FromUserName"] == wechat.FOLLOWER
    assert envelope.message["Content"] == "hello"


def test_plain_request_to_an_encrypted_account_is_not_authenticated(
    signer: WeChatSigner, crypto: MessageCrypto
) -> None:
    query, body = build(signer, wechat.text("hi"))
    envelope = open_(query, body, crypto)
    assert (envelope.mode, envelope.authenticated) == ("plain", False)


def test_bad_msg_signature(signer: WeChatSigner, crypto: MessageCrypto) -> None:
    query, body = build(signer, wechat.text("hi"), "safe")
    with pytest.raises(BadSignature):
        open_({**query, "msg_signature": "0" * 40}, body, crypto)
    del query["msg_signature"]
    with pytest.raises(BadSignature):
        open_(query, body, crypto)


def test_aes_without_crypto_configured(signer: WeChatSigner) -> None:
    query, body = build(signer, wechat.text("hi"), "safe")
    with pytest.raises(DecryptError) as info:
        open_(query, body, None)
    assert info.value.status == 403


def test_aes_without_encrypt_element(signer: WeChatSigner, crypto: MessageCrypto) -> None:
    query, body = build(signer, wechat.text("hi"))
    with pytest.raises(DecryptError):
        open_({**query, "encrypt_type": "aes", "msg_signature": "x"}, body, crypto)


def test_unknown_encrypt_type(signer: WeChatSigner, crypto: MessageCrypto) -> None:
    query, body = build(signer, wechat.text("hi"))
    with pytest.raises(DecryptError):
        open_({**query, "encrypt_type": "des"}, body, crypto)


ALL_MESSAGES: dict[str, Callable[[], str]] = {
    "text": lambda: wechat.text("hi"),
    "image": wechat.image,
    "voice": lambda: wechat.voice("语音识别结果"),
    "video": wechat.video,
    "shortvideo": lambda: wechat.video(short=True),
    "location": wechat.location,
    "link": wechat.link,
    "subscribe": wechat.subscribe,
    "subscribe_qrscene": lambda: wechat.subscribe("42"),
    "unsubscribe": wechat.unsubscribe,
    "scan": lambda: wechat.scan("42"),
    "click": lambda: wechat.click("MENU_HELP"),
    "view": lambda: wechat.view("https://example.org/"),
    "publish_one": lambda: wechat.publish_job_finish(1),
    "publish_several": lambda: wechat.publish_job_finish(2, ["https://a", "https://b"]),
    "freepublish_failed": lambda: wechat.publish_job_finish(
        3, status=2, fail_idx=[1, 2], name="FREEPUBLISHJOBFINISH"),
    "masssend": lambda: wechat.mass_send_job_finish(1000001),
    "templatesend": lambda: wechat.template_send_job_finish(2000001),
}


def _as_werobot_sees_it(xml: str) -> object:
    """xmltodict's parse, as WeRoBot does, with None (empty element) as ''."""
    def fix(value: object) -> object:
        if value is None:
            return ""
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fix(v) for v in value]
        return value
    return fix(xmltodict.parse(xml)["xml"])


@pytest.mark.parametrize("mode", ["plain", "compatible", "safe"])
@pytest.mark.parametrize("kind", sorted(ALL_MESSAGES))
def test_every_message_kind_in_every_mode(
    signer: WeChatSigner, crypto: MessageCrypto, kind: str, mode: wechat.Mode
) -> None:
    xml = ALL_MESSAGES[kind]()
    query, body = build(signer, xml, mode)
    envelope = open_(query, body, crypto)
    assert envelope.mode == mode
    assert envelope.message == _as_werobot_sees_it(xml)


# --- fixed vectors ------------------------------------------------------------
# The first set is the platform's own sample (WXBizMsgCrypt, compatible mode);
# the second is test data from wechatpy's tests/test_crypto.py (WeCom, which
# uses the same envelope with the corp id in place of the app id).

SAMPLE_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6"
    "F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T33"
    "2jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCg"
    "avjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6Oewp"
    "usjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)
SAMPLE_BODY = (
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA["
    "oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName><CreateTime>1409735668</CreateTime>"
    "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[abcdteT]]></Content><MsgId>"
    f"6054768590064713728</MsgId><Encrypt><![CDATA[{SAMPLE_ENCRYPT}]]></Encrypt></xml>"
).encode()
SAMPLE_QUERY = {
    "signature": "16120ec1b8dbb870f510d87ce6bc2463eae6ca1a",
    "timestamp": "1409735669",
    "nonce": "1320562132",
    "encrypt_type": "aes",
    "msg_signature": "5d197aaffba7e9b25a30732f161a50dee96bd5fa",
}

WECHATPY_TOKEN = "123456"
WECHATPY_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
WECHATPY_ID = "wx49f0ab532d5d035a"
WECHATPY_INBOUND = (
    "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHC"
    "rsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpX"
    "aG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQi"
    "MS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQi"
    "pvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0="
)
WECHATPY_REPLY = (
    "<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[test]]></Content>\n"
    "<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>\n"
    "<ToUserName><![CDATA[messense]]></ToUserName>\n<AgentID>1</AgentID>\n"
    "<CreateTime>1411525903</CreateTime>\n</xml>"
)
WECHATPY_REPLY_ENCRYPT = (
    "9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNc"
    "BqGsL8GqxlhZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY"
    "0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsV"
    "bwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAG"
    "VRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3"
)


def test_platform_sample_opens_in_compatible_mode() -> None:
    crypto = MessageCrypto("spamtest", KEY, "wx2c2769f8efd9abc2")
    envelope = open_envelope(SAMPLE_QUERY, SAMPLE_BODY, token="spamtest", crypto=crypto,
                             now=1409735669, max_skew=SKEW)
    assert (envelope.mode, envelope.authenticated) == ("compatible", True)
    assert envelope.message["Content"] == "abcdteT"
    assert envelope.message["MsgId"] == "6054768590064713728"
    assert msg_signature("spamtest", "1409735669", "1320562132", SAMPLE_ENCRYPT) == (
        SAMPLE_QUERY["msg_signature"])


def test_wechatpy_inbound_vector() -> None:
    crypto = MessageCrypto(WECHATPY_TOKEN, WECHATPY_KEY, WECHATPY_ID)
    plain = xmltodict.parse(crypto.decrypt(WECHATPY_INBOUND))["xml"]
    assert (plain["Content"], plain["FromUserName"]) == ("test", "messense")
    assert msg_signature(WECHATPY_TOKEN, "1411525903", "461056294", WECHATPY_INBOUND) == (
        "74d92dfeb87ba7c714f89d98870ae5eb62dff26d")


def test_wechatpy_reply_vector() -> None:
    crypto = MessageCrypto(WECHATPY_TOKEN, WECHATPY_KEY, WECHATPY_ID)
    encrypt = crypto.encrypt(WECHATPY_REPLY.encode(), nonce_bytes=b"1234567890123456")
    assert encrypt == WECHATPY_REPLY_ENCRYPT
    assert msg_signature(WECHATPY_TOKEN, "1411525903", "461056294", encrypt) == (
        "407518b7649e86ef23978113f92d27afa9296533")


def test_wechatpy_echo_signature_vector() -> None:
    echo = ("4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7h"
            "OchLF6p+Q==")
    signature = "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96"
    assert check_msg_signature(WECHATPY_TOKEN, "1411443780", "437374425", echo, signature)
    assert not check_msg_signature(WECHATPY_TOKEN, "1411443780", "437374424", echo, signature)


# --- replies ------------------------------------------------------------------


def test_encrypted_reply_reads_back_with_wechatpy(
    signer: WeChatSigner, crypto: MessageCrypto
) -> None:
    reply = "<xml><Content><![CDATA[收到]]></Content></xml>"
    body = crypto.encrypted_reply(reply, str(NOW), "12345")
    assert signer.decrypt_reply(body) == reply
    assert "<TimeStamp>1700000000</TimeStamp>" in body


def test_harness_detects_a_tampered_reply(signer: WeChatSigner, crypto: MessageCrypto) -> None:
    body = crypto.encrypted_reply("<xml/>", str(NOW), "12345").replace("12345", "12346")
    with pytest.raises(InvalidSignatureException):
        signer.decrypt_reply(body)


@pytest.mark.parametrize("nonce", ["", "1]]><x>", "a b"])
def test_encrypted_reply_refuses_unsafe_nonce(crypto: MessageCrypto, nonce: str) -> None:
    with pytest.raises(ValueError):
        crypto.encrypted_reply("<xml/>", str(NOW), nonce)


# --- keys -----------------------------------------------------------------------


def test_key_rotation_tries_the_previous_key(signer: WeChatSigner) -> None:
    query, body = build(signer, wechat.text("in flight"), "safe", aes_key=OLD_KEY)
    with pytest.raises(DecryptError):
        open_(query, body, MessageCrypto(TOKEN, KEY, APP_ID))
    rotated = MessageCrypto(TOKEN, KEY, APP_ID, previous_key=OLD_KEY)
    assert open_(query, body, rotated).message["Content"] == "in flight"


def test_unknown_key_is_a_decrypt_error(signer: WeChatSigner) -> None:
    query, body = build(signer, wechat.text("hi"), "safe", aes_key=OTHER_KEY)
    with pytest.raises(DecryptError):
        open_(query, body, MessageCrypto(TOKEN, KEY, APP_ID, previous_key=OLD_KEY))


def test_wrong_app_id(signer: WeChatSigner, crypto: MessageCrypto) -> None:
    query, body = build(signer, wechat.text("hi"), "safe", app_id="wxsomeoneelse00000")
    with pytest.raises(AppIdMismatch) as info:
        open_(query, body, crypto)
    assert info.value.status == 403


@pytest.mark.parametrize("key", [KEY[:-1], KEY + "A", KEY[:-1] + "=", KEY[:-1] + "-", ""])
def test_bad_encoding_aes_key_is_refused_at_construction(key: str) -> None:
    with pytest.raises(ValueError, match="43 characters"):
        MessageCrypto(TOKEN, key, APP_ID)
    with pytest.raises(ValueError, match="43 characters"):
        MessageCrypto(TOKEN, KEY, APP_ID, previous_key=key or "x")


def test_decode_aes_key_gives_32_bytes() -> None:
    assert len(decode_aes_key(KEY)) == 32


@pytest.mark.parametrize(
    "encrypt", ["", "not base64!", "AAAA", base64.b64encode(b"x" * 40).decode()]
)
def test_undecryptable_input(crypto: MessageCrypto, encrypt: str) -> None:
    with pytest.raises(DecryptError):
        crypto.decrypt(encrypt)


def test_encrypt_decrypt_round_trip_at_block_boundaries(crypto: MessageCrypto) -> None:
    for size in range(0, 70):
        assert crypto.decrypt(crypto.encrypt(b"x" * size)) == b"x" * size


# --- limits and hostile XML -------------------------------------------------------


def test_body_too_large_is_checked_first(signer: WeChatSigner) -> None:
    query, body = build(signer, wechat.text("x" * 70_000))
    with pytest.raises(BodyTooLarge) as info:
        open_({**query, "signature": "bad"}, body)
    assert info.value.status == 413
    small_query, small_body = build(signer, wechat.text("x" * 1000))
    with pytest.raises(BodyTooLarge):
        open_(small_query, small_body, max_body=500)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<xml><Content>&lol4;</Content></xml>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><Content>&xxe;</Content></xml>"""
BARE_DTD = b"""<?xml version="1.0"?><!DOCTYPE xml SYSTEM "http://example.org/x.dtd">
<xml><Content>hi</Content></xml>"""
HOSTILE = {
    "billion_laughs": BILLION_LAUGHS,
    "external_entity": EXTERNAL_ENTITY,
    "dtd": BARE_DTD,
    "harmless_internal_entity": b"""<!DOCTYPE xml [<!ENTITY who "me">]>
<xml><Content>&who;</Content></xml>""",
    "parameter_entity": b"""<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY % remote SYSTEM "http://example.org/evil.dtd"> %remote;]>
<xml><Content>hi</Content></xml>""",
    "dtd_after_a_comment": b"""<?xml version="1.0"?><!-- x --><!DOCTYPE xml>
<xml><Content>hi</Content></xml>""",
    "dtd_in_utf16": '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE xml [<!ENTITY a "b">]>'
                    '<xml><Content>&a;</Content></xml>'.encode("utf-16"),
    "undeclared_entity": b"<xml><Content>&nothing;</Content></xml>",
    "garbage": b"\x00\xffnot xml at all",
    "empty": b"",
    "unclosed": b"<xml><Content>hi</Content>",
    "wrong_root": b"<message><Content>hi</Content></message>",
    "too_deep": b"<xml>" + b"<a>" * 100 + b"x" + b"</a>" * 100 + b"</xml>",
}


def test_markup_inside_cdata_is_text_not_a_dtd() -> None:
    body = b"<xml><Content><![CDATA[<!DOCTYPE x [<!ENTITY a \"b\">]> &a;]]></Content></xml>"
    assert parse_xml(body) == {"Content": '<!DOCTYPE x [<!ENTITY a "b">]> &a;'}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_xml_is_refused(name: str) -> None:
    with pytest.raises(BadXml) as info:
        parse_xml(HOSTILE[name])
    assert info.value.status == 400


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_xml_is_refused_in_every_mode(
    signer: WeChatSigner, crypto: MessageCrypto, name: str
) -> None:
    query, body = build(signer, HOSTILE[name])
    with pytest.raises(BadXml):
        open_(query, body, crypto)
    # Safe mode: the hostile XML arrives inside a properly signed ciphertext.
    query, body = build(signer, HOSTILE[name], "safe")
    with pytest.raises(BadXml):
        open_(query, body, crypto)


# --- clock skew -------------------------------------------------------------------


@pytest.mark.parametrize("offset", [-SKEW - 1, SKEW + 1, -86_400])
def test_stale_timestamp(signer: WeChatSigner, offset: int) -> None:
    query, body = signer.build(wechat.text("hi"), timestamp=str(NOW + offset))
    with pytest.raises(StaleTimestamp) as info:
        open_(query, body)
    assert info.value.status == 403


@pytest.mark.parametrize("offset", [-SKEW, 0, SKEW])
def test_timestamp_within_skew(signer: WeChatSigner, offset: int) -> None:
    query, body = signer.build(wechat.text("hi"), timestamp=str(NOW + offset))
    assert open_(query, body).timestamp == NOW + offset


def test_skew_zero_disables_the_check(signer: WeChatSigner) -> None:
    query, body = signer.build(wechat.text("hi"), timestamp="1409735669")
    assert open_(query, body, max_skew=0).timestamp == 1409735669


@pytest.mark.parametrize("timestamp", ["abc", "-1", "1.5", "١٢٣", "1" * 13])
def test_non_digit_timestamp_is_refused(signer: WeChatSigner, timestamp: str) -> None:
    query, body = signer.build(wechat.text("hi"), timestamp=timestamp)
    with pytest.raises(ProtocolError) as info:
        open_(query, body, max_skew=0)
    assert info.value.status == 403


# --- nested events ------------------------------------------------------------------


def test_publish_event_with_one_item_is_a_dict(signer: WeChatSigner) -> None:
    query, body = build(signer, wechat.publish_job_finish(2247503051))
    info = open_(query, body).message["PublishEventInfo"]
    assert isinstance(info, dict)
    assert info["publish_id"] == "2247503051"
    assert info["article_detail"] == {
        "count": "1",
        "item": {"idx": "1", "article_url": "https://mp.weixin.qq.com/s/article1"},
    }


def test_publish_event_with_several_items_is_a_list() -> None:
    xml = wechat.publish_job_finish(7, ["https://a", "https://b", "https://c"])
    info = parse_xml(xml.encode())["PublishEventInfo"]
    assert isinstance(info, dict)
    detail = info["article_detail"]
    assert isinstance(detail, dict)
    assert detail["item"] == [
        {"idx": "1", "article_url": "https://a"},
        {"idx": "2", "article_url": "https://b"},
        {"idx": "3", "article_url": "https://c"},
    ]


def test_failed_publish_lists_fail_idx() -> None:
    xml = wechat.publish_job_finish(8, status=2, fail_idx=[1, 2], name="FREEPUBLISHJOBFINISH")
    message = parse_xml(xml.encode())
    assert message["Event"] == "FREEPUBLISHJOBFINISH"
    assert message["PublishEventInfo"] == {
        "publish_id": "8", "publish_status": "2", "fail_idx": ["1", "2"]}


def test_empty_elements_are_empty_strings() -> None:
    message = parse_xml(wechat.subscribe().encode())
    assert message["EventKey"] == ""
    assert parse_xml(b"<xml/>") == {}


# --- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "status"),
    [(BadSignature, 403), (BadXml, 400), (BodyTooLarge, 413), (AppIdMismatch, 403),
     (DecryptError, 403), (StaleTimestamp, 403), (ReplayedNonce, 403)],
)
def test_error_statuses(error: type[ProtocolError], status: int) -> None:
    assert issubclass(error, ProtocolError)
    assert error().status == status
    assert error().reason and str(error()) == error().reason
    assert error("specific").reason == "specific"
