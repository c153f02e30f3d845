"""The published items a set of followers' texts can name in 《》: only the
titles they quote are read, not every published title (bench/scale.py: 5,000
of them, read for each 统计 and 复查, cost more than the rest of the read)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Text, any_, func, literal, or_, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from storage.models import ContentItemRow
from storage.plans import custom_plans
from workflow.suggestions import TITLE_QUOTE, unique_titles

#: What ``str.strip()`` takes off (every character ``str.isspace()`` is true of).
BLANKS = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
          + "".join(chr(c) for c in range(0x2000, 0x200b)) + "\u2028\u2029\u202f\u205f\u3000")


def quoted_titles(session: Session, texts: Iterable[str]) -> dict[str, int]:
    """Title -> item for the published items whose title one of ``texts`` quotes
    (``suggestions.unique_titles`` of them: a title two items share names
    neither). A quote is stripped before it is looked up
    (``suggestions.named_items``) and so is a title; the writes store titles
    stripped (``usecases._checked_title``), and a title that is not, with a
    blank at either end, is read too and stripped here as before."""
    return unique_titles(quoted_rows(session, texts))


def quoted_rows(session: Session, texts: Iterable[str]) -> list[tuple[int, str]]:
    """The published items (id, title as stored) that ``quoted_titles`` looks
    among: every item titled as one of the quotes, or with a blank at either end."""
    names = sorted({t.strip() for text in texts for t in TITLE_QUOTE.findall(text)} - {""})
    if not names:
        return []
    item = ContentItemRow
    custom_plans(session)  # an array of titles: planned blind, every item is read
    if session.get_bind().dialect.name == "postgresql":  # one array, not a placeholder each
        named = item.title == any_(literal(names, type_=postgresql.ARRAY(Text)))
    else:
        named = item.title.in_(names)
    ends = [func.substr(item.title, 1, 1), func.substr(item.title, func.length(item.title), 1)]
    rows = session.connection().execute(select(item.id, item.title).where(
        item.published_at.is_not(None),
        or_(named, *[end.in_(list(BLANKS)) for end in ends]))).all()
    return [(r.id, r.title) for r in rows]
