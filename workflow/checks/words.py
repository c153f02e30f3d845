"""The organisation's sensitive-word list, matched against an article's visible text.

Words are found with an Aho–Corasick automaton (ahocorasick-rs, the Rust
``aho-corasick`` crate): one pass over the text whatever the size of the list,
where a loop of ``in`` costs one pass per word (bench/checks.py measures both).
pyahocorasick was tried first and measured here at 28 ms for 10,000 Chinese
words against 20,000 characters (its trie looks a character up among a node's
children one by one, and a Chinese list's root has thousands), 11 ms with the
text as UTF-8 bytes: over the 10 ms budget either way; ahocorasick-rs takes
about 1 ms, folding included. The automaton is built once per list (``WordList.build``) and kept
by the caller while the list does not change.

A word matches whatever the width and case its letters and digits are written
in (ＶＩＰ, vip, VIP): both the word and the text are folded, each letter or
digit of the Basic Multilingual Plane to its NFKC casefold when that is one
character, so every character keeps its place and an offset in the folded
text is the offset in the text. Punctuation, and letters whose fold is longer
(ß, ﬁ) or that lie outside the plane (𝐀), are matched as written. A word
split by a tag (敏<b>感</b>) is found, because the visible text joins inline
tags; a word split by a blank or a line break is not: the list says what a
reader would see written, and whoever keeps it can add a spaced form.

A pattern is a regular expression run with the ``regex`` module on the visible
text as written (not folded: folding could change what the pattern means),
with a timeout per pattern and a budget for all of them, as the auto-reply
rules do. A pattern that times out, does not compile, or was not tried because
the budget was spent is reported as unchecked, never silently passed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from time import monotonic

import regex
from ahocorasick_rs import AhoCorasick

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


@lru_cache(maxsize=1)
def _folding() -> tuple[re.Pattern[str], dict[str, str]]:
    """The letters and digits that fold to another single character, and a
    pattern for runs of them. Built once (about 0.1 s): a stdlib class of BMP
    characters is a bitmap, so finding the few in a text costs well under 1 ms."""
    table: dict[str, str] = {}
    for codepoint in range(0x10000):
        char = chr(codepoint)
        if char.isalnum():
            folded = unicodedata.normalize("NFKC", char).casefold()
            if folded != char and len(folded) == 1:
                table[char] = folded
    return re.compile("[" + "".join(map(re.escape, table)) + "]+"), table


def fold(text: str) -> str:
    """``text`` folded for matching, the same length, each character in its place."""
    if text.isascii():
        return text.lower()
    runs, table = _folding()
    return runs.sub(lambda run: "".join([table[c] for c in run[0]]), text)


class WordList:
    """A built list: the automaton of its words and its compiled patterns."""

    def __init__(self, by_word: dict[str, list[WordEntry]],
                 patterns: list[tuple[WordEntry, regex.Pattern[str]]],
                 invalid: list[WordEntry]) -> None:
        self._keys = list(by_word)
        self._entries = [tuple(by_word[key]) for key in self._keys]
        self._automaton = AhoCorasick(self._keys) if self._keys else None
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
        return cls(by_word, patterns, invalid)

    def __len__(self) -> int:
        """Distinct words (as folded) and patterns."""
        return len(self._keys) + len(self._patterns) + len(self._invalid)

    def words_in(self, text: str) -> Iterator[Hit]:
        """Every place a word of the list is in ``text``, overlapping ones too."""
        if self._automaton is None:  # it cannot be built without a word
            return
        for index, start, end in self._automaton.find_matches_as_indexes(fold(text),
                                                                         overlapping=True):
            for entry in self._entries[index]:
                yield Hit(entry, start, end)

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


def _matches(entry: WordEntry, compiled: regex.Pattern[str], text: str,
             timeout: float) -> list[Hit]:
    hits: list[Hit] = []
    for found in compiled.finditer(text, timeout=timeout):
        if found.end() > found.start():  # an empty match marks no place
            hits.append(Hit(entry, found.start(), found.end()))
            if len(hits) == MAX_HITS_PER_PATTERN:
                break
    return hits
