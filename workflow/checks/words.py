"""The organisation's sensitive-word list, matched against an article's visible text.

Words are found with an Aho–Corasick automaton (pyahocorasick): one pass over
the text whatever the size of the list, where a loop of ``in`` costs one pass
per word (bench/checks.py measures both). The automaton is built once per list
(``WordList.build``) and kept by the caller while the list does not change.

A word matches whatever the width and case it is written in: both the word and
the text are folded character by character (NFKC, then casefold), keeping each
character's place, so an offset in the folded text is the offset in the text;
a character whose fold is longer than one (ß, ﬁ) stays as written. A word
split by a tag (敏<b>感</b>) is found, because the visible text joins inline
tags; a word split by a blank or a line break is not: the list says what a
reader would see written, and the writer can add the spaced form if it matters.

A pattern is a regular expression run with the ``regex`` module on the visible
text as written (not folded: folding could change what the pattern means),
with a timeout per pattern and a budget for all of them, as the auto-reply
rules do. A pattern that times out, does not compile, or was not tried because
the budget was spent is reported as unchecked, never silently passed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from time import monotonic

import ahocorasick
import regex

PATTERN_TIMEOUT_SECONDS = 0.05  # one pattern against one article
PATTERN_BUDGET_SECONDS = 0.5  # all patterns against one article
MAX_HITS_PER_PATTERN = 100  # a pattern that matches everywhere says so a hundred times at most


@dataclass(frozen=True)
class WordEntry:
    """One line of the list: a word (or a regex when ``pattern``) and its category."""

    text: str
    category: str
    pattern: bool = False


@dataclass(frozen=True)
class Hit:
    entry: WordEntry
    start: int
    end: int


@dataclass(frozen=True)
class Unchecked:
    """A pattern that was not (fully) tried, and why: timeout, invalid, budget."""

    entry: WordEntry
    reason: str


class _FoldTable(dict[int, str]):
    """str.translate's table, filled as characters are met: each character's
    NFKC casefold when that is one character, else the character itself."""

    def __missing__(self, codepoint: int) -> str:
        char = chr(codepoint)
        folded = unicodedata.normalize("NFKC", char).casefold()
        value = folded if len(folded) == 1 else char
        self[codepoint] = value
        return value


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """``text`` folded for matching, the same length, each character in its place."""
    return text.translate(_FOLD)


class WordList:
    """A built list: the automaton of its words and its compiled patterns."""

    def __init__(self, automaton: ahocorasick.Automaton | None,
                 patterns: list[tuple[WordEntry, regex.Pattern[str]]],
                 invalid: list[WordEntry]) -> None:
        self._automaton = automaton
        self._patterns = patterns
        self._invalid = invalid

    @classmethod
    def build(cls, entries: Iterable[WordEntry]) -> WordList:
        by_word: dict[str, list[WordEntry]] = {}
        patterns: list[tuple[WordEntry, regex.Pattern[str]]] = []
        invalid: list[WordEntry] = []
        for entry in entries:
            if entry.pattern:
                _compile_into(entry, patterns, invalid)
            elif key := fold(entry.text.strip()):
                by_word.setdefault(key, []).append(entry)
        return cls(_automaton(by_word), patterns, invalid)

    def __len__(self) -> int:
        words = len(self._automaton) if self._automaton is not None else 0
        return words + len(self._patterns) + len(self._invalid)

    def words_in(self, text: str) -> Iterator[Hit]:
        """Every place a word of the list is in ``text``, overlapping ones too."""
        if self._automaton is None:
            return
        for last, (length, entries) in self._automaton.iter(fold(text)):
            for entry in entries:
                yield Hit(entry, last + 1 - length, last + 1)

    def patterns_in(self, text: str, now: Callable[[], float] = monotonic
                    ) -> tuple[list[Hit], list[Unchecked]]:
        """The patterns' matches in ``text``, and the patterns not fully tried."""
        hits: list[Hit] = []
        unchecked = [Unchecked(entry, "invalid") for entry in self._invalid]
        deadline = now() + PATTERN_BUDGET_SECONDS
        for entry, compiled in self._patterns:
            left = deadline - now()
            if left <= 0:
                unchecked.append(Unchecked(entry, "budget"))
                continue
            try:
                hits.extend(_matches(entry, compiled, text, min(left, PATTERN_TIMEOUT_SECONDS)))
            except TimeoutError:
                unchecked.append(Unchecked(entry, "timeout"))
        return hits, unchecked


def _compile_into(entry: WordEntry, patterns: list[tuple[WordEntry, regex.Pattern[str]]],
                  invalid: list[WordEntry]) -> None:
    try:
        patterns.append((entry, regex.compile(entry.text)))
    except regex.error:
        invalid.append(entry)


def _automaton(by_word: dict[str, list[WordEntry]]) -> ahocorasick.Automaton | None:
    if not by_word:
        return None  # an empty automaton cannot be searched
    automaton = ahocorasick.Automaton()
    for key, entries in by_word.items():
        automaton.add_word(key, (len(key), tuple(entries)))
    automaton.make_automaton()
    return automaton


def _matches(entry: WordEntry, compiled: regex.Pattern[str], text: str,
             timeout: float) -> list[Hit]:
    hits: list[Hit] = []
    for found in compiled.finditer(text, timeout=timeout):
        if found.end() > found.start():  # an empty match marks no place
            hits.append(Hit(entry, found.start(), found.end()))
            if len(hits) == MAX_HITS_PER_PATTERN:
                break
    return hits
