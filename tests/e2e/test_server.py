"""The endpoint as WeChat meets it: gunicorn with two workers, over real sockets."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from urllib.parse import urlencode

import xmltodict
from sqlalchemy import func, select

from storage.db import make_engine
from storage.models import InboundMessage, TicketMessage
from tests.e2e.conftest import AES_KEY, APP_ID, SQLITE_ONLY, TOKEN, Server
from tests.harness import wechat as wx
from tests.harness.wechat import WeChatSigner

SIGNER = WeChatSigner(TOKEN, APP_ID, AES_KEY)


def send(server: Server, query: dict[str, str], body: bytes = b"",
         method: str = "POST") -> tuple[int, bytes]:
    request = urllib.request.Request(f"{server.url}/wechat?{urlencode(query)}",
                                     data=body if method == "POST" else None, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def counts(server: Server) -> tuple[int, int]:
    engine = make_engine(server.database_url)
    with engine.connect() as conn:
        result = (int(conn.scalar(select(func.count()).select_from(InboundMessage)) or 0),
                  int(conn.scalar(select(func.count()).select_from(TicketMessage)) or 0))
    engine.dispose()
    return result


# The PostgreSQL half of verification, refusals and chunked bodies is the
# integration tests' (test_endpoint: test_get_verification,
# test_safe_mode_reply_is_encrypted_and_signed; test_endpoint_refusals:
# test_signature_refusals, test_bad_xml_is_400, test_body_over_64_kib_is_413), which
# run on both engines; what only this file adds (gunicorn over sockets) does not
# depend on the engine. Retries across two workers run on both.
@SQLITE_ONLY
def test_verification_and_a_safe_mode_message(server: Server) -> None:
    status, body = send(server, SIGNER.verification_query("hello-echo"), method="GET")
    assert (status, body) == (200, b"hello-echo")
    status, body = send(server, *SIGNER.build(wx.text("你好"), "safe"))
    assert status == 200
    reply = xmltodict.parse(SIGNER.decrypt_reply(body))["xml"]
    assert "T1" in reply["Content"]


def test_concurrent_retries_across_workers_run_once(server: Server) -> None:
    message = wx.text("重试测试", msg_id=42)
    requests = [SIGNER.build(message, "safe") for _ in range(4)]
    replies: list[str] = []
    barrier = threading.Barrier(len(requests))

    def push(query: dict[str, str], body: bytes) -> None:
        barrier.wait()
        status, raw = send(server, query, body)
        assert status == 200
        replies.append(xmltodict.parse(SIGNER.decrypt_reply(raw))["xml"]["Content"])

    threads = [threading.Thread(target=push, args=r) for r in requests]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(replies) == 4 and len(set(replies)) == 1
    assert counts(server) == (1, 1)


@SQLITE_ONLY
def test_hostile_requests_get_4xx_never_5xx(server: Server) -> None:
    query, body = SIGNER.build(wx.text("x", msg_id=7))
    cases = [
        ({**query, "signature": "0" * 40}, body, 403),
        (query, b"<!DOCTYPE x [<!ENTITY a 'b'>]><xml>&a;</xml>", 400),
        (query, b"<xml>" + b"x" * 70_000 + b"</xml>", 413),
    ]
    for q, b, expected in cases:
        assert send(server, q, b)[0] == expected
    assert counts(server) == (0, 0)


@SQLITE_ONLY
def test_a_chunked_push_is_read_and_a_chunked_flood_refused(server: Server) -> None:
    """A body sent without Content-Length (chunked) is read as gunicorn ends it,
    up to the same 64 KiB."""
    query, body = SIGNER.build(wx.text("分块发送", msg_id=8))

    def chunked(payload: bytes) -> int:
        request = urllib.request.Request(f"{server.url}/wechat?{urlencode(query)}",
                                         data=iter([payload[:10], payload[10:]]),
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    assert chunked(b"<xml>" + b"x" * 70_000 + b"</xml>") == 413
    assert chunked(body) == 200
    assert counts(server) == (1, 1)
