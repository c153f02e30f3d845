"""The values the layout package hands over: what an image is, a reference,
the words an article's furniture is labelled with, the rendered result."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from layout.frontmatter import FrontMatter


@dataclass(frozen=True)
class ImageRef:
    """An image as the source names it: ``src`` (a path, a URL, or the name a
    Word file's image was given), its alt text and title, and, for an image
    that came inside the document, its bytes and content type."""

    src: str
    alt: str = ""
    title: str = ""
    data: bytes | None = None
    content_type: str | None = None


@dataclass(frozen=True)
class Placed:
    """What the image-URL callable may answer instead of a bare URL: the URL and
    a credit line (a photographer's) the figure's caption ends with, unless the
    article's caption says it already."""

    url: str
    credit: str = ""


@dataclass(frozen=True)
class EmbeddedImage:
    """An image taken out of a Word file."""

    name: str
    data: bytes
    content_type: str
    alt: str


@dataclass(frozen=True)
class Reference:
    """A link the platform would refuse, shown as ``[number]`` and listed at the end."""

    number: int
    text: str
    url: str


@dataclass(frozen=True)
class Words:
    """What the article's own furniture says: the titles of the notes and the
    reference list, and each callout kind's default title. Article text, not
    interface text: the defaults are data (layout/words.toml), and the caller
    may pass others."""

    notes: str
    references: str
    callouts: dict[str, str]


@dataclass(frozen=True)
class Rendered:
    """An article as the draft box keeps it, and what the rendering found:
    the links turned into references, and the images placed and not placed
    (those the image-URL callable had no URL for)."""

    html: str
    front: FrontMatter
    theme: str
    references: tuple[Reference, ...]
    placed: tuple[ImageRef, ...]
    unplaced: tuple[ImageRef, ...]


@cache
def default_words() -> Words:
    text = (resources.files("layout") / "words.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    return Words(notes=data["notes"], references=data["references"],
                 callouts=dict(data["callouts"]))
