"""The organisation's sensitive-word list: add, import, list and remove.

A line of an imported file is one word, or ``category<TAB>word``; a word
written ``re:…`` is a regular expression (a pattern), as ``--pattern`` says of
one added alone. A pattern that does not compile is refused when it is added,
not found out at the next check.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import regex

from workflow.checks import WordEntry
from workflow.errors import WordInvalid
from workflow.ports import UnitOfWork

PATTERN_PREFIX = "re:"
MAX_WORD = 256  # the column's width
MAX_CATEGORY = 64


@dataclass(frozen=True)
class Imported:
    added: int = 0
    present: int = 0
    invalid: list[int] = field(default_factory=list)  # line numbers, from 1


def entry(text: str, category: str, pattern: bool = False) -> WordEntry:
    """The entry, or WordInvalid: empty, too long, or a pattern that does not compile."""
    text, category = text.strip(), category.strip()
    if not text or len(text) > MAX_WORD or not category or len(category) > MAX_CATEGORY:
        raise WordInvalid(text, "empty_or_long")
    if pattern:
        try:
            regex.compile(text)
        except regex.error:
            raise WordInvalid(text, "pattern") from None
    return WordEntry(text, category, pattern)


def line_entry(line: str, default_category: str) -> WordEntry | None:
    """One line of a file; None for a blank line or a ``#`` comment."""
    if not line.strip() or line.lstrip().startswith("#"):
        return None
    category, _, text = line.rpartition("\t")
    text = text.strip()
    pattern = text.startswith(PATTERN_PREFIX)
    return entry(text.removeprefix(PATTERN_PREFIX) if pattern else text,
                 category or default_category, pattern)


def add(uow: UnitOfWork, new: WordEntry, now: datetime) -> bool:
    with uow:
        added = uow.words.add(new, now)
        uow.commit()
        return added


def import_lines(uow: UnitOfWork, lines: Iterable[str], default_category: str,
                 now: datetime) -> Imported:
    """Every valid line added in one transaction; invalid lines are named, not fatal."""
    added, present, invalid = 0, 0, []
    with uow:
        for number, line in enumerate(lines, start=1):
            try:
                found = line_entry(line, default_category)
            except WordInvalid:
                invalid.append(number)
                continue
            if found is not None:
                fresh = uow.words.add(found, now)
                added, present = added + fresh, present + (not fresh)
        uow.commit()
    return Imported(added, present, invalid)


def listed(uow: UnitOfWork) -> list[WordEntry]:
    with uow:
        return uow.words.entries()


def remove(uow: UnitOfWork, text: str) -> int:
    with uow:
        gone = uow.words.remove(text.strip())
        uow.commit()
        return gone
