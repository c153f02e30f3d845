"""The WSGI application: the WeChat endpoint, ``/healthz``, ``/metrics`` (for
Prometheus, guarded: ``bot/metrics_page``) and the web pages (``bot/pages``),
which answer every other path."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.startup import SchemaCheck
from bot.wiring import App

log = logging.getLogger("wxops.web")

METRICS_PATH = "/metrics"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def create_app(app: App) -> WsgiApp:
    from bot.endpoint import WeChatEndpoint
    from bot.metrics_page import MetricsPage
    from bot.pages import Pages

    endpoint = WeChatEndpoint(app)
    pages = Pages(app)
    metrics = MetricsPage(app.settings, app.engine)
    _warn_about_trust(app)
    wechat_path = app.settings.wechat_path
    schema = SchemaCheck(app.engine)

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == wechat_path:  # the hot path: compared before any routing
            return endpoint(environ, start_response)
        if path == "/healthz":
            return _healthz(app, schema, start_response)
        if path == METRICS_PATH and metrics.enabled:  # off: as any unknown path
            return metrics(environ, start_response)
        return pages(environ, start_response)

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


def _healthz(app: App, schema: SchemaCheck, start_response: StartResponse) -> Iterable[bytes]:
    """200 only when the database answers, its schema is at the migration head (on a
    database never migrated every push would get a 503) and a writer could write
    (on SQLite, a writer stuck with the write lock turns every push away). Never
    waits for the write lock. Also counts the pushes whose handling failed."""
    report: dict[str, object] = {"status": "ok", "database": "ok", "schema": "unchecked"}
    try:
        state = schema.state()
        if state.ok:
            report |= _inbound_report(app)
    except SQLAlchemyError as exc:
        log.warning("healthz: database unreachable: %s", exc)
        report |= {"status": "degraded", "database": "unreachable"}
    else:
        report |= {"schema": state.status, "schema_revision": state.revision,
                   "schema_head": state.head}
        if not state.ok:
            report |= {"status": "degraded", "hint": state.refusal()}
    if not app.writes_flow():
        report |= {"status": "degraded", "writes": "blocked"}
    status = "200 OK" if report["status"] == "ok" else "503 Service Unavailable"
    body = json.dumps(report, ensure_ascii=False).encode()
    return _respond(start_response, status, body, "application/json")


def _inbound_report(app: App) -> dict[str, object]:
    """Failed pushes: those the worker will try again, and those waiting for a person
    (``wxops inbound errors``)."""
    failed, retrying = app.failed_pushes()
    return {"inbound_failed": failed - retrying, "inbound_retrying": retrying}


def _respond(start_response: StartResponse, status: str, body: bytes,
             content_type: str = "text/plain; charset=utf-8") -> list[bytes]:
    start_response(status, [("Content-Type", content_type),
                            ("Content-Length", str(len(body)))])
    return [body]
