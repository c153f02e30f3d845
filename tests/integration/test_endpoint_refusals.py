"""Bad and hostile input: always a 4xx with a reason logged, never a 5xx."""

from __future__ import annotations

import logging
import time

import pytest
from sqlalchemy import Engine, func, select

from storage.models import InboundMessage, InboundNonce
from tests.harness import wechat as wx
from tests.integration.conftest import Account, make_account

BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
                  b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
                  b"<xml><Content>&lol3;</Content></xml>")
XXE = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
       b"<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName>"
       b"<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&e;</Content>"
       b"<MsgId>1</MsgId></xml>")


def stored(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(InboundMessage)) or 0)


def post(account: Account, body: bytes, **query: str) -> int:
    signed, _ = account.client.signer.build(wx.text("x"))
    return account.client.request("POST", {**signed, **query}, body).status


@pytest.mark.parametrize(("body", "reason"), [
    (b"not xml at all", "garbage"),
    (b"<xml><Content>unclosed</xml>", "malformed"),
    (BILLION_LAUGHS, "entity expansion"),
    (XXE, "external entity"),
    (b"<html><body/></html>", "wrong root"),
    (b"", "empty body"),
])
def test_bad_xml_is_400(account: Account, body: bytes, reason: str) -> None:
    assert post(account, body) == 400, reason
    assert stored(account.engine) == 0


def test_signature_refusals(account: Account, caplog: pytest.LogCaptureFixture) -> None:
    query, body = account.client.signer.build(wx.text("伪造"))
    for bad in ({**query, "signature": "f" * 40}, {k: v for k, v in query.items()
                                                   if k != "signature"}):
        with caplog.at_level(logging.WARNING, logger="wxops.endpoint"):
            assert account.client.request("POST", bad, body).status == 403
    assert "127.0.0.1" in caplog.text and "refused 403" in caplog.text


def test_bad_msg_signature_is_403_not_500(account: Account) -> None:
    query, body = account.client.signer.build(wx.text("x"), "safe")
    assert account.client.request("POST", {**query, "msg_signature": "0" * 40}, body).status == 403


def test_ciphertext_for_another_app_is_403(account: Account) -> None:
    query, body = account.client.signer.build(wx.text("x"), "safe", app_id="wx_someone_else")
    assert account.client.request("POST", query, body).status == 403


def test_ciphertext_with_an_unknown_key_is_403(account: Account) -> None:
    unknown = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
    query, body = account.client.signer.build(wx.text("x"), "safe", aes_key=unknown)
    assert account.client.request("POST", query, body).status == 403


def test_body_over_64_kib_is_413(account: Account) -> None:
    big = wx.text("长" * 30_000).encode()
    assert len(big) > 65536
    query, body = account.client.signer.build(big)
    assert account.client.request("POST", query, body).status == 413
    assert account.client.request("POST", query, b"<xml/>", content_length=10**9).status == 413


def test_a_negative_content_length_is_400(account: Account) -> None:
    query, body = account.client.signer.build(wx.text("x"))
    assert account.client.request("POST", query, body, content_length=-5).status == 400


def test_stale_timestamp_is_403_unless_disabled(engine: Engine) -> None:
    old = str(int(time.time()) - 301)
    strict = make_account(engine)
    query, body = strict.client.signer.build(wx.text("旧消息"), timestamp=old)
    assert strict.client.request("POST", query, body).status == 403
    relaxed = make_account(engine, WXOPS_MAX_CLOCK_SKEW="0")
    assert relaxed.client.request("POST", query, body).status == 200


def test_reused_nonce_with_another_body_is_403(account: Account) -> None:
    query, body = account.client.signer.build(wx.text("原始消息", msg_id=1))
    assert account.client.request("POST", query, body).status == 200
    forged = wx.text("发布 12", sender="o_staff_openid", msg_id=2).encode()
    assert account.client.request("POST", query, forged).status == 403
    again = account.client.request("POST", query, body)  # a genuine retry: same body
    assert again.status == 200 and "T1" in again.text
    assert stored(account.engine) == 1


def test_in_safe_mode_msg_signature_guards_the_pair(account: Account) -> None:
    """msg_signature binds the encrypted body to the pair; the pair is remembered
    all the same, for a plain-mode push that brings it back (below)."""
    query, body = account.client.signer.build(wx.text("原始消息", msg_id=1), "safe")
    assert account.client.request("POST", query, body).status == 200
    _, other = account.client.signer.build(wx.text("发布 12", msg_id=2), "safe",
                                           timestamp=query["timestamp"], nonce=query["nonce"])
    assert account.client.request("POST", query, other).status == 403
    again = account.client.request("POST", query, body)  # a genuine retry: same body
    assert again.status == 200 and "T1" in account.client.signer.decrypt_reply(again.text)
    assert stored(account.engine) == 1
    with account.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(InboundNonce)) == 1


@pytest.mark.parametrize("mode", ["safe", "compatible"])
def test_an_encrypted_pushs_query_sent_again_in_plain_mode_is_403(
        account: Account, mode: wx.Mode) -> None:
    """Its signature covers only token, timestamp and nonce: without encrypt_type and
    msg_signature (as an access log shows the query) it signs a plain push with any
    body, which the replay guard must refuse as it does a plain push's."""
    query, body = account.client.signer.build(wx.text("原始消息", msg_id=1), mode)
    assert account.client.request("POST", query, body).status == 200
    plain = {k: v for k, v in query.items() if k not in ("encrypt_type", "msg_signature")}
    forged = wx.unsubscribe(sender="o_victim_openid").encode()
    assert account.client.request("POST", plain, forged).status == 403
    again = account.client.request("POST", query, body)  # WeChat's retry: still a retry
    assert again.status == 200
    assert stored(account.engine) == 1


