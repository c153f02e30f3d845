"""What changed in an article since the revision last reviewed, in its visible
text (``checks.visible_text``): the pieces kept, added and removed, and the
summary a reviewer reads in chat (第 3 版：+120 字，−30 字，改了 3 处).

The text is cut into tokens first: a Chinese character is one token, a Latin
word or a number is one token, so "300" changed to "520" is one word replaced,
not two digits. The tokens are diffed with Google's diff-match-patch (each
token stands for one character, as its line mode does), then its semantic
clean-up merges the small equalities a character diff leaves inside one edit:
"十二月出发" → "十一月底出发，历时两周" reads as one change, where difflib's
SequenceMatcher reports three ("二→一", "底", "，历时两周") and a reviewer
counts three places that are one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

from diff_match_patch import diff_match_patch

from workflow.checks.document import visible_text
from workflow.model import Review

#: A Latin word or number (accents and inner apostrophes, dots or hyphens kept),
#: a run of blanks, or any other single character (a Chinese one, a mark).
_TOKEN = re.compile(r"[0-9A-Za-z\u00C0-\u024F]+(?:['’.\-][0-9A-Za-z\u00C0-\u024F]+)*|\s+|.",
                    re.DOTALL)
#: diff-match-patch gives up refining after this long and returns a coarser diff.
TIMEOUT_SECONDS = 0.2
_SURROGATES = 0x800  # code points 0xD800-0xDFFF cannot stand for a token


class Change(StrEnum):
    SAME = "same"
    ADDED = "added"
    REMOVED = "removed"


@dataclass(frozen=True)
class Piece:
    change: Change
    text: str


@dataclass(frozen=True)
class RevisionDiff:
    """``revision`` against ``since`` (the revision last reviewed). ``added`` and
    ``removed`` count visible characters, blanks not counted; ``places`` counts
    the runs of change (a passage replaced is one place)."""

    revision: int
    since: int
    pieces: tuple[Piece, ...]
    added: int
    removed: int
    places: int

    @property
    def changed(self) -> bool:
        return self.places > 0

    def summary(self) -> dict[str, int]:
        """What the chat line says (templates: diff.j2)."""
        return {"revision": self.revision, "since": self.since, "added": self.added,
                "removed": self.removed, "places": self.places}

    def paragraphs(self) -> list[tuple[Piece, ...]]:
        """The paragraphs that changed, each as its pieces, in the order of the text."""
        return [p for p in _split_paragraphs(self.pieces)
                if any(piece.change is not Change.SAME for piece in p)]


def normalise(text: str) -> str:
    """One line per paragraph, blanks at either end of a line dropped."""
    lines = (line.strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def compare(old_body: str, new_body: str, since: int, revision: int) -> RevisionDiff:
    """The visible text of ``new_body`` (revision ``revision``) against ``old_body``."""
    pieces = diff_texts(normalise(visible_text(old_body)), normalise(visible_text(new_body)))
    added = sum(_counted(p.text) for p in pieces if p.change is Change.ADDED)
    removed = sum(_counted(p.text) for p in pieces if p.change is Change.REMOVED)
    return RevisionDiff(revision, since, pieces, added, removed, _places(pieces))


def diff_texts(old: str, new: str) -> tuple[Piece, ...]:
    """The pieces that turn ``old`` into ``new``: paragraphs first (a paragraph
    kept is kept whole), then each run of changed paragraphs token by token,
    semantically cleaned, as diff-match-patch's own line mode does."""
    pieces: list[Piece] = []
    removed: list[str] = []
    added: list[str] = []
    for op, lines in _diff(_lines(old), _lines(new), clean=False):
        if op == 0:
            pieces += _changed_run("".join(removed), "".join(added))
            removed, added = [], []
            pieces.append(Piece(Change.SAME, "".join(lines)))
        else:
            (added if op == 1 else removed).extend(lines)
    pieces += _changed_run("".join(removed), "".join(added))
    return tuple(_merged(pieces))


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _changed_run(old: str, new: str) -> list[Piece]:
    if not old or not new:
        return [Piece(Change.REMOVED, old)] if old else [Piece(Change.ADDED, new)] if new else []
    return [Piece(_KINDS[op], "".join(found))
            for op, found in _diff(tokens(old), tokens(new), clean=True)]


_KINDS = {0: Change.SAME, 1: Change.ADDED, -1: Change.REMOVED}


def _diff(old: list[str], new: list[str], clean: bool) -> list[tuple[int, list[str]]]:
    """diff-match-patch over sequences of tokens: each token stands for one character."""
    vocabulary: dict[str, str] = {}
    words: list[str] = []
    encoded_old = _encode(old, vocabulary, words)
    encoded_new = _encode(new, vocabulary, words)
    engine = diff_match_patch()
    engine.Diff_Timeout = TIMEOUT_SECONDS
    diffs = engine.diff_main(encoded_old, encoded_new, False)
    if clean:
        engine.diff_cleanupSemantic(diffs)
    return [(op, [words[_index(ch)] for ch in chars]) for op, chars in diffs if chars]


def _merged(pieces: list[Piece]) -> Iterator[Piece]:
    """Neighbouring pieces of one kind joined; empty ones dropped."""
    last: Piece | None = None
    for piece in pieces:
        if not piece.text:
            continue
        if last is not None and last.change is piece.change:
            last = Piece(last.change, last.text + piece.text)
            continue
        if last is not None:
            yield last
        last = piece
    if last is not None:
        yield last


def last_reviewed(reviews: Sequence[Review], revision: int) -> int | None:
    """The newest revision before ``revision`` that a review decision was made on."""
    earlier = [r.revision for r in reviews if r.revision < revision]
    return max(earlier) if earlier else None


def _encode(found: list[str], vocabulary: dict[str, str], words: list[str]) -> str:
    out = []
    for token in found:
        code = vocabulary.get(token)
        if code is None:
            number = len(words) + 1
            code = chr(number if number < 0xD800 else number + _SURROGATES)
            vocabulary[token] = code
            words.append(token)
        out.append(code)
    return "".join(out)


def _index(ch: str) -> int:
    number = ord(ch)
    return (number if number < 0xD800 else number - _SURROGATES) - 1


def _counted(text: str) -> int:
    return sum(1 for ch in text if not ch.isspace())


def _places(pieces: Sequence[Piece]) -> int:
    """Runs of changed pieces; a change of blanks alone is no place."""
    places, inside = 0, False
    for piece in pieces:
        changed = piece.change is not Change.SAME and _counted(piece.text) > 0
        if changed and not inside:
            places += 1
        if piece.change is Change.SAME and _counted(piece.text) > 0:
            inside = False
        elif changed:
            inside = True
    return places


def _split_paragraphs(pieces: Sequence[Piece]) -> Iterator[tuple[Piece, ...]]:
    current: list[Piece] = []
    for piece in pieces:
        first, *rest = piece.text.split("\n")
        if first:
            current.append(Piece(piece.change, first))
        for line in rest:
            yield tuple(current)
            current = [Piece(piece.change, line)] if line else []
    if current:
        yield tuple(current)
