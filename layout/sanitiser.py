"""The last pass: an allow-list sanitiser (nh3, Rust's ammonia) over the
styled HTML. Only the tags and attributes the platform keeps survive; ``class``
and ``id`` are not on the list, ``script`` and ``style`` go with their content,
URLs must be http(s), and a style may hold only the properties the themes and
the code highlighter write.
"""

from __future__ import annotations

from functools import cache

import nh3

TAGS = frozenset({
    "section", "p", "span", "br", "hr", "strong", "b", "em", "i", "u", "s", "del", "sup", "sub",
    "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "li", "figure", "figcaption",
    "img", "table", "thead", "tbody", "tr", "th", "td", "pre", "code", "a",
})
ATTRIBUTES = {"*": {"style"}, "a": {"href"}, "img": {"src", "alt"},
              "th": {"colspan", "rowspan"}, "td": {"colspan", "rowspan"}}
STYLE_PROPERTIES = frozenset({
    "color", "background-color", "font-size", "font-weight", "font-style", "font-family",
    "line-height", "letter-spacing", "text-align", "text-decoration", "word-break",
    "white-space", "display", "overflow-x", "max-width", "height", "vertical-align",
    "margin", "margin-top", "margin-bottom", "margin-right", "margin-left", "padding",
    "padding-left", "padding-bottom", "border", "border-top", "border-bottom", "border-left",
    "border-left-color", "border-top-color", "border-radius", "border-collapse",
})


def sanitised(html: str) -> str:
    """``html`` with everything the allow-list does not name removed."""
    return _cleaner().clean(html)


@cache
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(tags=set(TAGS), clean_content_tags={"script", "style"},
                       attributes=ATTRIBUTES, url_schemes={"http", "https"}, link_rel=None,
                       strip_comments=True, filter_style_properties=set(STYLE_PROPERTIES))
