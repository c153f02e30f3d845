"""The preview page: one revision of a content item as a WeChat article reads,
its body sanitised (nh3) so a draft's HTML cannot run script in the reader's
browser; beside it what a reviewer needs (templates/web/preview_*.j2, one
block each): the reasons of the last review with their passages marked in the
body, what changed since the revision last reviewed, and the check's findings.
The article's colours get dark-mode twins (``darkmode``)."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import nh3
from werkzeug.wrappers import Response

from bot.articles import article_html
from bot.pages.darkmode import with_dark_colours
from bot.pages.marking import Quote, mark_quotes
from bot.pages.render import page
from workflow.checks import CheckResult, Severity
from workflow.kept_images import served_from
from workflow.pages import Preview
from workflow.review_view import Reason

#: What an article's HTML may keep: the usual formatting, WeChat's <section>s,
#: and these properties of an inline style (nothing that positions or hides).
TAGS = frozenset(nh3.ALLOWED_TAGS | {"section"})
STYLE_PROPERTIES = frozenset({
    "color", "background-color", "font-size", "font-weight", "font-style", "text-align",
    "text-decoration", "text-indent", "line-height", "letter-spacing", "margin",
    "margin-top", "margin-bottom", "padding", "border", "border-radius", "width",
    "max-width", "height",
})


#: A style value the page keeps: words, numbers, colours and these functions. nh3
#: keeps any value of an allowed property (``width: expression(...)``, and it
#: resolves CSS escapes: ``ex\70 ression``), so a value with anything else (a
#: backslash, a comment, ``url(``, ``expression(``) loses its declaration first.
_STYLE_VALUE = re.compile(r"(?:[\w\s#%.,+-]|(?:rgba?|hsla?)\((?:[\w\s#%.,+-])*\))*", re.ASCII)


def _keep_plain_styles(_element: str, attribute: str, value: str) -> str | None:
    """nh3's attribute filter: a style without the declarations whose value is not plain."""
    if attribute != "style":
        return value
    kept = [d for d in value.split(";")
            if ":" in d and _STYLE_VALUE.fullmatch(d.partition(":")[2].strip())]
    return ";".join(kept) or None


def _attributes() -> dict[str, set[str]]:
    allowed = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()}
    allowed.setdefault("*", set()).add("style")
    return allowed


def safe_html(body: str) -> str:
    """The body as the draft box gets it (``article_html``), with nothing that runs:
    no script, no event handler, no javascript: address, only harmless styles."""
    return nh3.clean(article_html(body), tags=set(TAGS), attributes=_attributes(),
                     attribute_filter=_keep_plain_styles,
                     url_schemes={"http", "https", "mailto"},
                     filter_style_properties=set(STYLE_PROPERTIES),
                     link_rel="noopener noreferrer nofollow")


def quotes_of(reasons: tuple[Reason, ...]) -> list[Quote]:
    """The passages to mark, numbered as the reasons are listed."""
    return [Quote(n, r.quote, f"{r.by}：{r.reason}")
            for n, r in enumerate(reasons, 1) if r.quote]


def findings(result: CheckResult | None) -> dict[str, object] | None:
    """The check's findings by severity, for templates/web/preview_checks.j2."""
    if result is None:
        return None
    return {"errors": result.of(Severity.ERROR), "sensitive": result.of(Severity.SENSITIVE),
            "warnings": result.of(Severity.WARNING), "facts": result.facts}


def preview_page(preview: Preview, account_name: str, tz: ZoneInfo,
                 kept_base: str = "") -> Response:
    """``kept_base``: where the page's link serves the images kept in wxops
    (workflow/kept_images.py), relative to the page's address."""
    link, text = preview.link, preview.text
    safe = served_from(safe_html(text.body), kept_base) if kept_base else safe_html(text.body)
    body, marked = mark_quotes(safe, quotes_of(preview.reasons))
    return page("preview", title=text.title, digest=text.digest,
                body=with_dark_colours(body), byline=text.byline, sources=text.sources,
                account_name=account_name, written=text.written_at.astimezone(tz),
                expires=link.expires_at.astimezone(tz), item_id=link.item_id,
                revision=link.item_revision, latest=preview.latest,
                outdated=preview.outdated, checks=findings(preview.checks),
                diff=preview.diff, reasons=preview.reasons, marked=marked)
