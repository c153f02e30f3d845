"""A request for changes that quotes the passage it is about:
``退回 12 「要引用的原文」 理由``. The quote must be words of the revision's
visible text (``checks.visible_text``), found whatever the blanks and line
breaks between them, so the writer can find it and the preview can mark it."""

from __future__ import annotations

import re

#: The marks a quote may open with in chat, and the mark that closes each.
QUOTE_MARKS = {"「": "」", "『": "』", "“": "”", '"': '"'}
_BLANKS = re.compile(r"\s+")


def split_quote(text: str) -> tuple[str, str]:
    """(quote, reason) of a reason that starts with a quoted passage; ("", text)
    otherwise, and when the quote is never closed or empty."""
    text = text.strip()
    closing = QUOTE_MARKS.get(text[:1])
    if closing is None:
        return "", text
    end = text.find(closing, 1)
    quote = text[1:end].strip() if end > 0 else ""
    if not quote:
        return "", text
    return quote, text[end + 1:].strip()


def squeeze(text: str) -> str:
    return _BLANKS.sub("", text)


def occurs(quote: str, text: str) -> bool:
    """Whether ``quote`` is words of ``text``, blanks and line breaks aside."""
    return bool(squeeze(quote)) and squeeze(quote) in squeeze(text)


def span(quote: str, text: str) -> tuple[int, int] | None:
    """Where ``quote`` sits in ``text`` ([start, end) offsets), blanks in either
    ignored; None when it is not there."""
    wanted = squeeze(quote)
    if not wanted:
        return None
    kept = [i for i, ch in enumerate(text) if not ch.isspace()]
    at = "".join(text[i] for i in kept).find(wanted)
    if at < 0:
        return None
    return kept[at], kept[at + len(wanted) - 1] + 1
