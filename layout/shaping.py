"""From the HTML a converter gives (markdown-it's or mammoth's) to HTML the
WeChat draft box keeps, with classes still on for the theme's stylesheet.

What the platform keeps (shared/WECHAT.md, and how doocs/md and mdnice, two
Markdown-to-WeChat renderers, write for it): ``section`` for blocks, not
``div``; list items shown as blocks with their marker written as text (native
markers and nested numbering do not survive the editor), their content in a
``section``; tables in a section that scrolls sideways; images as ``figure``
with a ``figcaption``; only ``mp.weixin.qq.com`` links, every other link a
numbered reference listed at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml import html as lxml_html
from lxml.html import HtmlElement as Element

from layout.article import EmbeddedImage, ImageRef, Placed, Reference, Words

ImageUrl = Callable[[ImageRef], str | Placed | None]
WECHAT_HOST = "mp.weixin.qq.com"
BLOCKS = frozenset({"p", "section", "div", "pre", "blockquote", "table", "figure", "ul", "ol",
                    "h1", "h2", "h3", "h4", "h5", "h6", "hr"})
BULLETS = ("\u2022", "\u25e6", "\u25aa")  # • ◦ ▪ by depth


@dataclass(frozen=True)
class Shaped:
    html: str
    references: tuple[Reference, ...]
    placed: tuple[ImageRef, ...]
    unplaced: tuple[ImageRef, ...]


def shape(body: str, image_url: ImageUrl, embedded: Mapping[str, EmbeddedImage],
          words: Words) -> Shaped:
    """``body`` shaped (see the module's rules), in one ``section.article``."""
    root = lxml_html.fragment_fromstring(body or "<p></p>", create_parent="section")
    root.set("class", "article")
    _footnotes(root, words)
    placed, unplaced = _images(root, image_url, embedded)
    references = _links(root)
    _reference_list(root, references, words)
    for element in root.iter("div"):
        element.tag = "section"
    _tables(root)
    _lists(root)
    html = lxml_html.tostring(root, encoding="unicode")
    return Shaped(html, references, placed, unplaced)


# -- footnotes (markdown-it-footnote's markup) ------------------------------------


def _footnotes(root: Element, words: Words) -> None:
    for element in _with_class(root, "footnotes-sep", "footnote-backref"):
        element.drop_tree()
    for marker in _with_class(root, "footnote-ref"):
        number = marker.text_content().strip("[] ").split(":")[0]
        for child in list(marker):
            marker.remove(child)
        marker.text = number
    for notes in _with_class(root, "footnotes"):
        notes.set("class", "notes")
        notes.insert(0, _new("p", "end-title", words.notes))


def _with_class(root: Element, *names: str) -> list[Element]:
    return [element for element in root.iter()
            if isinstance(element.tag, str) and element.get("class") in names]


# -- images -----------------------------------------------------------------------


def _images(root: Element, image_url: ImageUrl, embedded: Mapping[str, EmbeddedImage],
            ) -> tuple[tuple[ImageRef, ...], tuple[ImageRef, ...]]:
    """Each image given its uploaded URL (or left out), then made a figure
    where it stands alone; the images placed and those left out, in order."""
    placed: list[ImageRef] = []
    unplaced: list[ImageRef] = []
    for img in list(root.iter("img")):
        ref = _image_ref(img, embedded)
        url = image_url(ref)
        if url is None:
            unplaced.append(ref)
            _drop_image(img)
        else:
            placed.append(ref)
            _point(img, ref, url)
    _figures(root)
    return tuple(placed), tuple(unplaced)


def _point(img: Element, ref: ImageRef, url: str | Placed) -> None:
    placed = url if isinstance(url, Placed) else Placed(url)
    img.attrib.clear()
    img.set("src", placed.url)
    img.set("alt", ref.alt)
    # read by _fill_figure, then gone
    img.set("data-caption", _credited(ref.title or ref.alt, placed.credit))


def _credited(caption: str, credit: str) -> str:
    """The caption with the credit after it, unless the caption names it already."""
    if not credit or credit in caption:
        return caption
    return f"{caption}（{credit}）" if caption else credit


def _figures(root: Element) -> None:
    for paragraph in list(root.iter("p")):
        if _only_images(paragraph):
            _as_figures(paragraph)
    for img in list(root.iter("img")):
        if img.getparent().tag in ("section", "blockquote"):  # an image block of its own
            _as_figures(img)
    for img in root.iter("img"):
        img.attrib.pop("data-caption", None)  # an image inside a line has no caption


def _drop_image(img: Element) -> None:
    """The image out, and the paragraph it stood alone in with it."""
    parent = img.getparent()
    img.drop_tree()
    if parent is not None and parent.tag == "p" and not len(parent) \
            and not (parent.text or "").strip():
        parent.drop_tree()


def _image_ref(img: Element, embedded: Mapping[str, EmbeddedImage]) -> ImageRef:
    src = (img.get("src") or "").strip()
    inside = embedded.get(src)
    return ImageRef(src=src, alt=(img.get("alt") or "").strip(),
                    title=(img.get("title") or "").strip(),
                    data=None if inside is None else inside.data,
                    content_type=None if inside is None else inside.content_type)


def _only_images(paragraph: Element) -> bool:
    children = list(paragraph)
    texts = [paragraph.text, *(child.tail for child in children)]
    return (bool(children) and all(child.tag in ("img", "br") for child in children)
            and any(child.tag == "img" for child in children)
            and not "".join(t or "" for t in texts).strip())


def _as_figures(block: Element) -> None:
    """``block`` (a paragraph of images, or one image) replaced by a figure per image."""
    images = [block] if block.tag == "img" else [img for img in block if img.tag == "img"]
    figures = [_new("figure") for _ in images]
    for figure in figures:
        block.addprevious(figure)
    figures[-1].tail = block.tail
    block.getparent().remove(block)
    for figure, img in zip(figures, images, strict=True):
        _fill_figure(figure, img)


def _fill_figure(figure: Element, img: Element) -> None:
    caption = img.attrib.pop("data-caption", "")
    img.tail = None
    figure.append(img)
    if caption:
        figure.append(_new("figcaption", None, caption))


# -- links ------------------------------------------------------------------------


def _links(root: Element) -> tuple[Reference, ...]:
    numbers: dict[str, Reference] = {}
    for link in list(root.iter("a")):
        href = (link.get("href") or "").strip()
        text = link.text_content().strip()
        kind = _link_kind(href, text)
        if kind == "keep":
            link.attrib.clear()
            link.set("href", href)
            continue
        if kind == "reference":
            reference = numbers.setdefault(href, Reference(len(numbers) + 1, text, href))
            _after(link, _new("sup", "ref", f"[{reference.number}]"))
        link.drop_tag()
    return tuple(numbers.values())


def _link_kind(href: str, text: str) -> str:
    """keep (an article on the platform), plain (no web or mail address, or the
    address is its text) or reference (any other address: the platform refuses it)."""
    parts = urlsplit(href)
    if parts.scheme not in ("http", "https", "mailto"):
        return "plain"  # an anchor, a relative path, javascript: and the like
    if parts.scheme != "mailto" and parts.hostname == WECHAT_HOST:
        return "keep"
    if _bare(text) == _bare(href):
        return "plain"
    return "reference"


def _bare(url: str) -> str:
    """A URL as people write it: no scheme, no ``mailto:``, no trailing slash."""
    for prefix in ("https://", "http://", "mailto:"):
        if url.lower().startswith(prefix):
            url = url[len(prefix):]
    return url.rstrip("/").lower()


def _reference_list(root: Element, references: tuple[Reference, ...], words: Words) -> None:
    if not references:
        return
    listing = _new("section", "references")
    listing.append(_new("p", "end-title", words.references))
    for reference in references:
        label = f"{reference.text}: " if reference.text and reference.text != reference.url else ""
        listing.append(_new("p", None, f"[{reference.number}] {label}{reference.url}"))
    root.append(listing)


# -- tables -----------------------------------------------------------------------


def _tables(root: Element) -> None:
    for table in list(root.iter("table")):
        table.attrib.pop("class", None)
        wrap = _new("section", "table-wrap")
        table.addprevious(wrap)
        wrap.tail, table.tail = table.tail, None
        wrap.append(table)


# -- lists ------------------------------------------------------------------------


def _lists(root: Element) -> None:
    for listing in list(root.iter("ul", "ol")):
        depth = sum(1 for _ in listing.iterancestors("ul", "ol"))
        markers = _markers(listing, depth)
        listing.attrib.clear()
        listing.set("class", "list")
        for item, marker in zip(listing.iterchildren("li"), markers, strict=False):
            _wrap_item(item, marker)


def _markers(listing: Element, depth: int) -> Iterator[str]:
    if listing.tag == "ul":
        return _bullets(BULLETS[depth % len(BULLETS)])
    start = (listing.get("start") or "1").strip()
    return _numbers(int(start) if start.isdecimal() else 1, depth)


def _bullets(bullet: str) -> Iterator[str]:
    while True:
        yield bullet


def _numbers(number: int, depth: int) -> Iterator[str]:
    while True:
        yield _ordinal(number, depth) + "."
        number += 1


def _ordinal(number: int, depth: int) -> str:
    """1, 2, 3 at the top; a, b, c one level in; i, ii, iii below that."""
    if depth % 3 == 1 and 0 < number <= 26:
        return chr(ord("a") + number - 1)
    if depth % 3 == 2 and 0 < number < 40:
        return _roman(number)
    return str(number)


def _roman(number: int) -> str:
    numerals = ((10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))
    out = ""
    for value, letters in numerals:
        count, number = divmod(number, value)
        out += letters * count
    return out


def _wrap_item(item: Element, marker: str) -> None:
    """``li``'s inline content in ``section.item`` (a paragraph becomes one),
    blocks and nested lists beside it, the marker first in the first section."""
    pieces = _detached(item)
    run: Element | None = None
    for piece in pieces:
        if isinstance(piece, str) or piece.tag not in BLOCKS:
            if run is None:
                run = _new("section", "item")
                item.append(run)
            _append(run, piece)
            continue
        run = None
        if piece.tag == "p":
            piece.tag = "section"
            piece.set("class", "item")
        item.append(piece)
    first = item[0] if len(item) and item[0].get("class") == "item" else None
    if first is None:
        first = _new("section", "item")
        item.insert(0, first)
    for block in item[1:]:
        if block.tag not in ("ul", "ol"):  # a nested list has its own indent
            block.set("class", f"{block.get('class') or ''} more".strip())
    _prepend(first, _new("span", "marker", marker))
    item.attrib.clear()


def _detached(item: Element) -> list[Element | str]:
    """The item's text and children in order, taken out of it; white space
    between blocks dropped."""
    pieces: list[Element | str] = [item.text or ""]
    for child in list(item):
        tail, child.tail = child.tail or "", None
        item.remove(child)
        pieces += [child, tail]
    item.text = None
    return [p for p in pieces if not isinstance(p, str) or p.strip()]


def _append(parent: Element, piece: Element | str) -> None:
    if not isinstance(piece, str):
        parent.append(piece)
    elif len(parent):
        parent[-1].tail = (parent[-1].tail or "") + piece
    else:
        parent.text = (parent.text or "") + piece


def _prepend(parent: Element, child: Element) -> None:
    child.tail, parent.text = parent.text, None
    parent.insert(0, child)


# -- small helpers ----------------------------------------------------------------


def _new(tag: str, css_class: str | None = None, text: str | None = None) -> Element:
    element = lxml_html.Element(tag)
    if css_class:
        element.set("class", css_class)
    element.text = text
    return element


def _after(anchor: Element, element: Element) -> None:
    element.tail, anchor.tail = anchor.tail, None
    anchor.addnext(element)
