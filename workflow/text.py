"""What a reader sees of an article body: its text without the HTML.

Pure (stdlib only), so the workflow can refuse an item with nothing to read and
every front door can show the same length and opening.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

#: Tags that end a line of text (a paragraph, a line break, a heading, ...).
_BREAKS = frozenset({"p", "br", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
                     "section", "blockquote", "pre", "hr"})
#: Tags whose content is not shown.
_HIDDEN = frozenset({"script", "style"})
#: Characters a reader does not see as text.
_BLANK = re.compile(r"[\s\u200b\u200c\u200d\ufeff]+")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def plain_text(body: str) -> str:
    """The body as plain text: one line per paragraph, blanks inside a line
    collapsed, empty lines dropped."""
    parser = _Text()
    parser.feed(body or "")
    parser.close()
    lines = (_BLANK.sub(" ", line).strip() for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def visible_length(body: str) -> int:
    """How many characters (字) a reader sees, not counting blanks and line breaks."""
    return len(_BLANK.sub("", plain_text(body)))


def has_text(body: str) -> bool:
    return visible_length(body) > 0


def opening(body: str, limit: int = 100) -> str:
    """The first ``limit`` characters of the text, on one line, "…" when cut."""
    flat = plain_text(body).replace("\n", " ")
    return flat if len(flat) <= limit else flat[:limit].rstrip() + "…"
