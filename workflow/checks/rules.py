"""The checks themselves, one small function per kind of finding, each
returning its findings; ``workflow.checks.check`` runs them all."""

from __future__ import annotations

import math
from collections.abc import Iterator
from itertools import pairwise
from urllib.parse import urlsplit

import regex

from workflow.checks.document import Document
from workflow.checks.model import Code, Facts, Finding, Limits, Revision
from workflow.checks.typography import suggestions
from workflow.checks.words import WordList
from workflow.kept_images import sha256_of

EXCERPT_CHARS = 12  # visible text shown either side of a place
MAX_LIST_DEPTH = 2
#: A phone (375 px, less the margins) shows about four columns of a table
#: before it scrolls or squeezes them to a character or two each.
MAX_TABLE_COLUMNS = 4
#: Text that cannot break (no blank, no Chinese, no hyphen: a URL, a long
#: number) longer than this is wider than a cell: about 170 px at 8.5 px a
#: Latin character, half the screen, so a table of two columns or more overflows.
MAX_UNBROKEN_CELL_CHARS = 20
#: Reading rates. Chinese: the curriculum standard (义务教育语文课程标准，2011年版)
#: asks pupils of grades 5–6 to read silently at least 300 characters a minute
#: and of grades 7–9 at least 500; 400 is the middle, for an adult reading on a
#: phone. Latin words: 238 a minute, adults' silent reading of non-fiction in
#: Brysbaert's meta-analysis (J. Memory and Language 109, 2019, 104047).
CHINESE_PER_MINUTE = 400
WORDS_PER_MINUTE = 238

_BLANK = regex.compile(r"[\s\u200b\u200c\u200d\ufeff]")
_CHINESE = regex.compile(r"\p{Han}")
_LATIN_WORD = regex.compile(r"[\p{Latin}\d]+(?:['’\-][\p{Latin}\d]+)*")
_URL = regex.compile(r"https?://[^\s<>\"'，。；！？）】」]+", regex.IGNORECASE)
_UNBROKEN = regex.compile(r"[^\s\p{Han}\-]+")


def excerpt(text: str, start: int, end: int | None = None) -> str:
    """The visible text around [start, end), on one line."""
    end = start if end is None else end
    around = text[max(0, start - EXCERPT_CHARS):end + EXCERPT_CHARS]
    return " ".join(around.split())


def fields(revision: Revision, limits: Limits) -> Iterator[Finding]:
    if not revision.title.strip():
        yield Finding(Code.TITLE_MISSING)
    for code, value, limit in ((Code.TITLE_TOO_LONG, revision.title, limits.title_chars),
                               (Code.AUTHOR_TOO_LONG, revision.author, limits.author_chars),
                               (Code.DIGEST_TOO_LONG, revision.digest, limits.digest_chars)):
        if len(value) > limit:
            yield Finding(code, {"length": len(value), "limit": limit})
    if not revision.has_cover:
        yield Finding(Code.COVER_MISSING)


def content(revision: Revision, doc: Document, limits: Limits) -> Iterator[Finding]:
    visible = len(_BLANK.sub("", doc.text))
    if not visible:
        yield Finding(Code.BODY_EMPTY)
    if len(revision.body) >= limits.content_chars:  # the HTML as sent, styles included
        yield Finding(Code.CONTENT_TOO_LONG, {"length": len(revision.body),
                                              "limit": limits.content_chars,
                                              "visible": visible})
    size = len(revision.body.encode())
    if size >= limits.content_bytes:
        yield Finding(Code.CONTENT_TOO_LARGE, {"size": size, "limit": limits.content_bytes})


def images(revision: Revision, doc: Document, limits: Limits) -> Iterator[Finding]:
    for number, image in enumerate(doc.images, start=1):
        around = excerpt(doc.text, image.at)
        if sha256_of(image.src) is not None:
            yield Finding(Code.IMAGE_KEPT, {"number": number}, at=image.at, excerpt=around)
        elif _host(image.src) not in limits.image_hosts:
            yield Finding(Code.IMAGE_NOT_UPLOADED, {"number": number, "src": image.src},
                          at=image.at, excerpt=around)
        known = revision.images.get(image.src)
        if known is not None and known.byte_size is not None \
                and known.byte_size >= limits.upload_image_bytes:
            yield Finding(Code.IMAGE_TOO_LARGE, {"number": number, "size": known.byte_size,
                                                 "limit": limits.upload_image_bytes,
                                                 "width": known.width, "height": known.height},
                          at=image.at, excerpt=around)
        if not image.alt.strip():
            yield Finding(Code.IMAGE_NO_ALT, {"number": number}, at=image.at, excerpt=around)


