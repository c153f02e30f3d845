"""Message encryption: the platform's and wechatpy's fixed vectors, replies, keys."""

from __future__ import annotations

import base64

import pytest
import xmltodict
from wechatpy.exceptions import InvalidSignatureException

from bot.crypto import check_msg_signature, decode_aes_key
from bot.protocol import (
    AppIdMismatch,
    DecryptError,
    MessageCrypto,
    msg_signature,
    open_envelope,
)
from tests.harness import wechat
from tests.harness.wechat import WeChatSigner
from tests.unit.protocol_setup import (
    APP_ID,
    KEY,
    NOW,
    OLD_KEY,
    OTHER_KEY,
    SKEW,
    TOKEN,
    build,
    open_,
)

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


def test_a_reply_is_encrypted_with_the_key_that_opened_its_message(
        signer: WeChatSigner) -> None:
    rotated = MessageCrypto(TOKEN, KEY, APP_ID, previous_key=OLD_KEY)
    _, old_body = build(signer, wechat.text("in flight"), "safe", aes_key=OLD_KEY)
    _, new_body = build(signer, wechat.text("fresh"), "safe")
    assert rotated.decrypt_keyed(_encrypt_of(old_body))[1] == 1
    assert rotated.decrypt_keyed(_encrypt_of(new_body))[1] == 0
    reply = rotated.encrypted_reply("<xml>hi</xml>", str(NOW), "123", key=1)
    old_only = MessageCrypto(TOKEN, OLD_KEY, APP_ID)
    assert old_only.decrypt(_encrypt_of(reply.encode())) == b"<xml>hi</xml>"


def _encrypt_of(body: bytes) -> str:
    return str(xmltodict.parse(body)["xml"]["Encrypt"])


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
