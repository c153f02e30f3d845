"""Checks before review (step 2.1): what is wrong with one revision of an
article, what is sensitive in it, what could read better, and what it is.

Pure: the revision, the platform's limits and the organisation's word list
come in as data; findings go out by code (``Code``), each with its severity,
its place in the visible text and the data its message needs. The words
people read are in handlers/templates/checks.j2, one macro per code.

    words = WordList.build(entries)          # once, while the list is unchanged
    result = check(revision, words)          # on every new revision
    result.refused, result.sensitive, result.findings, result.facts
"""

from __future__ import annotations

from workflow.checks import rules
from workflow.checks.document import read, visible_text
from workflow.checks.model import (
    SEVERITY,
    CheckResult,
    Code,
    Facts,
    Finding,
    ImageFacts,
    Limits,
    Revision,
    Severity,
)
from workflow.checks.words import WordEntry, WordList

__all__ = ["SEVERITY", "CheckResult", "Code", "Facts", "Finding", "ImageFacts", "Limits",
           "Revision", "Severity", "WordEntry", "WordList", "check", "visible_text"]

_NO_WORDS = WordList.build(())
_ORDER = {severity: n for n, severity in enumerate(Severity)}


def check(revision: Revision, words: WordList = _NO_WORDS,
          limits: Limits | None = None) -> CheckResult:
    """Every finding for ``revision``: errors first, then sensitive words,
    warnings and facts, each kind in the order of the text."""
    limits = limits or Limits()
    doc = read(revision.body, rules.MAX_LIST_DEPTH)
    facts = rules.facts(doc)
    found = [*rules.fields(revision, limits), *rules.content(revision, doc, limits),
             *rules.images(revision, doc, limits), *rules.links(doc, limits),
             *rules.sensitive(doc, words), *rules.typography(doc), *rules.structure(doc),
             *rules.fact_findings(facts)]
    found.sort(key=lambda f: (_ORDER[f.severity], -1 if f.at is None else f.at))
    return CheckResult(tuple(found), facts)
