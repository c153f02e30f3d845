"""The WeChat emulator over real sockets: WeChat's endpoints, its errors, the control
API, and pushes to a small HTTP server started here whose signatures we verify."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import click
import pytest
from click.testing import CliRunner

from bot.cli_emulator import emulator_config, register
from bot.config import load_settings
from bot.crypto import MessageCrypto, check_msg_signature, check_signature
from bot.emulator import ACCOUNT_ID, DEMO_APP_ID, DEMO_APP_SECRET
from bot.emulator.server import start_in_thread
from bot.emulator.state import EmulatorConfig
from bot.protocol import parse_xml
from bot.wiring import App

TOKEN = "wxops-test-token"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200
FOLLOWER = "o_follower_1"


class Client:
    """Talks to the emulator as an API client would (urllib, real sockets)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._token: str | None = None
        self.custom_errcode: int | None = None

    def request(self, method: str, path: str, data: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, Any]:
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def token(self) -> str:
        if self._token is None:
            self._token = self.get_token()["access_token"]
        return self._token

    def get_token(self, appid: str = DEMO_APP_ID, secret: str = DEMO_APP_SECRET) -> Any:
        query = urlencode({"grant_type": "client_credential", "appid": appid, "secret": secret})
        return self.request("GET", f"/cgi-bin/token?{query}")[1]

    def wx(self, path: str, body: object = None, *, method: str = "POST",
           token: str | None = None, **query: str) -> Any:
        query = {"access_token": self.token() if token is None else token, **query}
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        return self.request(method, f"{path}?{urlencode(query)}", data)[1]

    def upload(self, path: str, content: bytes, filename: str = "a.jpg", **query: str) -> Any:
        boundary = uuid.uuid4().hex
        data = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"media\"; "
                f"filename=\"{filename}\"\r\nContent-Type: image/jpeg\r\n\r\n").encode()
        data += content + f"\r\n--{boundary}--\r\n".encode()
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        query = {"access_token": self.token(), **query}
        return self.request("POST", f"{path}?{urlencode(query)}", data, headers)[1]

    def control(self, path: str, body: object = None, method: str = "POST") -> Any:
        data = None if body is None else json.dumps(body).encode()
        status, answer = self.request(method, f"/_emulator/{path}", data)
        assert status == 200, answer
        return answer

    def draft(self, **article: object) -> str:
        thumb = self.upload("/cgi-bin/material/add_material", JPEG, type="thumb")["media_id"]
        fields = {"title": "社区义诊", "content": "<p>正文</p>", "thumb_media_id": thumb,
                  **article}
        answer = self.wx("/cgi-bin/draft/add", {"articles": [fields]})
        return str(answer["media_id"])


class Receiver:
    """A tiny stand-in for the wxops server: records pushes, answers as told."""

    def __init__(self, aes_key: str = "") -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []  # answered first, then 200
        self.emulator: Client | None = None  # when set, text is answered via custom/send
        self.crypto = MessageCrypto(TOKEN, aes_key, DEMO_APP_ID) if aes_key else None
        self.arrived = threading.Condition()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/wechat"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                query = dict(parse_qsl(urlsplit(self.path).query))
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status, reply = receiver.answer(query, body)
                self.send_response(status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def answer(self, query: dict[str, str], body: bytes) -> tuple[int, bytes]:
        with self.arrived:
            self.requests.append((query, body))
            self.arrived.notify_all()
            status = self.statuses.pop(0) if self.statuses else 200
        message = self.open(query, body)
        if message.get("MsgType") != "text":
            return status, b"success"
        if self.emulator is not None:  # a slow answer: through the API, while WeChat waits
            self.emulator.custom_errcode = custom(self.emulator, str(message["FromUserName"]))
            return status, b"success"
        reply = (f"<xml><ToUserName><![CDATA[{message['FromUserName']}]]></ToUserName>"
                 f"<Content><![CDATA[收到：{message['Content']}]]></Content></xml>")
        if self.crypto is not None:
            reply = self.crypto.encrypted_reply(reply, query["timestamp"], query["nonce"])
        return status, reply.encode()

    def open(self, query: dict[str, str], body: bytes) -> dict[str, object]:
        """The pushed message, after checking its signatures as wxops would."""
        assert check_signature(TOKEN, query["timestamp"], query["nonce"], query["signature"])
        if self.crypto is None:
            return parse_xml(body)
        outer = parse_xml(body)
        assert set(outer) == {"ToUserName", "Encrypt"}  # safe mode
        assert query["encrypt_type"] == "aes"
        encrypt = str(outer["Encrypt"])
        assert check_msg_signature(TOKEN, query["timestamp"], query["nonce"], encrypt,
                                   query["msg_signature"])
        return parse_xml(self.crypto.decrypt(encrypt))

    def wait_for(self, count: int, timeout: float = 5) -> None:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.requests) >= count, timeout), \
                f"{len(self.requests)} pushes arrived, expected {count}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def wx() -> Iterator[Client]:
    url, stop = start_in_thread(EmulatorConfig(token=TOKEN, push_delay=0.05))
    yield Client(url)
    stop()


