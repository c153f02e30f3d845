"""The preview page: one revision of a content item as a WeChat article reads,
its body sanitised (nh3) so a draft's HTML cannot run script in the reader's
browser."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import nh3
from werkzeug.wrappers import Response

from bot.articles import article_html
from bot.pages.render import page
from workflow.kept_images import served_from
from workflow.pages import Preview

#: What an article's HTML may keep: the usual formatting, WeChat's <section>s,
#: and these properties of an inline style (nothing that positions or hides).
TAGS = frozenset(nh3.ALLOWED_TAGS | {"section"})
STYLE_PROPERTIES = frozenset({
    "color", "background-color", "font-size", "font-weight", "font-style", "text-align",
    "text-decoration", "text-indent", "line-height", "letter-spacing", "margin",
    "margin-top", "margin-bottom", "padding", "border", "border-radius", "width",
    "max-width", "height",
})


def _attributes() -> dict[str, set[str]]:
    allowed = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()}
    allowed.setdefault("*", set()).add("style")
    return allowed


def safe_html(body: str) -> str:
    """The body as the draft box gets it (``article_html``), with nothing that runs:
    no script, no event handler, no javascript: address, only harmless styles."""
    return nh3.clean(article_html(body), tags=set(TAGS), attributes=_attributes(),
                     url_schemes={"http", "https", "mailto"},
                     filter_style_properties=set(STYLE_PROPERTIES),
                     link_rel="noopener noreferrer nofollow")


def preview_page(preview: Preview, account_name: str, tz: ZoneInfo,
                 kept_base: str = "") -> Response:
    """``kept_base``: where the page's link serves the images kept in wxops
    (workflow/kept_images.py), relative to the page's address."""
    link, text = preview.link, preview.text
    body = served_from(safe_html(text.body), kept_base) if kept_base else safe_html(text.body)
    return page("preview", title=text.title, digest=text.digest, body=body,
                byline=text.byline, sources=text.sources,
                account_name=account_name, written=text.written_at.astimezone(tz),
                expires=link.expires_at.astimezone(tz), item_id=link.item_id,
                revision=link.item_revision, latest=preview.latest,
                outdated=preview.outdated)
