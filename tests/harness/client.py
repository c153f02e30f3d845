"""Call the WSGI app in-process exactly as gunicorn would, with WeChat's requests."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from tests.harness.wechat import Message, Mode, WeChatSigner

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


class WeChatClient:
    def __init__(self, app: WsgiApp, signer: WeChatSigner, path: str = "/wechat") -> None:
        self.app, self.signer, self.path = app, signer, path

    def request(self, method: str, query: dict[str, str], body: bytes = b"",
                path: str | None = None, content_length: int | None = None) -> Response:
        environ = {
            "REQUEST_METHOD": method, "PATH_INFO": path or self.path,
            "QUERY_STRING": urlencode(query), "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_LENGTH": str(len(body) if content_length is None else content_length),
            "CONTENT_TYPE": "text/xml", "wsgi.input": io.BytesIO(body),
        }
        status: list[str] = []
        sent: dict[str, str] = {}

        def start_response(line: str, headers: list[tuple[str, str]]) -> None:
            status.append(line)
            sent.update(headers)

        reply = self.app(environ, start_response)
        try:
            chunks = b"".join(reply)
        finally:  # a server closes what the app returned once it is sent (PEP 3333)
            close = getattr(reply, "close", None)
            if close is not None:
                close()
        return Response(int(status[0].split()[0]), chunks, sent)

    def push(self, message: Message, mode: Mode = "plain", **build: Any) -> Response:
        """Send a message as WeChat does; returns the (decrypted, if encrypted) reply."""
        query, body = self.signer.build(message, mode, **build)
        response = self.request("POST", query, body)
        encrypted = response.body.startswith(b"<xml><Encrypt")
        if mode != "plain" and response.status == 200 and encrypted:
            # WeChat opens the reply with the key it encrypted the message with.
            plain = self.signer.decrypt_reply(response.body, build.get("aes_key"))
            return Response(200, plain.encode())
        return response
