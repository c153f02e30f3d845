"""The gateway against the emulator over real sockets, with the token in the database."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
import requests
from sqlalchemy import Engine

from bot.emulator.server import start_in_thread
from bot.emulator.state import EmulatorConfig
from bot.gateway import Gateway
from bot.tokens import fetch_stable_token
from bot.wechat_errors import (
    BadCredentials,
    DuplicateClientMsgId,
    InvalidAccessToken,
    OutcomeUnknown,
    OutsideReplyWindow,
    RateLimited,
    SendLimitExceeded,
    TransportError,
    WeChatError,
)
from storage.tokens import DatabaseTokens
from tests.e2e.conftest import free_port

APP_ID, SECRET = "wx1234567890test", "gateway-secret"
COVER = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")


@pytest.fixture
def emulator() -> Iterator[str]:
    url, stop = start_in_thread(EmulatorConfig(app_id=APP_ID, app_secret=SECRET))
    yield url
    stop()


def gateway(engine: Engine, base: str, secret: str = SECRET) -> Gateway:
    tokens = DatabaseTokens(engine, APP_ID,
                            lambda force: fetch_stable_token(base, APP_ID, secret, force))
    return Gateway(APP_ID, secret, base, tokens)


def control(base: str, path: str, body: dict[str, Any] | None = None) -> Any:
    if body is None:
        return requests.get(f"{base}/_emulator/{path}", timeout=5).json()
    return requests.post(f"{base}/_emulator/{path}", json=body, timeout=5).json()


def calls_to(base: str, path: str) -> int:
    return sum(1 for c in control(base, "calls") if c["path"] == path)


def follower_writes(base: str, openid: str = "o_fan") -> None:
    control(base, "send", {"openid": openid, "text": "你好"})  # relayed: opens the window


def test_every_call_follows_the_configured_base(engine: Engine, emulator: str) -> None:
    gw = gateway(engine, emulator)
    gw.datacube("getusersummary", "2026-11-20", "2026-11-21")
    paths = {c["path"] for c in control(emulator, "calls")}
    assert {"/cgi-bin/stable_token", "/datacube/getusersummary"} <= paths


def test_processes_share_one_token(engine: Engine, emulator: str) -> None:
    first, second = gateway(engine, emulator), gateway(engine, emulator)
    follower_writes(emulator)
    first.send_text("o_fan", "一")
    second.send_text("o_fan", "二")
    assert calls_to(emulator, "/cgi-bin/stable_token") == 1
    assert [m["payload"]["text"]["content"] for m in control(emulator, "inbox/o_fan")] == \
        ["一", "二"]


def test_a_stale_token_is_refreshed_once(engine: Engine, emulator: str) -> None:
    gw = gateway(engine, emulator)
    follower_writes(emulator)
    gw.send_text("o_fan", "先拿到 token")
    control(emulator, "expire_tokens", {})
    gw.send_text("o_fan", "过期后")
    assert calls_to(emulator, "/cgi-bin/stable_token") >= 2
    assert len(control(emulator, "inbox/o_fan")) == 2


def test_a_token_rejected_twice_raises_after_one_refresh(engine: Engine, emulator: str) -> None:
    gw = gateway(engine, emulator)
    follower_writes(emulator)
    control(emulator, "fail", {"path": "/cgi-bin/message/custom/send", "errcode": 40001,
                               "times": 5})
    with pytest.raises(InvalidAccessToken) as failed:
        gw.send_text("o_fan", "x")
    assert failed.value.errcode == 40001
    assert calls_to(emulator, "/cgi-bin/message/custom/send") == 2  # one retry, no storm


@pytest.mark.parametrize(("errcode", "error"), [
    (45009, RateLimited), (45011, RateLimited), (45047, SendLimitExceeded),
])
def test_errors_are_typed(engine: Engine, emulator: str, errcode: int,
                          error: type[WeChatError]) -> None:
    gw = gateway(engine, emulator)
    follower_writes(emulator)
    control(emulator, "fail", {"path": "/cgi-bin/message/custom/send", "errcode": errcode})
    with pytest.raises(error) as raised:
        gw.send_text("o_fan", "x")
    assert raised.value.errcode == errcode and raised.value.reason


def test_the_window_is_the_platforms_too(engine: Engine, emulator: str) -> None:
    gw = gateway(engine, emulator)
    with pytest.raises(OutsideReplyWindow):
        gw.send_text("o_stranger", "没有互动过")
    follower_writes(emulator)
    control(emulator, "clock", {"advance_seconds": 49 * 3600})
    with pytest.raises(OutsideReplyWindow):
        gw.send_text("o_fan", "48 小时后")


def test_bad_credentials_and_dropped_connections(engine: Engine, emulator: str) -> None:
    with pytest.raises(BadCredentials):
        gateway(engine, emulator, secret="wrong").send_text("o_fan", "x")
    gw = gateway(engine, emulator)
    follower_writes(emulator)
    control(emulator, "fail", {"path": "/cgi-bin/message/custom/send", "drop": True})
    with pytest.raises(OutcomeUnknown):  # dropped after the request arrived
        gw.send_text("o_fan", "x")


def test_a_call_that_never_left_is_told_from_one_whose_answer_never_came(
        engine: Engine, emulator: str) -> None:
    """Connection refused: WeChat never saw it, a retry is safe. A read timeout: the
    platform got it (the emulator delivers it after the timeout), outcome unknown."""
    gw = gateway(engine, emulator)
    gw.tokens.get()  # the token fetch is not what this test times out
    follower_writes(emulator)
    slow = Gateway(APP_ID, SECRET, emulator, gw.tokens, timeout=0.5)
    control(emulator, "fail", {"path": "/cgi-bin/message/custom/send", "delay": 1.5})
    with pytest.raises(OutcomeUnknown) as unknown:
        slow.send_text("o_fan", "慢")
    assert "ReadTimeout" in str(unknown.value) and "无法确认" in unknown.value.reason
    time.sleep(1.5)
    assert [m["payload"]["text"]["content"] for m in control(emulator, "inbox/o_fan")
            if m["kind"] == "custom"] == ["慢"]
    closed = Gateway(APP_ID, SECRET, f"http://127.0.0.1:{free_port()}", gw.tokens)
    with pytest.raises(TransportError) as refused:
        closed.send_text("o_fan", "x")
    assert not isinstance(refused.value, OutcomeUnknown)


def test_drafts_publishing_and_previews(engine: Engine, emulator: str) -> None:
    gw = gateway(engine, emulator)
    thumb = gw.add_material("thumb", "cover.jpg", COVER)["media_id"]
    article = {"title": "社区义诊回顾", "author": "小李", "digest": "照片与故事",
               "content": "<p>正文</p>", "content_source_url": "", "thumb_media_id": thumb,
               "need_open_comment": 1, "only_fans_can_comment": 0}
    media_id = gw.draft_add([article])["media_id"]
    gw.draft_update(media_id, 0, {**article, "title": "社区义诊回顾（更新）"})
    assert gw.draft_get(media_id)["news_item"][0]["title"] == "社区义诊回顾（更新）"
    assert gw.draft_count()["total_count"] == 1
    assert gw.draft_batchget(0, 20, no_content=True)["item_count"] == 1
    follower_writes(emulator)
    gw.preview(media_id, openid="o_fan")
    assert control(emulator, "inbox/o_fan")[-1]["kind"] == "preview"
    publish_id = gw.publish_submit(media_id)["publish_id"]
    assert gw.publish_get(str(publish_id))["publish_status"] in (0, 1)


def test_mass_send_is_deduplicated_by_clientmsgid(engine: Engine, emulator: str) -> None:
    gw = gateway(engine, emulator)
    thumb = gw.add_material("thumb", "cover.jpg", COVER)["media_id"]
    media_id = gw.draft_add([{"title": "群发", "content": "<p>x</p>",
                              "thumb_media_id": thumb}])["media_id"]
    follower_writes(emulator)
    first = gw.sendall(media_id, "outbox-42")
    with pytest.raises(DuplicateClientMsgId) as again:
        gw.sendall(media_id, "outbox-42")
    assert again.value.errcode == 45065
    assert len([m for m in control(emulator, "inbox/o_fan") if m["kind"] == "mass"]) == 1
    assert first["msg_id"]


def test_comments_always_pass_index_and_count(engine: Engine, emulator: str) -> None:
    gw = gateway(engine, emulator)
    with pytest.raises(WeChatError):  # no such article yet
        gw.comment_list("1", 0, 0, 49)
    listed = [c for c in control(emulator, "calls") if c["path"] == "/cgi-bin/comment/list"]
    assert listed and listed[0]["body"]["index"] == 0 and listed[0]["body"]["count"] == 49


def test_a_resent_mass_send_row_reaches_followers_once(engine: Engine, emulator: str) -> None:
    """A worker died after sendall; the row was resent: clientmsgid stops the second send."""
    from datetime import UTC, datetime

    from sqlalchemy import update

    from bot.deliveries import handlers
    from bot.sender import Sender
    from storage import outbox
    from storage import staff as staff_store
    from storage.models import OutboxMessage
    from storage.uow import SqlUnitOfWork
    from workflow.model import ContentItem
    from workflow.roles import Role

    now = datetime.now(UTC)
    with SqlUnitOfWork(engine) as uow:
        author = staff_store.add_staff(uow.session, "小李", frozenset({Role.CREATOR}), now)
        item = uow.items.add(ContentItem(id=0, title="年度报告", author_id=author.id,
                                         body="<p>感谢一年的支持</p>"))
        uow.commit()
    with engine.begin() as conn:
        outbox.add(conn, "sendall", {"item_id": item.id}, f"sendall:{item.id}:v1", now)
    follower_writes(emulator)
    sender = Sender(engine, gateway(engine, emulator), handlers(), "w")
    assert sender.drain() == 1
    with engine.begin() as conn:  # as if the first attempt's result had been lost
        conn.execute(update(OutboxMessage).values(status="pending", delivered_at=None))
    assert sender.drain() == 1
    masses = [m for m in control(emulator, "inbox/o_fan") if m["kind"] == "mass"]
    assert len(masses) == 1 and calls_to(emulator, "/cgi-bin/message/mass/sendall") == 2


class Proxy:
    """Something between wxops and WeChat answering every call with ``status``."""

    def __init__(self, status: int, body: bytes) -> None:
        asked: list[str] = []  # the request lines' targets, as the proxy got them
        self.asked = asked

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                asked.append(self.path)
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(("status", "body", "said"), [
    (502, b"<html>Bad Gateway</html>", "HTTP 502"),
    (504, b"<html>Gateway Time-out</html>", "HTTP 504"),
    (200, b"<html>portal</html>", "not a JSON object"),
])
def test_an_answer_not_from_wechat_leaves_the_outcome_unknown(
        engine: Engine, emulator: str, status: int, body: bytes, said: str) -> None:
    """A proxy's 502/504 or a captive page's 200: whether WeChat got the call is
    unknown, so a send is parked for a person rather than sent again. The reason
    says what came (an answer, not a timeout), and never None."""
    gw = gateway(engine, emulator)
    gw.tokens.get()
    proxy = Proxy(status, body)
    try:
        with pytest.raises(OutcomeUnknown, match=said) as unknown:
            Gateway(APP_ID, SECRET, proxy.url, gw.tokens).send_text("o_fan", "x")
    finally:
        proxy.close()
    assert "None" not in str(unknown.value) and "None" not in unknown.value.reason
    assert unknown.value.extra["cause"] == ("http" if status != 200 else "not_json")
    if status != 200:
        assert f"HTTP {status}" in unknown.value.reason and "超时" not in unknown.value.reason


PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.mark.parametrize("spared", [False, True])
def test_calls_go_through_the_proxy_the_environment_names(
        engine: Engine, emulator: str, monkeypatch: pytest.MonkeyPatch, spared: bool) -> None:
    """A deployment behind a proxy names it in the environment: the gateway reads
    it once, at its first call, and every call goes through it, unless NO_PROXY
    spares WeChat's host."""
    gw = gateway(engine, emulator)
    gw.tokens.get()
    follower_writes(emulator)
    proxy = Proxy(200, b'{"errcode": 0, "errmsg": "ok"}')
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    if spared:
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    try:
        proxied = Gateway(APP_ID, SECRET, emulator, gw.tokens)
        proxied.send_text("o_fan", "一")
        for name in PROXY_VARIABLES:  # read once: a later change does not count
            monkeypatch.delenv(name, raising=False)
        proxied.send_text("o_fan", "二")
    finally:
        proxy.close()
    sent = [m for m in control(emulator, "inbox/o_fan") if m["kind"] == "custom"]
    if spared:
        assert proxy.asked == [] and len(sent) == 2
    else:
        assert len(proxy.asked) == 2 and sent == []
        assert all(target.startswith(f"{emulator}/cgi-bin/message/custom/send?")
                   for target in proxy.asked)