@pytest.fixture(params=["plain", "safe"])
def pushed(request: pytest.FixtureRequest) -> Iterator[tuple[Client, Receiver]]:
    """An emulator pushing to a receiver, in plain and in safe (AES) mode."""
    aes_key = AES_KEY if request.param == "safe" else ""
    receiver = Receiver(aes_key)
    config = EmulatorConfig(token=TOKEN, encoding_aes_key=aes_key, push_to=receiver.url,
                            push_delay=0.05)
    url, stop = start_in_thread(config)
    yield Client(url), receiver
    stop()
    receiver.stop()


def travel(wx: Client, seconds: float) -> None:
    """Move the emulator's clock; a fresh token is fetched afterwards."""
    wx.control("clock", {"advance_seconds": seconds})
    wx._token = None


def send_text(wx: Client, openid: str = FOLLOWER, text: str = "你好") -> Any:
    return wx.control("send", {"openid": openid, "text": text})


def custom(wx: Client, openid: str = FOLLOWER) -> int:
    body = {"touser": openid, "msgtype": "text", "text": {"content": "回复"}}
    return int(wx.wx("/cgi-bin/message/custom/send", body)["errcode"])


# --- tokens ---------------------------------------------------------------------------


def test_health(wx: Client) -> None:
    assert wx.control("health", method="GET")["account_id"] == ACCOUNT_ID


def test_token_and_credential_errors(wx: Client) -> None:
    assert wx.get_token()["expires_in"] == 7200
    assert wx.get_token(appid="wxother")["errcode"] == 40013
    assert wx.get_token(secret="wrong")["errcode"] == 40125


def test_a_new_token_retires_the_old_one_after_five_minutes(wx: Client) -> None:
    old, new = wx.get_token()["access_token"], wx.get_token()["access_token"]
    assert wx.wx("/cgi-bin/draft/count", method="GET", token=old) == {"total_count": 0}
    wx.control("clock", {"advance_seconds": 301})
    assert wx.wx("/cgi-bin/draft/count", method="GET", token=old)["errcode"] == 40001
    assert wx.wx("/cgi-bin/draft/count", method="GET", token=new) == {"total_count": 0}


def test_missing_unknown_and_expired_tokens(wx: Client) -> None:
    wx.token()
    status, answer = wx.request("GET", "/cgi-bin/draft/count")
    assert (status, answer["errcode"]) == (200, 41001)
    assert wx.wx("/cgi-bin/draft/count", method="GET", token="bogus")["errcode"] == 40001
    wx.control("expire_tokens")
    assert wx.wx("/cgi-bin/draft/count", method="GET")["errcode"] == 42001


def test_tokens_expire_after_two_hours(wx: Client) -> None:
    wx.token()
    wx.control("clock", {"advance_seconds": 7200})
    assert wx.wx("/cgi-bin/draft/count", method="GET")["errcode"] == 42001


def test_stable_token(wx: Client) -> None:
    def stable(force: bool = False) -> Any:
        body = {"grant_type": "client_credential", "appid": DEMO_APP_ID,
                "secret": DEMO_APP_SECRET, "force_refresh": force}
        return wx.request("POST", "/cgi-bin/stable_token", json.dumps(body).encode())[1]

    first = stable()["access_token"]
    assert stable()["access_token"] == first
    forced = stable(force=True)["access_token"]
    assert forced != first
    assert stable(force=True)["errcode"] == 45011
    wx.control("clock", {"advance_seconds": 299})
    assert wx.wx("/cgi-bin/draft/count", method="GET", token=first) == {"total_count": 0}
    wx.control("clock", {"advance_seconds": 2})
    assert wx.wx("/cgi-bin/draft/count", method="GET", token=first)["errcode"] == 40001
    assert stable()["access_token"] == forced


