"""The WSGI application: the WeChat endpoint and ``/healthz``."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.wiring import App

log = logging.getLogger("wxops.web")

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def create_app(app: App) -> WsgiApp:
    from bot.endpoint import WeChatEndpoint

    endpoint = WeChatEndpoint(app)
    _warn_about_trust(app)
    wechat_path = app.settings.wechat_path

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == wechat_path:
            return endpoint(environ, start_response)
        if path == "/healthz":
            return _healthz(app, start_response)
        return _respond(start_response, "404 Not Found", b"not found\n")

    return application


def _warn_about_trust(app: App) -> None:
    s = app.settings
    if s.allow_plaintext_commands and not s.encoding_aes_key:
        log.warning("WXOPS_ALLOW_PLAINTEXT_COMMANDS=1: staff commands are accepted from "
                    "unencrypted pushes, whose bodies the signature does not cover. "
                    "Configure an EncodingAESKey (safe mode) instead.")
    elif s.allow_plaintext_commands:
        log.warning("WXOPS_ALLOW_PLAINTEXT_COMMANDS is ignored: an EncodingAESKey is set, "
                    "so commands are accepted only from safe-mode pushes")
    elif not s.encoding_aes_key:
        log.warning("no EncodingAESKey: staff commands that change something are refused "
                    "(set one, or WXOPS_ALLOW_PLAINTEXT_COMMANDS=1)")


def _healthz(app: App, start_response: StartResponse) -> Iterable[bytes]:
    try:
        with app.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        database = "ok"
    except SQLAlchemyError as exc:
        log.warning("healthz: database unreachable: %s", exc)
        database = "unreachable"
    status = "200 OK" if database == "ok" else "503 Service Unavailable"
    body = json.dumps({"status": "ok" if database == "ok" else "degraded",
                       "database": database}).encode()
    return _respond(start_response, status, body, "application/json")


def _respond(start_response: StartResponse, status: str, body: bytes,
             content_type: str = "text/plain; charset=utf-8") -> list[bytes]:
    start_response(status, [("Content-Type", content_type),
                            ("Content-Length", str(len(body)))])
    return [body]
