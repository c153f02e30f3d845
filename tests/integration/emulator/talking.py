"""Talking to the emulator in tests: an API client and a stand-in wxops server that
receives its pushes and checks their signatures."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from bot.crypto import MessageCrypto, check_msg_signature, check_signature
from bot.emulator import DEMO_APP_ID, DEMO_APP_SECRET
from bot.protocol import parse_xml

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



def travel(wx: Client, seconds: float) -> None:
    """Move the emulator's clock; a fresh token is fetched afterwards."""
    wx.control("clock", {"advance_seconds": seconds})
    wx._token = None


def send_text(wx: Client, openid: str = FOLLOWER, text: str = "你好") -> Any:
    return wx.control("send", {"openid": openid, "text": text})


def custom(wx: Client, openid: str = FOLLOWER) -> int:
    body = {"touser": openid, "msgtype": "text", "text": {"content": "回复"}}
    return int(wx.wx("/cgi-bin/message/custom/send", body)["errcode"])

