"""Columns for the CLI's listings: a Chinese character takes two cells in a
terminal, so padding by ``len`` (``f"{name:<12}"``) misaligns every row with
Chinese in it."""

from __future__ import annotations

import unicodedata


def width(text: str) -> int:
    """Terminal cells ``text`` takes: two for wide and full-width characters."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, cells: int) -> str:
    """``text`` left-aligned in ``cells`` terminal cells (never cut)."""
    return text + " " * max(cells - width(text), 0)
