"""An article's HTML read once with the standard library's parser: its visible
text and what sits where in it (images, links, headings, lists, tables, code).

The visible text is what a reader sees: tags dropped, entities decoded, the
content of ``script`` and ``style`` left out. Inline tags join their text
(``敏<b>感</b>`` reads 敏感, as on screen); a block tag ends a line, so text
in two paragraphs never reads as one word. Every offset the checks report is
an index into this text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

#: Tags that end a line of text (as in workflow.text, plus lists, tables and figures).
BLOCKS = frozenset({"p", "br", "div", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5",
                    "h6", "section", "blockquote", "pre", "hr", "ul", "ol", "table",
                    "figure", "figcaption", "caption"})
HIDDEN = frozenset({"script", "style"})
CODE = frozenset({"pre", "code"})
LISTS = frozenset({"ul", "ol"})
CELLS = frozenset({"td", "th"})
HEADINGS = {f"h{n}": n for n in range(1, 7)}


@dataclass(frozen=True)
class Image:
    src: str
    alt: str
    at: int


@dataclass(frozen=True)
class Link:
    href: str
    at: int


@dataclass(frozen=True)
class Heading:
    level: int
    at: int


@dataclass(frozen=True)
class Cell:
    start: int
    end: int


@dataclass
class Table:
    at: int
    columns: int = 0  # the widest row, colspans counted
    cells: list[Cell] = field(default_factory=list)
    row: int = 0  # columns in the row being read
    cell_start: int | None = None


@dataclass
class Document:
    text: str
    images: list[Image]
    links: list[Link]
    headings: list[Heading]
    deep_lists: list[int]  # where a list starts that sits deeper than allowed
    tables: list[Table]
    code: list[tuple[int, int]]  # [start, end) of text inside pre/code


class _Reader(HTMLParser):
    def __init__(self, max_list_depth: int) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.length = 0
        self.hidden = 0
        self.code_depth = 0
        self.code_start = 0
        self.list_depth = 0
        self.max_list_depth = max_list_depth
        self.open_tables: list[Table] = []
        self.doc = Document("", [], [], [], [], [], [])

    def _put(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN:
            self.hidden += 1
            return
        if tag in BLOCKS:
            self._put("\n")
        values = {name: value or "" for name, value in attrs}
        if tag == "img":
            src = values.get("src") or values.get("data-src", "")
            self.doc.images.append(Image(src.strip(), values.get("alt", ""), self.length))
        elif tag == "a" and "href" in values:
            self.doc.links.append(Link(values["href"].strip(), self.length))
        elif tag in HEADINGS:
            self.doc.headings.append(Heading(HEADINGS[tag], self.length))
        self._open_structure(tag, values)

    def _open_structure(self, tag: str, values: dict[str, str]) -> None:
        if tag in CODE:
            if not self.code_depth:
                self.code_start = self.length
            self.code_depth += 1
        elif tag in LISTS:
            self.list_depth += 1
            if self.list_depth == self.max_list_depth + 1:
                self.doc.deep_lists.append(self.length)
        elif tag == "table":
            self.open_tables.append(Table(self.length))
        elif tag == "tr" and self.open_tables:
            self.open_tables[-1].row = 0
        elif tag in CELLS and self.open_tables:
            table = self.open_tables[-1]
            self._close_cell(table)  # an unclosed <td> ends where the next cell starts
            table.row += _span(values.get("colspan", ""))
            table.columns = max(table.columns, table.row)
            table.cell_start = self.length

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN:
            self.hidden = max(0, self.hidden - 1)
            return
        if tag in CODE and self.code_depth:
            self.code_depth -= 1
            if not self.code_depth:
                self.doc.code.append((self.code_start, self.length))
        elif tag in LISTS:
            self.list_depth = max(0, self.list_depth - 1)
        elif tag in CELLS and self.open_tables:
            self._close_cell(self.open_tables[-1])
        elif tag == "table" and self.open_tables:
            self.doc.tables.append(self.open_tables.pop())
        if tag in BLOCKS:
            self._put("\n")

    def _close_cell(self, table: Table) -> None:
        if table.cell_start is not None:
            table.cells.append(Cell(table.cell_start, self.length))
            table.cell_start = None

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self._put(data)

    def finish(self) -> Document:
        self.close()
        self.doc.text = "".join(self.parts)
        if self.code_depth:  # an unclosed <pre> runs to the end
            self.doc.code.append((self.code_start, self.length))
        self.doc.tables.extend(self.open_tables)  # unclosed tables still count
        return self.doc


def _span(value: str) -> int:
    return max(1, min(int(value), 1000)) if value.strip().isdecimal() else 1


def read(body: str, max_list_depth: int = 2) -> Document:
    """The document of ``body``: its visible text and where things sit in it."""
    reader = _Reader(max_list_depth)
    reader.feed(body or "")
    return reader.finish()


def visible_text(body: str) -> str:
    """The visible text the findings' offsets point into."""
    return read(body).text
