"""Chinese typography: spacing between Chinese and Latin or digits, half-width
punctuation in Chinese text, repeated punctuation.

Spacing and punctuation come from autocorrect (huacnlee/autocorrect, the Rust
linter behind autocorrect-py), which knows the rules of 中文文案排版指北 and
their exceptions far better than a few regexes would. Its lint answers a whole
line and the line as it should be; each difference between the two is one
finding, at its place. It does not flag repeated punctuation (！！, 。。),
so that is one small rule here: the same sentence mark twice or more in a
row. …… and —— are single marks in Chinese, so they are left alone.
Text inside ``pre`` and ``code`` is not prose and is not checked.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

import autocorrect_py
import regex

from workflow.checks.model import Code

#: The same sentence mark two or more times in a row (full-width or ASCII).
_REPEATED = regex.compile(r"([！？。，、；：!?,;:])\1+")
_NOT_BLANK = regex.compile(r"\s+")
_LINT_AS = "text.txt"  # autocorrect picks its rules by file name: plain text


@dataclass(frozen=True)
class Suggestion:
    code: Code
    start: int
    end: int
    old: str
    new: str


def suggestions(text: str, code: Sequence[tuple[int, int]] = ()) -> list[Suggestion]:
    """What to change in ``text`` (the visible text), outside the code ranges."""
    found = [*_autocorrected(text), *_repeated(text)]
    return sorted((s for s in found if not _in_code(s, code)), key=lambda s: s.start)


def _autocorrected(text: str) -> Iterator[Suggestion]:
    starts = _line_starts(text)
    lines = text.split("\n")
    for result in autocorrect_py.lint_for(text, _LINT_AS).lines:
        line = lines[result.line - 1]
        # The lint gives the line without its leading blanks: find where it sits.
        column = line.find(result.old)
        offset = starts[result.line - 1] + (column if column >= 0 else result.col - 1)
        yield from _differences(result.old, result.new, offset)


def _line_starts(text: str) -> list[int]:
    starts, offset = [], 0
    for line in text.split("\n"):
        starts.append(offset)
        offset += len(line) + 1
    return starts


def _differences(old: str, new: str, offset: int) -> Iterator[Suggestion]:
    for i1, i2, j1, j2 in _changes(old, new):
        before, after = old[i1:i2], new[j1:j2]
        yield Suggestion(_kind(before, after), offset + i1, offset + i2, before, after)


def _changes(old: str, new: str) -> list[tuple[int, int, int, int]]:
    """The changed stretches, as (i1, i2, j1, j2). autocorrect adds and removes
    blanks and swaps one character for another (a mark's width), so one walk
    over both lines finds them; a line where it did more (the letters, blanks
    aside, are not as many) goes to difflib, which is exact but slower."""
    if len(_NOT_BLANK.sub("", old)) != len(_NOT_BLANK.sub("", new)):
        return _exact_changes(old, new)
    changes: list[tuple[int, int, int, int]] = []
    i = j = 0
    while i < len(old) or j < len(new):
        if i < len(old) and j < len(new) and old[i] == new[j]:
            i, j = i + 1, j + 1
            continue
        start = (i, j)
        if j < len(new) and new[j].isspace() and not (i < len(old) and old[i].isspace()):
            j += 1  # a blank added
        elif i < len(old) and old[i].isspace():
            i += 1  # a blank taken away (or changed)
        else:
            i, j = i + 1, j + 1  # a character for another
        if changes and changes[-1][1:4:2] == start:  # touches the last stretch: one change
            changes[-1] = (changes[-1][0], i, changes[-1][2], j)
        else:
            changes.append((start[0], i, start[1], j))
    return changes


def _exact_changes(old: str, new: str) -> list[tuple[int, int, int, int]]:
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    return [(i1, i2, j1, j2) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def _kind(before: str, after: str) -> Code:
    if not before.strip() and not after.strip():
        return Code.TYPOGRAPHY_SPACE  # a blank added or taken away
    if before.isascii() and not after.isascii() and not any(c.isalnum() for c in before):
        return Code.TYPOGRAPHY_PUNCTUATION  # a half-width mark for a full-width one
    return Code.TYPOGRAPHY_OTHER


def _repeated(text: str) -> Iterator[Suggestion]:
    for found in _REPEATED.finditer(text):
        yield Suggestion(Code.REPEATED_PUNCTUATION, found.start(), found.end(), found[0],
                         found[1])


def _in_code(suggestion: Suggestion, code: Sequence[tuple[int, int]]) -> bool:
    for start, end in code:
        if suggestion.start == suggestion.end:  # an insertion: inside, not at the edge
            if start < suggestion.start < end:
                return True
        elif suggestion.start < end and start < suggestion.end:
            return True
    return False
