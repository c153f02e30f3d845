"""An article's HTML in a canonical form: two bodies that read and look the
same compare equal, however the WeChat draft box rewrote the markup on save.

The platform's editor normalises what it stores: attribute order and quoting,
entity forms (``&nbsp;`` or U+00A0), ``<br/>`` or ``<br>``, whitespace between
tags, spacing and trailing semicolons in ``style``, ``data-*`` attributes it
adds, and the ``class``, ``id``, ``<style>`` and ``<script>`` it strips. The
canonical form keeps what a reader sees and nothing else: the element tree
(``b`` read as ``strong``, ``i`` as ``em``), text with entities resolved and
whitespace collapsed, ``img`` src, ``a`` href, table spans, and each style
declaration as a lower-cased ``property:value`` pair in a set. A changed
word, an added or removed image or link, changed emphasis or colour all
change it.

lxml is imported on first use, not with this module: the CLI's start-up
imports the draft box's rule but seldom compares a body.
"""

from __future__ import annotations

import re
from typing import Any

#: Elements the draft box drops with their content: never part of the article.
DROPPED = frozenset({"style", "script"})
#: Attributes that change what a reader sees, besides ``style``.
KEPT = frozenset({"href", "src", "colspan", "rowspan"})
#: Tags the editor may write for one another.
SAME_TAG = {"b": "strong", "i": "em"}

_SPACE = re.compile(r"\s+")  # str patterns: also U+00A0 and the other Unicode spaces
_AROUND = re.compile(r"\s*([,()/])\s*")

Node = tuple[Any, ...] | str


def same_article(a: str, b: str) -> bool:
    """Whether two bodies are one article (byte-equal ones without parsing)."""
    return a == b or canonical(a) == canonical(b)


def canonical(html: str) -> Node:
    """The canonical form of an article's HTML (a fragment or a document)."""
    from lxml import html as lxml_html  # here: kept off the CLI's start-up

    if not html.strip():
        return ("article", frozenset(), ())
    root = lxml_html.fragment_fromstring(html, create_parent="article")
    return _element(root)


def _element(element: Any) -> Node:
    children: list[Node] = []
    _text(children, element.text)
    for child in element:
        if isinstance(child.tag, str) and child.tag.lower() not in DROPPED:
            children.append(_element(child))
        _text(children, child.tail)  # a comment's or a dropped element's tail stays
    tag = element.tag.lower()
    return (SAME_TAG.get(tag, tag), _attributes(element.attrib), tuple(children))


def _text(children: list[Node], text: str | None) -> None:
    """Text joined to the text before it (a dropped comment in between), with
    whitespace collapsed; whitespace alone is dropped."""
    if not text:
        return
    last = children[-1] if children else None
    if isinstance(last, str):
        text = last + text
        children.pop()
    collapsed = _SPACE.sub(" ", text).strip()
    if collapsed:
        children.append(collapsed)


def _attributes(attrib: Any) -> frozenset[tuple[str, Any]]:
    kept: set[tuple[str, Any]] = {(name.lower(), value.strip()) for name, value in attrib.items()
                                  if name.lower() in KEPT}
    declarations = style_declarations(attrib.get("style") or "")
    if declarations:
        kept.add(("style", declarations))
    return frozenset(kept)


def style_declarations(style: str) -> frozenset[tuple[str, str]]:
    """A ``style`` attribute's declarations as ``(property, value)`` pairs,
    lower-cased, spacing normalised, empty ones dropped."""
    pairs = set()
    for declaration in style.split(";"):
        name, colon, value = declaration.partition(":")
        name, value = name.strip().lower(), _value(value)
        if colon and name and value:
            pairs.add((name, value))
    return frozenset(pairs)


def _value(value: str) -> str:
    value = _SPACE.sub(" ", value).strip()
    value = value if "url(" in value.lower() else value.lower()  # a URL keeps its case
    value = _AROUND.sub(r"\1", value)
    return value.replace(" !important", "!important")