@pytest.mark.parametrize("mode", ["safe", "compatible"])
def test_an_encrypted_push_is_not_refused_for_a_pair_a_plain_push_took_first(
        account: Account, mode: wx.Mode) -> None:
    """msg_signature vouches for an encrypted body: a forged plain push that got its
    pair in first (a query seen before it arrived) must not cost WeChat's push."""
    query, body = account.client.signer.build(wx.text("原始消息", msg_id=1), mode)
    plain = {k: v for k, v in query.items() if k not in ("encrypt_type", "msg_signature")}
    assert account.client.request("POST", plain, wx.unsubscribe().encode()).status == 200
    genuine = account.client.request("POST", query, body)
    assert genuine.status == 200 and "T1" in account.client.signer.decrypt_reply(genuine.text)
    assert stored(account.engine) == 2


def _push_fields(**fields: object) -> str:
    return wx.message_xml({"ToUserName": wx.ACCOUNT, "FromUserName": wx.FOLLOWER,
                           "CreateTime": 1_700_000_000, **fields})


@pytest.mark.parametrize("message", [
    _push_fields(MsgType="text", Content="你好", MsgId="9" * 500),
    _push_fields(MsgType="event", Event="E" * 500),
    _push_fields(MsgType="event", Event="subscribe", CreateTime="9" * 40),
    _push_fields(MsgType="event", Event="subscribe", CreateTime="-" + "9" * 40),
    _push_fields(MsgType="event", Event="CLICK", EventKey="k" * 5000),
    _push_fields(MsgType="voice", Recognition="长" * 20_000, MsgId=2),
    _push_fields(MsgType="text", Content="你好", MsgId="²³"),
], ids=["msgid", "event", "createtime", "negative-createtime", "eventkey",
        "recognition", "unicode-digits"])
def test_oversized_fields_are_recorded_once_not_a_5xx(account: Account, message: str) -> None:
    """WeChat never sends these, but a forged plain-mode body can: no 5xx, and a
    retry of the same body is still answered as a retry."""
    first = account.client.push(message)
    again = account.client.push(message)
    assert (first.status, again.status) == (200, 200) and again.text == first.text
    with account.engine.connect() as conn:
        errors = list(conn.scalars(select(InboundMessage.error)))
    assert errors == [""]  # stored once, and handled without an error


def test_an_over_long_openid_is_refused_and_not_recorded(account: Account) -> None:
    """Openids are 28 characters; one that would not fit its column is not WeChat's."""
    message = _push_fields(MsgType="text", Content="你好", MsgId=1, FromUserName="o" * 500)
    assert account.client.push(message).status == 400
    assert stored(account.engine) == 0


def test_other_methods_and_paths(account: Account) -> None:
    query, body = account.client.signer.build(wx.text("x"))
    for method in ("PUT", "DELETE", "OPTIONS", "PATCH"):
        refused = account.client.request(method, query, body)
        assert (refused.status, refused.headers.get("Allow")) == (405, "GET, POST"), method
    assert account.client.request("POST", query, body, path="/other").status == 404


def test_non_numeric_timestamp_is_refused(account: Account) -> None:
    query, body = account.client.signer.build(wx.text("x"), timestamp="12ab")
    assert account.client.request("POST", query, body).status == 403


def test_a_push_that_cannot_be_recorded_is_not_acknowledged() -> None:
    """Database down: 503, not "success", so WeChat retries instead of losing the push."""
    from sqlalchemy import create_engine

    broken = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none",
                           connect_args={"connect_timeout": 1})
    account = make_account(broken)
    query, body = account.client.signer.build(wx.text("数据库坏了"))
    assert account.client.request("POST", query, body).status == 503


def test_pushes_carry_on_after_the_database_dropped_its_connections(
        engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    """A PostgreSQL restart (here: every connection terminated) costs no push: the
    endpoint's kept connection fails, the push is recorded on a new one from the
    pool (checked before use), and the answer is not a 503."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server to restart")
    account = make_account(engine)
    assert account.client.push(wx.text("重启前", msg_id=1)).status == 200
    outside = create_engine(engine.url, poolclass=NullPool)  # not one of the pooled ones
    with outside.connect() as admin:
        # With a timeout, each call waits until that backend has gone.
        admin.execute(text("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
                           " WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    outside.dispose()
    assert account.client.push(wx.text("重启后", msg_id=2)).status == 200
    assert "passing database fault" in caplog.text  # the kept connection was the dead one
    assert stored(engine) == 2


def test_a_push_the_driver_refuses_is_not_acknowledged(engine: Engine) -> None:
    """An error from the driver itself on the hot path (here: the log is gone) is a
    503 like any database failure, not a 500 with a stack trace."""
    from sqlalchemy import text

    account = make_account(engine)
    assert account.client.push(wx.text("之前", msg_id=1)).status == 200
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE inbound_messages RENAME TO inbound_messages_away"))
    try:
        query, body = account.client.signer.build(wx.text("之后", msg_id=2))
        assert account.client.request("POST", query, body).status == 503
    finally:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE inbound_messages_away RENAME TO inbound_messages"))
    assert account.client.push(wx.text("之后", msg_id=2)).status == 200
    assert stored(engine) == 2