# --- customer-service window, template, inbox ----------------------------------------------


def test_message_window_five_sends_then_45047_and_closed_after_48_hours(wx: Client) -> None:
    assert custom(wx) == 45015
    answer = send_text(wx)
    assert answer["status"] is None and "push-to" in answer["error"]  # recorded anyway
    assert [custom(wx) for _ in range(6)] == [0] * 5 + [45047]
    send_text(wx)
    assert custom(wx) == 0
    travel(wx, 48 * 3600 + 1)
    assert custom(wx) == 45015
    inbox = wx.control(f"inbox/{FOLLOWER}", method="GET")
    assert [entry["kind"] for entry in inbox] == ["custom"] * 6
    assert inbox[0]["payload"]["text"] == {"content": "回复"}


def test_event_window_three_sends_in_a_minute(wx: Client) -> None:
    wx.control("send", {"openid": FOLLOWER, "event": "CLICK", "key": "MENU_1"})
    assert [custom(wx) for _ in range(4)] == [0, 0, 0, 45047]
    wx.control("send", {"openid": FOLLOWER, "event": "subscribe"})
    wx.control("clock", {"advance_seconds": 61})
    assert custom(wx) == 45015
    follower = wx.control(f"followers/{FOLLOWER}", method="GET")
    assert follower["subscribed"] and follower["window"] is None


def test_unsubscribed_follower(wx: Client) -> None:
    send_text(wx)
    wx.control("send", {"openid": FOLLOWER, "event": "unsubscribe"})
    assert custom(wx) == 45015
    body = {"touser": FOLLOWER, "template_id": "T1", "data": {"first": {"value": "x"}}}
    assert wx.wx("/cgi-bin/message/template/send", body)["errcode"] == 43004


def test_template_message_needs_no_window(wx: Client) -> None:
    wx.control("send", {"openid": FOLLOWER, "event": "subscribe"})
    wx.control("clock", {"advance_seconds": 3600})
    body = {"touser": FOLLOWER, "template_id": "T1", "url": "https://example.org",
            "data": {"first": {"value": "审核通过"}}}
    answer = wx.wx("/cgi-bin/message/template/send", body)
    assert answer["errcode"] == 0 and isinstance(answer["msgid"], int)
    inbox = wx.control(f"inbox/{FOLLOWER}", method="GET")
    assert inbox[-1]["kind"] == "template" and inbox[-1]["payload"]["template_id"] == "T1"


def test_control_send_rejects_nonsense(wx: Client) -> None:
    status, answer = wx.request("POST", "/_emulator/send", json.dumps(
        {"openid": FOLLOWER, "event": "DANCE"}).encode())
    assert status == 400 and "event" in answer["error"]


# --- relaying followers' messages to the wxops server --------------------------------------


def test_send_pushes_signed_text_and_returns_the_reply(pushed: tuple[Client, Receiver]) -> None:
    wx, receiver = pushed
    first = send_text(wx, text="报名")
    second = send_text(wx, text="再问")
    assert first["status"] == 200 and first["reply"].endswith("<Content><![CDATA[收到：报名]]>"
                                                              "</Content></xml>")
    assert first["encrypted"] == (receiver.crypto is not None)
    assert first["msg_id"] != second["msg_id"]
    query, body = receiver.requests[0]
    message = receiver.open(query, body)
    assert query["openid"] == FOLLOWER
    assert message["ToUserName"] == ACCOUNT_ID and message["Content"] == "报名"
    assert message["MsgId"] == str(first["msg_id"])
    assert custom(wx) == 0  # the relayed message opened the window


def test_the_server_may_call_the_api_while_answering(pushed: tuple[Client, Receiver]) -> None:
    wx, receiver = pushed
    receiver.emulator = wx
    wx.token()
    assert send_text(wx)["reply"] == "success"
    assert wx.custom_errcode == 0


