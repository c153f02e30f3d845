"""wxops' web pages: the routes, each page's view, and what a refusal shows.

Pages are read in WeChat's built-in browser on a phone: templates in
handlers/templates/web, no script, the headers of ``render.HEADERS``. A page
is opened by a signed link (``bot/links.py``) whose row is checked on every
opening. Bad input gets a Chinese 4xx page, never a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from bot.links import MAX_TOKEN, PageAddresses
from bot.pages.preview import preview_page
from bot.pages.render import html_page, image, refused
from bot.timefmt import utcnow
from bot.wiring import App
from workflow import link_cases
from workflow.errors import LinkRefused

log = logging.getLogger("wxops.pages")

ROUTES = Map([
    Rule(f"/preview/<string(maxlength={MAX_TOKEN}):token>", endpoint="preview",
         methods=["GET", "HEAD"]),
    Rule(f"/preview/<string(maxlength={MAX_TOKEN}):token>/image/"
         "<string(length=64):sha256>", endpoint="kept_image", methods=["GET", "HEAD"]),
    Rule(f"/report/<string(maxlength={MAX_TOKEN}):token>", endpoint="report",
         methods=["GET", "HEAD"]),
])


class Pages:
    """The WSGI app of the pages: every path that is not the WeChat endpoint's."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.addresses = PageAddresses.from_settings(app.settings)
        self.views: dict[str, Callable[..., Response]] = {
            "preview": self.preview, "kept_image": self.kept_image, "report": self.report}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        response = self.respond(Request(environ))
        return response(environ, start_response)

    def respond(self, request: Request) -> Response:
        try:
            # Bound to the path alone: the host plays no part in a page's address.
            endpoint, args = ROUTES.bind("wxops").match(request.path, request.method)
            return self.views[str(endpoint)](**args)
        except MethodNotAllowed:
            return refused("method")
        except HTTPException:  # no such page (a redirect to a neighbour is no page either)
            return refused("not_found")
        except LinkRefused as no:
            return refused(no.why)
        except SQLAlchemyError as exc:
            log.warning("page %s: database unreachable: %s", request.path, exc)
            return refused("unavailable")
        except Exception:  # logged with its context; the reader gets a page, not a trace
            log.exception("page %s failed", request.path)
            return refused("failed")

    def preview(self, token: str) -> Response:
        key = self.addresses.key(token)
        if key is None:
            raise LinkRefused("unknown")
        shown = link_cases.open_preview(self.app.uow(), key, utcnow())
        settings = self.app.settings
        return preview_page(shown, settings.account_name, settings.tz,
                            kept_base=f"{token}/image/")

    def report(self, token: str) -> Response:
        """A report's page as it was made (bot/reports.py), behind its link."""
        key = self.addresses.key(token)
        if key is None:
            raise LinkRefused("unknown")
        return html_page(link_cases.open_report(self.app.uow(), key, utcnow()))

    def kept_image(self, token: str, sha256: str) -> Response:
        """An image kept for the preview (workflow/kept_images.py), under the page's link."""
        key = self.addresses.key(token)
        if key is None:
            raise LinkRefused("unknown")
        content_type, data = link_cases.kept_image(self.app.uow(), key, sha256, utcnow())
        return image(content_type, data)
