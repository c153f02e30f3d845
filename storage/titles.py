"""The published items a set of followers' texts can name in 《》: only the
titles they quote are read, not every published title (bench/scale.py: 5,000
of them, read for each 统计 and 复查, cost more than the rest of the read)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Text, any_, literal, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

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
    item = ContentItemRow
    stripped = Stripped(item.title)  # as the index has it
    custom_plans(session)  # an array of titles: planned blind, every item is read
    if session.get_bind().dialect.name == "postgresql":  # one array, not a placeholder each
        named = stripped == any_(literal(names, type_=postgresql.ARRAY(Text)))
    else:
        named = stripped.in_(names)
    rows = session.connection().execute(select(item.id, item.title).where(
        item.published_at.is_not(None), named)).all()
    return [(item_id, title) for item_id, title in rows]