@pytest.mark.parametrize("status", [503, 429])
def test_an_intermediary_that_did_not_pass_the_call_on_is_safe_to_retry(
        engine: Engine, emulator: str, status: int) -> None:
    gw = gateway(engine, emulator)
    gw.tokens.get()
    proxy = Proxy(status, b"<html>Service Unavailable</html>")
    try:
        with pytest.raises(TransportError) as refused:
            Gateway(APP_ID, SECRET, proxy.url, gw.tokens).send_text("o_fan", "x")
    finally:
        proxy.close()
    assert not isinstance(refused.value, OutcomeUnknown) and refused.value.transient
    assert f"HTTP {status}" in refused.value.reason and "None" not in str(refused.value)


def test_the_emulator_plays_a_proxy_that_passed_the_call_on_or_not(
        engine: Engine, emulator: str) -> None:
    """The emulator's fault control: an intermediary's status for some calls or some
    seconds, after WeChat got the call (handled) or without passing it on."""
    gw = gateway(engine, emulator)
    follower_writes(emulator)
    send = "/cgi-bin/message/custom/send"
    control(emulator, "fail", {"path": send, "status": 502, "handled": True})
    with pytest.raises(OutcomeUnknown):
        gw.send_text("o_fan", "到了，但答复丢了")
    control(emulator, "fail", {"path": send, "status": 503, "seconds": 0.5})
    for _ in range(2):
        with pytest.raises(TransportError) as refused:
            gw.send_text("o_fan", "没有到")
        assert not isinstance(refused.value, OutcomeUnknown)
    time.sleep(0.6)
    gw.send_text("o_fan", "恢复后")
    assert [m["payload"]["text"]["content"] for m in control(emulator, "inbox/o_fan")
            if m["kind"] == "custom"] == ["到了，但答复丢了", "恢复后"]
    refused_control = requests.post(f"{emulator}/_emulator/fail", timeout=5,
                                    json={"path": send, "status": 200})
    assert refused_control.status_code == 400


def test_an_uploaded_image_answers_its_url_as_json(engine: Engine, emulator: str) -> None:
    answer = gateway(engine, emulator).upload_image("cover.jpg", COVER)
    assert answer["url"].startswith("http://mmbiz.qpic.cn/mmbiz_jpg/")
    with pytest.raises(WeChatError) as refused:
        gateway(engine, emulator).upload_image("a.txt", b"not an image")
    assert refused.value.errcode == 40005