def links(doc: Document, limits: Limits) -> Iterator[Finding]:
    for link in doc.links:
        if _external(link.href, limits):
            yield Finding(Code.EXTERNAL_LINK, {"href": link.href}, at=link.at,
                          excerpt=excerpt(doc.text, link.at))


def _host(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:  # a malformed address (an unclosed IPv6 bracket)
        return ""
    return (parts.hostname or "") if parts.scheme in ("http", "https", "") else ""


def _external(href: str, limits: Limits) -> bool:
    """Anything but a link into the account's platform (or a place in the page)."""
    if not href or href.startswith("#"):
        return False
    return _host(href) not in limits.link_hosts


def sensitive(doc: Document, words: WordList) -> Iterator[Finding]:
    for hit in words.words_in(doc.text):
        yield Finding(Code.SENSITIVE_WORD, {"word": hit.entry.text,
                                            "category": hit.entry.category},
                      at=hit.start, excerpt=excerpt(doc.text, hit.start, hit.end))
    hits, unchecked = words.patterns_in(doc.text)
    for hit in hits:
        yield Finding(Code.SENSITIVE_PATTERN,
                      {"pattern": hit.entry.text, "category": hit.entry.category,
                       "matched": doc.text[hit.start:hit.end]},
                      at=hit.start, excerpt=excerpt(doc.text, hit.start, hit.end))
    for miss in unchecked:
        yield Finding(Code.PATTERN_UNCHECKED, {"pattern": miss.entry.text,
                                               "category": miss.entry.category,
                                               "reason": miss.reason})


def typography(doc: Document) -> Iterator[Finding]:
    for s in suggestions(doc.text, doc.code):
        yield Finding(s.code, {"old": s.old, "new": s.new}, at=s.start,
                      excerpt=excerpt(doc.text, s.start, s.end))


def structure(doc: Document) -> Iterator[Finding]:
    for at in doc.deep_lists:
        yield Finding(Code.LIST_TOO_DEEP, {"limit": MAX_LIST_DEPTH}, at=at,
                      excerpt=excerpt(doc.text, at))
    yield from _tables(doc)
    for before, heading in pairwise(doc.headings):
        if heading.level > before.level + 1:
            yield Finding(Code.HEADING_SKIPPED, {"before": before.level, "level": heading.level},
                          at=heading.at, excerpt=excerpt(doc.text, heading.at))


def _tables(doc: Document) -> Iterator[Finding]:
    for table in doc.tables:
        if table.columns > MAX_TABLE_COLUMNS:
            yield Finding(Code.TABLE_TOO_MANY_COLUMNS,
                          {"columns": table.columns, "limit": MAX_TABLE_COLUMNS},
                          at=table.at, excerpt=excerpt(doc.text, table.at))
        for cell in table.cells:
            run = max(_UNBROKEN.finditer(doc.text, cell.start, cell.end),
                      key=lambda m: len(m[0]), default=None)
            if run is not None and len(run[0]) > MAX_UNBROKEN_CELL_CHARS:
                yield Finding(Code.TABLE_CELL_UNBROKEN,
                              {"text": run[0], "length": len(run[0]),
                               "limit": MAX_UNBROKEN_CELL_CHARS},
                              at=run.start(), excerpt=excerpt(doc.text, run.start(), run.end()))


def facts(doc: Document) -> Facts:
    text = doc.text
    chinese = len(_CHINESE.findall(text))
    words = len(_LATIN_WORD.findall(text))
    minutes = chinese / CHINESE_PER_MINUTE + words / WORDS_PER_MINUTE
    return Facts(characters=len(_BLANK.sub("", text)),
                 reading_minutes=math.ceil(minutes) if minutes else 0,
                 images=len(doc.images), references=len(web_addresses(doc)))


def web_addresses(doc: Document) -> dict[str, int]:
    """Each web address the article cites, as a link or written out (the
    reference list), with where it first stands in the visible text."""
    found: dict[str, int] = {}
    for link in doc.links:
        if _host(link.href):
            found.setdefault(link.href, link.at)
    for match in _URL.finditer(doc.text):
        found.setdefault(match.group().rstrip(".,;:!?)]}"), match.start())
    return found


def fact_findings(found: Facts) -> Iterator[Finding]:
    yield Finding(Code.CHARACTERS, {"count": found.characters})
    yield Finding(Code.READING_TIME, {"minutes": found.reading_minutes})
    yield Finding(Code.IMAGE_COUNT, {"count": found.images})
    yield Finding(Code.REFERENCE_COUNT, {"count": found.references})
