"""What the draft box does to an article's HTML, as the platform does it.

The platform keeps an article's markup but drops ``<style>`` and ``<script>``
elements (with what is inside them), every ``class`` and ``id`` attribute, and
any ``<img>`` whose ``src`` it did not hand out itself (``media/uploadimg`` or
a permanent material's URL). It also rewrites markup on save without
changing what a reader sees, as the platform's editor does: a void element is
written without its slash (``<br/>`` becomes ``<br>``), and a ``style``
attribute as ``property: value;`` declarations, spaced, each ending in a
semicolon (``color:#333;margin:0`` becomes ``color: #333; margin: 0;``); a tag
so rewritten has its attributes re-quoted. Everything else passes through byte
for byte: the HTML is tokenised, never parsed into a tree and written out
again. So an article that breaks none of the rules comes back with the same
canonical form (workflow/canonical_html.py), which is what wxops compares to
tell its own push from an edit, though not always with the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from html.parser import HTMLParser

DROPPED_ELEMENTS = frozenset({"style", "script"})
DROPPED_ATTRIBUTES = frozenset({"class", "id"})
VOID_ELEMENTS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                           "meta", "source", "track", "wbr"})

Attrs = list[tuple[str, str | None]]


class _Cleaner(HTMLParser):
    def __init__(self, image_known: Callable[[str], bool]) -> None:
        super().__init__(convert_charrefs=False)
        self.image_known = image_known
        self.out: list[str] = []
        self.dropping: str | None = None  # inside <style> or <script>

    def _start(self, tag: str, attrs: Attrs, closed: bool) -> None:
        if self.dropping:
            return
        if tag in DROPPED_ELEMENTS:
            self.dropping = None if closed else tag
            return
        if tag == "img" and not self.image_known(dict(attrs).get("src") or ""):
            return
        raw = self.get_starttag_text() or ""
        if _rewritten(tag, attrs, closed):
            kept = [(n, _spaced(v) if n == "style" and v is not None else v)
                    for n, v in attrs if n not in DROPPED_ATTRIBUTES]
            raw = _tag(tag, kept, closed and tag not in VOID_ELEMENTS)
        self.out.append(raw)

    def handle_starttag(self, tag: str, attrs: Attrs) -> None:
        self._start(tag, attrs, closed=False)

    def handle_startendtag(self, tag: str, attrs: Attrs) -> None:
        self._start(tag, attrs, closed=True)

    def handle_endtag(self, tag: str) -> None:
        if self.dropping:
            self.dropping = None if tag == self.dropping else self.dropping
        elif tag not in DROPPED_ELEMENTS:
            self.out.append(f"</{tag}>")

    def _keep(self, text: str) -> None:
        if not self.dropping:
            self.out.append(text)

    def handle_data(self, data: str) -> None:
        self._keep(data)

    def handle_entityref(self, name: str) -> None:
        self._keep(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self._keep(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        self._keep(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self._keep(f"<!{decl}>")

    def handle_pi(self, data: str) -> None:
        self._keep(f"<?{data}>")

    def unknown_decl(self, data: str) -> None:
        self._keep(f"<![{data}]>")


def _rewritten(tag: str, attrs: Attrs, closed: bool) -> bool:
    """Whether the platform writes this start tag otherwise than it was sent."""
    return ((closed and tag in VOID_ELEMENTS)
            or any(name in DROPPED_ATTRIBUTES or name == "style" for name, _ in attrs))


def _spaced(style: str) -> str:
    """A style's declarations as the editor writes them: ``name: value;``, spaced."""
    declarations = (d.strip() for d in style.split(";"))
    return " ".join(_declaration(d) for d in declarations if d)


def _declaration(declaration: str) -> str:
    name, colon, value = declaration.partition(":")
    return f"{name.strip()}: {value.strip()};" if colon else f"{declaration};"


def _tag(tag: str, attrs: Attrs, closed: bool) -> str:
    parts = [tag, *(name if value is None else f'{name}="{escape(value)}"'
                    for name, value in attrs)]
    return "<" + " ".join(parts) + (" />" if closed else ">")


def clean_content(html: str, image_known: Callable[[str], bool]) -> str:
    """``html`` as the draft box keeps it. ``image_known(src)``: whether the
    platform handed out that image URL."""
    cleaner = _Cleaner(image_known)
    cleaner.feed(html)
    cleaner.close()
    return "".join(cleaner.out)