def test_send_events(pushed: tuple[Client, Receiver]) -> None:
    wx, receiver = pushed
    answer = wx.control("send", {"openid": FOLLOWER, "event": "subscribe", "key": "poster"})
    assert (answer["status"], answer["reply"]) == (200, "success")
    wx.control("send", {"openid": FOLLOWER, "event": "SCAN", "key": "42"})
    events = [receiver.open(*request) for request in receiver.requests]
    assert [(e["Event"], e["EventKey"]) for e in events] == [("subscribe", "qrscene_poster"),
                                                             ("SCAN", "42")]


def test_send_does_not_retry_an_error_status(pushed: tuple[Client, Receiver]) -> None:
    wx, receiver = pushed
    receiver.statuses = [500]
    answer = send_text(wx)
    assert (answer["status"], answer["attempts"]) == (500, 1)
    assert len(receiver.requests) == 1


# --- drafts ---------------------------------------------------------------------------------


def test_draft_box(wx: Client) -> None:
    media_id = wx.draft(author="志愿者", content="<p>a</p><script>x()</script>")
    item = wx.wx("/cgi-bin/draft/get", {"media_id": media_id})["news_item"][0]
    assert (item["title"], item["content"], item["author"]) == ("社区义诊", "<p>a</p>", "志愿者")
    update = {"media_id": media_id, "index": 0,
              "articles": {**item, "title": "社区义诊回顾"}}
    assert wx.wx("/cgi-bin/draft/update", update)["errcode"] == 0
    wx.draft(title="第二篇")
    assert wx.wx("/cgi-bin/draft/count", method="GET") == {"total_count": 2}
    page = wx.wx("/cgi-bin/draft/batchget", {"offset": 0, "count": 20, "no_content": 1})
    assert (page["total_count"], page["item_count"]) == (2, 2)
    titles = {i["content"]["news_item"][0]["title"] for i in page["item"]}
    assert titles == {"社区义诊回顾", "第二篇"}
    assert "content" not in page["item"][0]["content"]["news_item"][0]
    assert wx.wx("/cgi-bin/draft/delete", {"media_id": media_id})["errcode"] == 0
    assert wx.wx("/cgi-bin/draft/get", {"media_id": media_id})["errcode"] == 40007


@pytest.mark.parametrize(("article", "code"), [
    ({"title": "题" * 33}, 45003), ({"author": "作" * 17}, 45110),
    ({"digest": "摘" * 129}, 45004), ({"content": "字" * 20_000}, 45002),
    ({"thumb_media_id": "unknown"}, 40007)])
def test_draft_validation(wx: Client, article: dict[str, object], code: int) -> None:
    thumb = wx.upload("/cgi-bin/material/add_material", JPEG, type="thumb")["media_id"]
    fields = {"title": "t", "content": "c", "thumb_media_id": thumb, **article}
    assert wx.wx("/cgi-bin/draft/add", {"articles": [fields]})["errcode"] == code


def test_draft_errors(wx: Client) -> None:
    assert wx.wx("/cgi-bin/draft/add", {"articles": []})["errcode"] == 44003
    assert wx.wx("/cgi-bin/draft/batchget", {"offset": 0, "count": 21})["errcode"] == 40097
    assert wx.wx("/cgi-bin/draft/delete", {"media_id": "nope"})["errcode"] == 40007


# --- publishing -----------------------------------------------------------------------------


def test_publish_and_the_pushed_result(pushed: tuple[Client, Receiver]) -> None:
    wx, receiver = pushed
    media_id = wx.draft()
    submitted = wx.wx("/cgi-bin/freepublish/submit", {"media_id": media_id})
    publish_id = submitted["publish_id"]
    assert wx.wx("/cgi-bin/freepublish/get", {"publish_id": publish_id})["publish_status"] == 1
    assert wx.wx("/cgi-bin/draft/count", method="GET") == {"total_count": 0}
    receiver.wait_for(1)
    query, body = receiver.requests[0]
    event = receiver.open(query, body)
    assert (event["Event"], event["ToUserName"]) == ("PUBLISHJOBFINISH", ACCOUNT_ID)
    info = event["PublishEventInfo"]
    assert isinstance(info, dict)
    assert (info["publish_id"], info["publish_status"]) == (str(publish_id), "0")
    result = wx.wx("/cgi-bin/freepublish/get", {"publish_id": publish_id})
    assert result["publish_status"] == 0 and result["article_id"] == info["article_id"]
    assert result["article_detail"]["item"][0]["article_url"] == (
        info["article_detail"]["item"]["article_url"])
    article = wx.wx("/cgi-bin/freepublish/getarticle", {"article_id": result["article_id"]})
    assert article["news_item"][0]["title"] == "社区义诊"
    listed = wx.wx("/cgi-bin/freepublish/batchget", {"offset": 0, "count": 10, "no_content": 0})
    assert listed["total_count"] == 1
    delete = {"article_id": result["article_id"], "index": 0}
    assert wx.wx("/cgi-bin/freepublish/delete", delete)["errcode"] == 0
    assert wx.wx("/cgi-bin/freepublish/get", {"publish_id": publish_id})["publish_status"] == 5
    assert wx.control("pushes", method="GET")[0]["status"] == 200


