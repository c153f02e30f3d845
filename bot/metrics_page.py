"""``/metrics``: the Prometheus exposition, for the scraper only.

Off (404, as any unknown path) unless ``WXOPS_METRICS_TOKEN`` or
``WXOPS_METRICS_ALLOW`` is set. With a token, a scrape must send
``Authorization: Bearer <token>``; with addresses, it must come from one of
them (the address the server sees: behind a proxy on the same host that is the
proxy's, so keep ``/metrics`` out of the public site, docs/operations.md);
with both, both. Anything else gets a 403.

A web server's processes each count their own pushes; with
``PROMETHEUS_MULTIPROC_DIR`` set (``bot.metrics_dir``, which ``wxops serve``
and ``bot.gunicorn_conf`` set up) the page sums every process's files, so any
process answers for all. The worker serves the same page for its own counts
on ``WXOPS_METRICS_PORT`` (``serve_in_thread``).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import threading
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import Engine

from bot import metrics_dir
from bot.config import Network, Settings, metrics_networks
from bot.metrics import MULTIPROC_ENV, instruments, multiprocess
from bot.metrics_state import StateCollector

log = logging.getLogger("wxops.metrics")

StartResponse = Callable[..., Any]


class Guard:
    """Who may read the metrics: the token, the addresses, or both."""

    def __init__(self, settings: Settings) -> None:
        self.token = settings.metrics_token.encode()
        self.networks = metrics_networks(settings.metrics_allow)

    @property
    def enabled(self) -> bool:
        return bool(self.token or self.networks)  # as bot.metrics.metrics_enabled

    def admits(self, environ: dict[str, Any]) -> bool:
        if self.networks and not _within(environ.get("REMOTE_ADDR", ""), self.networks):
            return False
        if not self.token:
            return True
        sent = str(environ.get("HTTP_AUTHORIZATION", "")).encode("latin-1", "replace")
        return hmac.compare_digest(sent, b"Bearer " + self.token)


def _within(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


class MetricsPage:
    """The WSGI view: guarded, then this process's (or every process's) counts and,
    with an engine, the state read from the database."""

    def __init__(self, settings: Settings, engine: Engine | None) -> None:
        self.guard = Guard(settings)
        self.state = CollectorRegistry(auto_describe=False)
        if engine is not None:
            self.state.register(StateCollector(engine))

    @property
    def enabled(self) -> bool:
        return self.guard.enabled

    def __call__(self, environ: dict[str, Any], start_response: StartResponse,
                 ) -> Iterable[bytes]:
        if not self.guard.enabled:
            return _plain(start_response, "404 Not Found", b"not found\n")
        if not self.guard.admits(environ):
            log.warning("metrics refused to %s", environ.get("REMOTE_ADDR", "?"))
            return _plain(start_response, "403 Forbidden", b"forbidden\n")
        body = self.render()
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST),
                                  ("Content-Length", str(len(body))),
                                  ("Cache-Control", "no-store")])
        return [body]

    def render(self) -> bytes:
        return summed() + generate_latest(self.state)


def summed() -> bytes:
    """The counts in the exposition format, read under the metrics directory's lock
    when they are summed from files (``bot.metrics_dir``)."""
    directory = os.environ.get(MULTIPROC_ENV)
    if not multiprocess() or not directory:
        return generate_latest(counts())
    with metrics_dir.held(Path(directory)):
        return generate_latest(counts())


def counts() -> CollectorRegistry:
    """The counters and histograms: every process's of this server when they share a
    directory, else this process's."""
    if not multiprocess():
        return instruments().registry
    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


def _plain(start_response: StartResponse, status: str, body: bytes) -> list[bytes]:
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"),
                            ("Content-Length", str(len(body)))])
    return [body]


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """A scrape every few seconds is no news."""


@cache
def _process_collector() -> None:
    """The worker's memory, CPU and open files (``process_*``), registered once."""
    from prometheus_client import ProcessCollector

    ProcessCollector(registry=instruments().registry)


def serve_in_thread(settings: Settings, host: str, port: int) -> WSGIServer:
    """The worker's own ``/metrics`` (its calls to the API, its leadership, its
    process), on a daemon thread; returns the server (``shutdown`` stops it)."""
    page = MetricsPage(settings, engine=None)
    _process_collector()
    if not page.enabled:
        log.warning("WXOPS_METRICS_PORT is set but neither WXOPS_METRICS_TOKEN nor "
                    "WXOPS_METRICS_ALLOW: the worker's /metrics answers 404")

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/metrics":
            return _plain(start_response, "404 Not Found", b"not found\n")
        return page(environ, start_response)

    server = make_server(host, port, app, server_class=_Server, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    log.info("worker metrics on http://%s:%s/metrics", host, server.server_port)
    return server
