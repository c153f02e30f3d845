"""Asking whether an address answers: the worker's side of the links check
(workflow/link_liveness.py decides what to ask and what it means).

HEAD first, GET when the server does not take HEAD (405, 501); redirects are
followed by hand, at most ``MAX_REDIRECTS``, so that every hop is vetted: an
address whose host resolves to a private, loopback, link-local or reserved
network is never fetched (an article must not make the worker probe the
organisation's own network), unless the setting for tests allows it. Each
request has the setting's timeout; a few run at once.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests

from workflow.link_liveness import BLOCKED, OK

log = logging.getLogger("wxops.links")

MAX_REDIRECTS = 5
CONCURRENCY = 4  # addresses asked at once
USER_AGENT = "wxops-link-check/1"
_NO_HEAD = frozenset({405, 501})

Resolve = Callable[[str], list[str]]


def resolved(host: str) -> list[str]:
    """The addresses ``host`` resolves to (none when it does not)."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return [str(info[4][0]) for info in infos]


def public(addresses: Iterable[str]) -> bool:
    """Every address is on the public internet (and there is at least one)."""
    found = False
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not ip.is_global or ip.is_multicast:
            return False
        found = True
    return found


@dataclass
class Asker:
    """Asks addresses whether they answer; ``allow_private`` is the tests' setting."""

    timeout: float
    allow_private: bool = False
    resolve: Resolve = resolved

    def status(self, url: str) -> str:
        """``ok``, an HTTP status, ``timeout``, ``error``, ``redirects`` or ``blocked``."""
        with requests.Session() as session:
            session.headers["User-Agent"] = USER_AGENT
            try:
                return self._follow(session, url)
            except requests.Timeout:
                return "timeout"
            except (requests.RequestException, ValueError, UnicodeError):
                return "error"

    def _follow(self, session: requests.Session, url: str) -> str:
        for _ in range(MAX_REDIRECTS + 1):
            if not self._allowed(url):
                return BLOCKED
            response = self._ask(session, url)
            if not response.is_redirect:
                return OK if response.status_code < 400 else str(response.status_code)
            url = urljoin(url, response.headers["location"])
        return "redirects"

    def _ask(self, session: requests.Session, url: str) -> requests.Response:
        response = session.head(url, timeout=self.timeout, allow_redirects=False)
        response.close()
        if response.status_code in _NO_HEAD:
            response = session.get(url, timeout=self.timeout, allow_redirects=False,
                                   stream=True)
            response.close()  # the answer's status is enough: the body is not read
        return response

    def _allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return False
        return self.allow_private or public(self.resolve(parts.hostname))

    def statuses(self, urls: Iterable[str]) -> Mapping[str, str]:
        """Each address's status, ``CONCURRENCY`` asked at once."""
        todo = list(urls)
        if not todo:
            return {}
        with ThreadPoolExecutor(max_workers=min(CONCURRENCY, len(todo)),
                                thread_name_prefix="link-check") as pool:
            return dict(zip(todo, pool.map(self.status, todo), strict=True))