def test_publish_push_is_retried_until_200(pushed: tuple[Client, Receiver]) -> None:
    wx, receiver = pushed
    receiver.statuses = [500, 503]
    wx.wx("/cgi-bin/freepublish/submit", {"media_id": wx.draft()})
    receiver.wait_for(3)
    time.sleep(0.1)
    assert len(receiver.requests) == 3
    assert receiver.requests[0][1] == receiver.requests[2][1]  # the same request each time
    assert wx.control("pushes", method="GET")[0]["attempts"] == 3


def test_injected_publish_failure(pushed: tuple[Client, Receiver]) -> None:
    wx, receiver = pushed
    wx.control("fail", {"publish_status": 4, "times": 1})
    media_id = wx.draft()
    publish_id = wx.wx("/cgi-bin/freepublish/submit", {"media_id": media_id})["publish_id"]
    receiver.wait_for(1)
    info = receiver.open(*receiver.requests[0])["PublishEventInfo"]
    assert isinstance(info, dict) and info["publish_status"] == "4"
    result = wx.wx("/cgi-bin/freepublish/get", {"publish_id": publish_id})
    assert result["publish_status"] == 4 and "article_id" not in result
    assert wx.wx("/cgi-bin/draft/count", method="GET") == {"total_count": 1}  # draft is back


def test_publish_errors(wx: Client) -> None:
    assert wx.wx("/cgi-bin/freepublish/submit", {"media_id": "nope"})["errcode"] == 40007
    assert wx.wx("/cgi-bin/freepublish/getarticle", {"article_id": "x"})["errcode"] == 53600


# --- mass sends -----------------------------------------------------------------------------


def test_preview_and_its_daily_limit(wx: Client) -> None:
    wx.control("send", {"openid": FOLLOWER, "event": "subscribe"})
    media_id = wx.draft()
    body = {"touser": FOLLOWER, "mpnews": {"media_id": media_id}, "msgtype": "mpnews"}
    assert wx.wx("/cgi-bin/message/mass/preview", body)["errcode"] == 0
    assert wx.control(f"inbox/{FOLLOWER}", method="GET")[0]["kind"] == "preview"
    wrong = {**body, "mpnews": {"media_id": "nope"}}
    assert wx.wx("/cgi-bin/message/mass/preview", wrong)["errcode"] == 40007
    codes = [wx.wx("/cgi-bin/message/mass/preview", body)["errcode"] for _ in range(100)]
    assert codes == [0] * 99 + [45009]


def test_sendall_reaches_every_subscriber_once(wx: Client) -> None:
    for openid in ("o_a", "o_b", "o_gone"):
        wx.control("send", {"openid": openid, "event": "subscribe"})
    wx.control("send", {"openid": "o_gone", "event": "unsubscribe"})
    body = {"filter": {"is_to_all": True}, "mpnews": {"media_id": wx.draft()},
            "msgtype": "mpnews", "send_ignore_reprint": 0, "clientmsgid": "item-7-rev-2"}
    sent = wx.wx("/cgi-bin/message/mass/sendall", body)
    assert sent["errcode"] == 0 and sent["msg_data_id"]
    again = wx.wx("/cgi-bin/message/mass/sendall", body)
    assert (again["errcode"], again["msg_id"]) == (45065, sent["msg_id"])
    other = {**body, "clientmsgid": "item-8"}
    assert wx.wx("/cgi-bin/message/mass/sendall", other)["errcode"] == 45009  # one a day
    assert [e["kind"] for e in wx.control("inbox/o_a", method="GET")] == ["mass"]
    assert wx.control("inbox/o_gone", method="GET") == []


# --- images ---------------------------------------------------------------------------------


