"""Rendering a web page: its template (handlers/templates/web, HTML-escaped), its
headers, and the Chinese page a refusal shows."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined, select_autoescape
from werkzeug.wrappers import Response

#: No script at all, nothing loaded from elsewhere but the article's images, no
#: framing, no forms: a draft's HTML cannot act in a reviewer's browser. The
#: platform's image host over plain http too: media/uploadimg answers http URLs.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; "
    "img-src 'self' https: data: http://mmbiz.qpic.cn; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
}
#: Why a page is refused, and the status it answers with.
STATUS = {"unknown": 404, "not_found": 404, "expired": 410, "revoked": 410,
          "method": 405, "unavailable": 503, "failed": 500}


@cache
def environment() -> Environment:
    # The pages' own templates first; then the catalogue's (checks.j2, diff.j2), whose
    # macros say a finding or a diff as chat does, HTML-escaped here like the rest.
    loader = ChoiceLoader([PackageLoader("handlers", "templates/web"),
                           PackageLoader("handlers", "templates")])
    return Environment(loader=loader,
                       autoescape=select_autoescape(default=True, default_for_string=True),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def page(template: str, status: int = 200, **context: Any) -> Response:
    """A page of templates/web/``template``.j2, with the headers every page has."""
    return html_page(environment().get_template(f"{template}.j2").render(**context), status)


def html_page(body: str, status: int = 200) -> Response:
    """A page already rendered (a report, made once and kept), with the headers."""
    response = Response(body, status=status, content_type="text/html; charset=utf-8")
    response.headers.update(HEADERS)
    return response


def refused(why: str, **context: Any) -> Response:
    """The page saying why a page cannot be shown (templates/web/refused.j2)."""
    response = page("refused", STATUS[why], why=why, **context)
    if why == "method":
        response.headers["Allow"] = "GET, HEAD"
    return response


def image(content_type: str, data: bytes) -> Response:
    """An image a page shows, with the pages' headers (kept private, not stored)."""
    response = Response(data, content_type=content_type)
    response.headers.update(HEADERS)
    return response
