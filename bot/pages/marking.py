"""Marking quoted passages in an article's sanitised HTML: each reason's quote
is found in the text the tags hold (blanks aside, as ``workflow.quoting``
finds it) and wrapped in ``<mark>``, one per text node it runs through, so a
quote across ``<b>`` or two paragraphs is marked without breaking the markup.
After its last part comes the reason, in a small note.

Only text between tags is touched: a tag (and its attributes, quoted, as the
sanitiser writes them) is passed through as it is.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from workflow import quoting

#: A tag, with quoted attribute values that may hold ">", or a run of text.
_PARTS = re.compile(r"""<(?:[^>"']|"[^"]*"|'[^']*')*>|[^<]+|<""")


@dataclass(frozen=True)
class Quote:
    """A passage to mark: ``number`` names it on the page (#quote-1), ``note``
    is what follows it (the reason, with who gave it)."""

    number: int
    text: str
    note: str


@dataclass
class _Text:
    plain: str
    cuts: list[tuple[int, int, Quote, bool]]  # [start, end) in plain, quote, is last part


def mark_quotes(body: str, quotes: Sequence[Quote]) -> tuple[str, set[int]]:
    """``body`` with each quote marked where it is found; the numbers of those found."""
    parts: list[str | _Text] = [
        _Text(html.unescape(p), []) if not p.startswith("<") else p
        for p in _PARTS.findall(body)]
    texts = [p for p in parts if isinstance(p, _Text)]
    whole = "".join(t.plain for t in texts)
    found = set()
    for quote in quotes:
        where = quoting.span(quote.text, whole)
        if where is not None and _cut(texts, where, quote):
            found.add(quote.number)
    return "".join(p if isinstance(p, str) else _written(p) for p in parts), found


def _cut(texts: list[_Text], where: tuple[int, int], quote: Quote) -> bool:
    """Note the parts of ``where`` in each text node; False when it overlaps a
    passage marked already (the first quote keeps its mark)."""
    start, end = where
    pieces, offset = [], 0
    for text in texts:
        lo, hi = max(start, offset), min(end, offset + len(text.plain))
        if lo < hi and text.plain[lo - offset:hi - offset].strip():
            pieces.append((text, lo - offset, hi - offset))
        offset += len(text.plain)
    if not pieces or any(_overlaps(t, a, b) for t, a, b in pieces):
        return False
    for n, (text, a, b) in enumerate(pieces):
        text.cuts.append((a, b, quote, n == len(pieces) - 1))
    return True


def _overlaps(text: _Text, a: int, b: int) -> bool:
    return any(a < e and s < b for s, e, _q, _l in text.cuts)


def _written(text: _Text) -> str:
    out, at = [], 0
    for start, end, quote, last in sorted(text.cuts, key=lambda c: c[0]):
        out.append(html.escape(text.plain[at:start], quote=False))
        out.append(f'<mark data-quote="{quote.number}">'
                   f'{html.escape(text.plain[start:end], quote=False)}</mark>')
        if last:
            out.append(f'<small class="quote-note" id="quote-{quote.number}">'
                       f'{html.escape(quote.note)}</small>')
        at = end
    out.append(html.escape(text.plain[at:], quote=False))
    return "".join(out)