def test_images(wx: Client) -> None:
    assert wx.upload("/cgi-bin/media/uploadimg", JPEG)["url"].startswith("http://mmbiz")
    assert wx.upload("/cgi-bin/media/uploadimg", b"not an image")["errcode"] == 40005
    big = JPEG + b"\x00" * (1024 * 1024)
    assert wx.upload("/cgi-bin/media/uploadimg", big)["errcode"] == 40009
    image = wx.upload("/cgi-bin/material/add_material", big, type="image")
    assert image["media_id"] and image["url"]
    too_big_thumb = JPEG + b"\x00" * 65536
    assert wx.upload("/cgi-bin/material/add_material", too_big_thumb,
                     type="thumb")["errcode"] == 40009
    assert wx.wx("/cgi-bin/media/uploadimg", {})["errcode"] == 41005


# --- comments -------------------------------------------------------------------------------


def test_comments(wx: Client) -> None:
    media_id = wx.draft(need_open_comment=1)
    msg_data_id = wx.wx("/cgi-bin/freepublish/submit", {"media_id": media_id})["msg_data_id"]
    where = {"msg_data_id": msg_data_id, "index": 0}
    first = wx.control("comments", {**where, "openid": "o_a", "content": "很有意义"})
    wx.control("comments", {**where, "openid": "o_b", "content": "报名"})
    cid = {**where, "user_comment_id": first["user_comment_id"]}
    assert wx.wx("/cgi-bin/comment/markelect", cid)["errcode"] == 0
    elected = wx.wx("/cgi-bin/comment/list", {**where, "begin": 0, "count": 10, "type": 2})
    assert elected["total"] == 1 and elected["comment"][0]["content"] == "很有意义"
    assert wx.wx("/cgi-bin/comment/reply/add", {**cid, "content": "谢谢"})["errcode"] == 0
    assert wx.wx("/cgi-bin/comment/reply/add", {**cid, "content": "再谢"})["errcode"] == 88005
    assert wx.wx("/cgi-bin/comment/unmarkelect", cid)["errcode"] == 0
    assert wx.wx("/cgi-bin/comment/delete", cid)["errcode"] == 0
    listed = wx.wx("/cgi-bin/comment/list", {**where, "begin": 0, "count": 49, "type": 0})
    assert [c["content"] for c in listed["comment"]] == ["报名"]
    assert wx.wx("/cgi-bin/comment/list", {**where, "begin": 0, "count": 50,
                                           "type": 0})["errcode"] == 40097
    assert wx.wx("/cgi-bin/comment/close", where)["errcode"] == 0
    assert wx.wx("/cgi-bin/comment/open", where)["errcode"] == 0
    assert wx.wx("/cgi-bin/comment/open", {**where, "index": 3})["errcode"] == 88001


# --- analytics ------------------------------------------------------------------------------


def _days_ago(wx: Client, days: int) -> str:
    from bot.emulator.clock import china_date

    offset = wx.control("clock", {"advance_seconds": 0})["now"]
    return china_date(offset - days * 86400).isoformat()


def test_datacube_ranges(wx: Client) -> None:
    def cube(name: str, begin: int, end: int) -> Any:
        return wx.wx(f"/datacube/{name}", {"begin_date": _days_ago(wx, begin),
                                            "end_date": _days_ago(wx, end)})

    summary = cube("getusersummary", 7, 1)["list"]
    assert len(summary) == 7 and {"new_user", "cancel_user", "user_source"} <= set(summary[0])
    assert cube("getusersummary", 7, 1) == {"list": summary}  # deterministic
    assert cube("getusercumulate", 3, 1)["list"][0]["cumulate_user"] > 0
    assert cube("getusersummary", 8, 1)["errcode"] == 61501
    assert cube("getusersummary", 1, 0)["errcode"] == 61501
    assert cube("getarticlesummary", 2, 1)["errcode"] == 61501
    bad = {"begin_date": "20250101", "end_date": "2025-01-02"}
    assert wx.wx("/datacube/getusersummary", bad)["errcode"] == 61500


