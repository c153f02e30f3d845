"""Inbound protocol: signatures, the three encryption modes, hostile XML, clock skew."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import xmltodict

from bot.protocol import (
    AppIdMismatch,
    BadSignature,
    BadXml,
    BodyTooLarge,
    DecryptError,
    MessageCrypto,
    ProtocolError,
    ReplayedNonce,
    StaleTimestamp,
    check_signature,
    parse_xml,
)
from tests.harness import wechat
from tests.harness.wechat import WeChatSigner
from tests.unit.protocol_setup import (
    NOW,
    SKEW,
    TOKEN,
    build,
    open_,
)

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


# Refused for their DTD, before any entity in it is looked at.
WITH_A_DTD = {"billion_laughs", "external_entity", "dtd", "harmless_internal_entity",
              "parameter_entity", "dtd_after_a_comment", "dtd_in_utf16"}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_xml_is_refused(name: str) -> None:
    with pytest.raises(BadXml) as info:
        parse_xml(HOSTILE[name])
    assert info.value.status == 400
    assert ("document type declaration" in str(info.value)) == (name in WITH_A_DTD)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_xml_is_refused_in_every_mode(
    signer: WeChatSigner, crypto: MessageCrypto, name: str
) -> None:
    query, body = build(signer, HOSTILE[name])
    with pytest.raises(BadXml):
        open_(query, body, crypto)
    # The encrypted modes: the hostile XML arrives inside a properly signed ciphertext.
    for mode in ("safe", "compatible"):
        query, body = build(signer, HOSTILE[name], mode)
        with pytest.raises(BadXml):
            open_(query, body, crypto)


TEXT_FIELDS = {"ToUserName": wechat.ACCOUNT, "FromUserName": wechat.FOLLOWER,
               "CreateTime": NOW, "MsgType": "text", "Content": "你好", "MsgId": 1}


@pytest.mark.parametrize("field", ["ToUserName", "FromUserName", "CreateTime", "MsgType"])
@pytest.mark.parametrize("mode", ["plain", "safe", "compatible"])
def test_a_push_without_a_required_field_is_refused(
    signer: WeChatSigner, crypto: MessageCrypto, field: str, mode: wechat.Mode
) -> None:
    """Without a sender there is nobody to answer; without the rest, no retry to
    recognise. WeChat sends all four with every push; an empty one counts as missing."""
    without = {k: v for k, v in TEXT_FIELDS.items() if k != field}
    for message in (without, {**TEXT_FIELDS, field: " "}):
        query, body = build(signer, wechat.message_xml(message), mode)
        with pytest.raises(BadXml, match=f"without {field}"):
            open_(query, body, crypto)


@pytest.mark.parametrize("mode", ["plain", "safe", "compatible"])
def test_control_characters_wechat_leaves_raw_are_dropped_not_refused(
    signer: WeChatSigner, crypto: MessageCrypto, mode: wechat.Mode
) -> None:
    """XML 1.0 forbids the C0 controls but TAB, LF and CR; WeChat leaves a follower's
    raw inside the CDATA (WeRoBot #420, easywechat #1419): dropped, as the follower
    could not see them, rather than the message refused and lost."""
    xml = wechat.message_xml({**TEXT_FIELDS,
                              "Content": "a\x1db\x02c\x10\x00d\te\ufffef\uffff😀"})
    query, body = build(signer, xml, mode)
    assert open_(query, body, crypto).message["Content"] == "abcd\tef😀"


def test_dropping_control_characters_mends_nothing_else() -> None:
    with pytest.raises(BadXml, match="malformed"):
        parse_xml(b"<xml><Content>\x1d</Content>")  # still unclosed
    with pytest.raises(BadXml, match="document type declaration"):
        parse_xml(b'\x01<!DOCTYPE xml [<!ENTITY a "b">]><xml><Content>&a;</Content></xml>')


@pytest.mark.parametrize("field", ["ToUserName", "FromUserName"])
def test_an_over_long_openid_or_account_is_refused(signer: WeChatSigner, field: str) -> None:
    query, body = build(signer, wechat.message_xml({**TEXT_FIELDS, field: "o" * 65}))
    with pytest.raises(BadXml, match=f"{field} longer than 64"):
        open_(query, body)
    query, body = build(signer, wechat.message_xml({**TEXT_FIELDS, field: "o" * 64}))
    assert open_(query, body).message[field] == "o" * 64


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


def test_leaf_text_is_stripped_as_xmltodict_strips_it() -> None:
    body = (b"<xml><MsgType> <![CDATA[event]]> </MsgType>\n"
            b"<Content><![CDATA[  two words  ]]></Content><Event>\n  CLICK\n</Event></xml>")
    assert parse_xml(body) == {"MsgType": "event", "Content": "two words", "Event": "CLICK"}


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
