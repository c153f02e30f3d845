"""What a check reads (one revision of an article, the platform's limits) and
what it returns (findings by code).

The platform's limits are those of ``draft/add`` (新增草稿,
https://developers.weixin.qq.com/doc/service/api/draftbox/draftmanage/api_draft_add):
title "总长度不超过32个字", author "不超过16个字", digest "不超过128个字", content
"必须少于2万字符，小于1M" with image URLs only from ``media/uploadimg``
("外部图片url将被过滤"), and ``thumb_media_id`` required for an article.
``media/uploadimg`` takes jpg/png "大小必须在1MB以下". The 20,000 is counted on
the HTML as sent, tags included: the document does not say otherwise, and the
emulator's draft box counts it so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

# WeChat's limits for a draft article (draft/add); the use cases refuse a title
# or digest over them when it is typed, the checks find them on every revision.
MAX_TITLE = 32
MAX_DIGEST = 128
MAX_AUTHOR = 16  # the byline: found by the checks, never refused when typed
MAX_BODY_CHARS = 20_000  # the content must be shorter than this


class Severity(StrEnum):
    ERROR = "error"  # the platform would refuse or mangle it: submitting is refused
    SENSITIVE = "sensitive"  # the item is marked sensitive (two final approvals)
    WARNING = "warning"  # worth a look; nothing is refused
    FACT = "fact"  # what the article is: length, reading time, counts


class Code(StrEnum):
    """Every finding's code; handlers/templates/checks.j2 has one macro per code."""

    TITLE_MISSING = "title_missing"
    TITLE_TOO_LONG = "title_too_long"
    AUTHOR_TOO_LONG = "author_too_long"
    DIGEST_TOO_LONG = "digest_too_long"
    BODY_EMPTY = "body_empty"
    CONTENT_TOO_LONG = "content_too_long"
    CONTENT_TOO_LARGE = "content_too_large"
    IMAGE_NOT_UPLOADED = "image_not_uploaded"
    IMAGE_KEPT = "image_kept"
    IMAGE_TOO_LARGE = "image_too_large"
    COVER_MISSING = "cover_missing"
    EXTERNAL_LINK = "external_link"
    SENSITIVE_WORD = "sensitive_word"
    SENSITIVE_PATTERN = "sensitive_pattern"
    PATTERN_UNCHECKED = "pattern_unchecked"
    TYPOGRAPHY_SPACE = "typography_space"
    TYPOGRAPHY_PUNCTUATION = "typography_punctuation"
    TYPOGRAPHY_OTHER = "typography_other"
    REPEATED_PUNCTUATION = "repeated_punctuation"
    IMAGE_NO_ALT = "image_no_alt"
    LIST_TOO_DEEP = "list_too_deep"
    TABLE_TOO_MANY_COLUMNS = "table_too_many_columns"
    TABLE_CELL_UNBROKEN = "table_cell_unbroken"
    HEADING_SKIPPED = "heading_skipped"
    LINK_DEAD = "link_dead"
    CHARACTERS = "characters"
    READING_TIME = "reading_time"
    IMAGE_COUNT = "image_count"
    REFERENCE_COUNT = "reference_count"

    @property
    def severity(self) -> Severity:
        return SEVERITY[self]


_ERRORS = (Code.TITLE_MISSING, Code.TITLE_TOO_LONG, Code.AUTHOR_TOO_LONG, Code.DIGEST_TOO_LONG,
           Code.BODY_EMPTY, Code.CONTENT_TOO_LONG, Code.CONTENT_TOO_LARGE,
           Code.IMAGE_NOT_UPLOADED, Code.IMAGE_TOO_LARGE, Code.COVER_MISSING,
           Code.EXTERNAL_LINK)
_SENSITIVE = (Code.SENSITIVE_WORD, Code.SENSITIVE_PATTERN)
_FACTS = (Code.CHARACTERS, Code.READING_TIME, Code.IMAGE_COUNT, Code.REFERENCE_COUNT)
SEVERITY: dict[Code, Severity] = {
    code: (Severity.ERROR if code in _ERRORS else Severity.SENSITIVE if code in _SENSITIVE
           else Severity.FACT if code in _FACTS else Severity.WARNING)
    for code in Code
}


@dataclass(frozen=True)
class Finding:
    """One thing the check found. ``at`` is an offset into the article's visible
    text (``checks.visible_text(body)``), None for a field (the title) or the
    whole article; ``excerpt`` is the visible text around it; ``data`` is what
    the catalogue's macro of ``code`` says it with."""

    code: Code
    data: Mapping[str, object] = field(default_factory=dict)
    at: int | None = None
    excerpt: str = ""

    @property
    def severity(self) -> Severity:
        return self.code.severity


@dataclass(frozen=True)
class ImageFacts:
    """What the caller knows of one body image: the bytes it would upload
    (after re-encoding) and its size in pixels."""

    byte_size: int | None = None
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class Revision:
    """One revision of an article, as the draft box would get it. ``images``
    are keyed by the ``src`` the body gives them."""

    title: str
    body: str
    author: str = ""
    digest: str = ""
    has_cover: bool = False
    images: Mapping[str, ImageFacts] = field(default_factory=dict)


@dataclass(frozen=True)
class Limits:
    """The platform's limits (see the module's docstring) and where images and
    links may point. A caller whose uploads come back from another host (the
    emulator's) adds it to ``image_hosts``."""

    title_chars: int = MAX_TITLE
    author_chars: int = MAX_AUTHOR
    digest_chars: int = MAX_DIGEST
    content_chars: int = MAX_BODY_CHARS  # the content must be shorter than this
    content_bytes: int = 1024 * 1024  # and smaller than this
    upload_image_bytes: int = 1024 * 1024  # media/uploadimg: under 1 MB
    image_hosts: frozenset[str] = frozenset({"mmbiz.qpic.cn"})
    link_hosts: frozenset[str] = frozenset({"mp.weixin.qq.com"})


@dataclass(frozen=True)
class Facts:
    characters: int  # visible, blanks not counted; a Chinese character is one
    reading_minutes: int
    images: int
    references: int  # distinct web addresses cited, as links or written out


@dataclass(frozen=True)
class CheckResult:
    findings: tuple[Finding, ...]
    facts: Facts

    def of(self, severity: Severity) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is severity)

    @property
    def refused(self) -> bool:
        """Submitting is refused: at least one error."""
        return bool(self.of(Severity.ERROR))

    @property
    def sensitive(self) -> bool:
        """The item should be marked sensitive: a word or pattern of the list was found."""
        return bool(self.of(Severity.SENSITIVE))

    def codes(self) -> set[Code]:
        return {f.code for f in self.findings}