def test_datacube_articles_and_seeds(wx: Client) -> None:
    wx.wx("/cgi-bin/freepublish/submit", {"media_id": wx.draft()})
    time.sleep(0.1)
    travel(wx, 86400)
    day = {"begin_date": _days_ago(wx, 1), "end_date": _days_ago(wx, 1)}
    rows = wx.wx("/datacube/getarticletotal", day)["list"]
    assert rows[0]["title"] == "社区义诊" and rows[0]["details"][0]["int_page_read_user"] > 0
    assert wx.wx("/datacube/getarticlesummary", day)["list"][0]["msgid"].endswith("_1")
    seeded = [{"ref_date": day["begin_date"], "user_source": 0, "new_user": 5, "cancel_user": 1}]
    wx.control("datacube", {"endpoint": "getusersummary", "rows": seeded})
    assert wx.wx("/datacube/getusersummary", day)["list"] == seeded


# --- quotas, failure injection, call log, protocol errors ----------------------------------------


def test_quota_per_minute(wx: Client) -> None:
    wx.control("quota", {"path": "/cgi-bin/draft/count", "per_minute": 1})
    assert wx.wx("/cgi-bin/draft/count", method="GET") == {"total_count": 0}
    assert wx.wx("/cgi-bin/draft/count", method="GET")["errcode"] == 45011
    travel(wx, 61)
    assert wx.wx("/cgi-bin/draft/count", method="GET") == {"total_count": 0}


def test_injected_errors_and_dropped_connections(wx: Client) -> None:
    wx.control("fail", {"path": "/cgi-bin/draft/count", "errcode": -1, "times": 2})
    codes = [wx.wx("/cgi-bin/draft/count", method="GET").get("errcode") for _ in range(3)]
    assert codes == [-1, -1, None]
    wx.control("fail", {"path": "/cgi-bin/draft/count", "drop": True, "times": 1})
    with pytest.raises((ConnectionError, urllib.error.URLError)):
        wx.wx("/cgi-bin/draft/count", method="GET")
    assert wx.wx("/cgi-bin/draft/count", method="GET") == {"total_count": 0}
    wx.control("fail", {"path": "/cgi-bin/token", "errcode": 45009})
    assert wx.get_token()["errcode"] == 45009


def test_call_log(wx: Client) -> None:
    wx.control("calls", method="DELETE")
    send_text(wx)
    custom(wx)
    calls = wx.control("calls", method="GET")
    assert [c["path"] for c in calls] == ["/cgi-bin/token", "/cgi-bin/message/custom/send"]
    assert calls[0]["query"]["secret"] == "***"
    assert calls[1]["query"] == {"access_token": "***"}
    assert calls[1]["body"]["touser"] == FOLLOWER and calls[1]["method"] == "POST"
    wx.control("calls", method="DELETE")
    assert wx.control("calls", method="GET") == []


def test_protocol_errors(wx: Client) -> None:
    assert wx.wx("/cgi-bin/draft/count", {})["errcode"] == 43001
    assert wx.wx("/cgi-bin/draft/add", method="GET")["errcode"] == 43002
    status, answer = wx.request("GET", f"/cgi-bin/nothing?access_token={wx.token()}")
    assert (status, answer["errcode"]) == (404, 40066)
    status, answer = wx.request("POST", f"/cgi-bin/draft/add?access_token={wx.token()}",
                                b"{not json")
    assert answer["errcode"] == 47001


def test_reset(wx: Client) -> None:
    wx.draft()
    wx.control("reset")
    assert wx.get_token()["access_token"]
    wx._token = None
    assert wx.wx("/cgi-bin/draft/count", method="GET") == {"total_count": 0}


# --- the CLI command ----------------------------------------------------------------------------


def test_cli_uses_the_settings_or_the_demo_account() -> None:
    demo = emulator_config(App(settings=load_settings({})), None, 0.5)
    assert (demo.app_id, demo.app_secret) == (DEMO_APP_ID, DEMO_APP_SECRET)
    env = {"WXOPS_APP_ID": "wx1234", "WXOPS_APP_SECRET": "s", "WXOPS_TOKEN": "t",
           "WXOPS_ENCODING_AES_KEY": AES_KEY}
    real = emulator_config(App(settings=load_settings(env)), "http://127.0.0.1:8080/wechat", 2)
    assert (real.app_id, real.token, real.encoding_aes_key, real.push_delay) == (
        "wx1234", "t", AES_KEY, 2)
    group = click.Group("wxops")
    register(group)
    result = CliRunner().invoke(group, ["emulator", "--help"])
    assert result.exit_code == 0 and "--push-to" in result.output
