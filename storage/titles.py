"""The published items a set of followers' texts can name in 《》: only the
titles they quote are read, not every published title (bench/scale.py: 5,000
of them, read for each 统计 and 复查, cost more than the rest of the read)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from sqlalchemy import Select, Text, select
from sqlalchemy.orm import Session

from storage.among import among_given
from storage.models import ContentItemRow, Stripped
from storage.plans import custom_plans
from workflow.suggestions import TITLE_QUOTE, unique_titles


def quoted_titles(session: Session, texts: Iterable[str]) -> dict[str, int]:
    """Title -> item for the published items whose title one of ``texts`` quotes
    (``suggestions.unique_titles`` of them: a title two items share names
    neither). A quote is stripped before it is looked up
    (``suggestions.named_items``) and so is a title; the writes store titles
    stripped (``usecases._checked_title``), and a title that is not, with a
    blank at either end, is found by its stripped self as before."""
    return unique_titles(quoted_rows(session, texts))


def quoted_rows(session: Session, texts: Iterable[str]) -> list[tuple[int, str]]:
    """The published items (id, title as stored) that ``quoted_titles`` looks
    among: every item whose title, stripped, is one of the quotes, found by
    the index of stripped titles (migration 0033), each quote by itself."""
    names = sorted({t.strip() for text in texts for t in TITLE_QUOTE.findall(text)} - {""})
    if not names:
        return []
    custom_plans(session)  # an array of titles: planned blind, every item is read
    conn = session.connection()
    rows = conn.execute(_quoted(conn.dialect.name), {"names": names}).all()
    return [(item_id, title) for item_id, title in rows]


@cache
def _quoted(dialect: str) -> Select[Any]:
    """``quoted_rows``' statement, built once: the quotes given as ``names``
    (on PostgreSQL one array, not a placeholder each)."""
    item = ContentItemRow
    stripped = Stripped(item.title)  # as the index has it
    return select(item.id, item.title).where(
        item.published_at.is_not(None), among_given(dialect, stripped, "names", Text()))
