"""The checks before review, run on every new revision of an item's content.

Wherever a revision is written (``usecases.act`` on any event that bumps the
revision), the use case checks it against the organisation's word list and
the platform's limits, keeps the result with the revision, and, when a word
of the list is found, marks the item sensitive in the same transaction. A
move toward review (提交, 通过, 终审通过) is refused while the newest
revision has an error.
"""

from __future__ import annotations

from dataclasses import dataclass

from workflow.capabilities import FULL, Capabilities, Capability
from workflow.checks import CheckResult, Code, Facts, Finding, Revision, Severity, WordList, check
from workflow.errors import ChecksFailed
from workflow.model import ContentItem
from workflow.ports import SensitiveWords
from workflow.states import Event

#: Moves that put a revision before a reviewer, or pass it on: refused on an error.
GUARDED = frozenset({Event.SUBMIT, Event.APPROVE, Event.FINAL_APPROVE})


def revision_of(item: ContentItem, capabilities: Capabilities = FULL) -> Revision:
    """The article as the draft box would get it. An article that names no cover
    gets the account's default (bot/deliveries.py, COVER_ASSET); one that names
    a cover has it only once it was uploaded (``meta.cover``, its media_id):
    named but not uploaded (not found, unreadable) is a missing cover. An
    account without materials has no draft box: its cover is chosen by hand in
    WeChat's backend, so nothing is missing here."""
    lost = bool(item.meta.cover_file) and not item.meta.cover
    missing = lost and capabilities.allows(Capability.MATERIALS)
    return Revision(title=item.title, body=item.body, author=item.meta.byline,
                    digest=item.digest,
                    has_cover=not missing)


def run(item: ContentItem, words: WordList, capabilities: Capabilities = FULL) -> CheckResult:
    return check(revision_of(item, capabilities), words)


def refuse_on_errors(item: ContentItem, event: Event, result: CheckResult | None) -> None:
    """ChecksFailed naming the first error and how many there are, when ``event``
    is guarded and the item's current revision has an error."""
    if event not in GUARDED or result is None or not result.refused:
        return
    errors = result.of(Severity.ERROR)
    first = errors[0]
    raise ChecksFailed(item.id, event, first.code.value, dict(first.data), first.excerpt,
                       len(errors))


#: Warnings listed one by one, not only counted: someone must act on them
#: (mend the address, put the image in by hand when publishing).
LISTED_WARNINGS = frozenset({Code.LINK_DEAD, Code.IMAGE_KEPT})


@dataclass(frozen=True)
class Brief:
    """What 查看 and ``wxops item show`` list of a revision's check: the errors,
    the sensitive words, how many warnings, and the facts; ``notices`` are the
    warnings of ``LISTED_WARNINGS``, not counted in ``warnings``."""

    errors: tuple[Finding, ...]
    sensitive: tuple[Finding, ...]
    warnings: int
    facts: Facts
    notices: tuple[Finding, ...] = ()


def brief(result: CheckResult | None) -> Brief | None:
    if result is None:
        return None
    warnings = result.of(Severity.WARNING)
    notices = tuple(f for f in warnings if f.code in LISTED_WARNINGS)
    return Brief(result.of(Severity.ERROR), result.of(Severity.SENSITIVE),
                 len(warnings) - len(notices), result.facts, notices)


def notice_counts(result: CheckResult | None) -> dict[str, dict[str, int]]:
    """What a call for review says of the check (JSON for the outbox row): how
    many errors, sensitive words and warnings; nothing for an unchecked revision."""
    if result is None:
        return {}
    return {"checks": {"errors": len(result.of(Severity.ERROR)),
                       "sensitive": len(result.of(Severity.SENSITIVE)),
                       "warnings": len(result.of(Severity.WARNING))}}


def sensitive_places(result: CheckResult) -> str:
    """The words found, for the audit row of the marking: what, not a sentence."""
    found = [_found_text(f) for f in result.of(Severity.SENSITIVE)]
    return "、".join(dict.fromkeys(found))


def _found_text(finding: Finding) -> str:
    word = finding.data.get("word", finding.data.get("matched", ""))
    return str(word)


@dataclass
class _Cached:
    stamp: tuple[int, int]
    words: WordList


class WordListCache:
    """The built word list, kept while the stored list is unchanged: building the
    automaton costs about 100 ms for a long list, asking the stamp one query."""

    def __init__(self) -> None:
        self._cached: _Cached | None = None
        self.builds = 0

    def current(self, store: SensitiveWords) -> WordList:
        stamp = store.stamp()
        if self._cached is None or self._cached.stamp != stamp:
            self._cached = _Cached(stamp, WordList.build(store.entries()))
            self.builds += 1
        return self._cached.words

    def clear(self) -> None:
        self._cached = None


#: One per process: the CLI, the web process and the worker each keep their own.
WORDS = WordListCache()
