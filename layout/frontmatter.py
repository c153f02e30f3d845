"""Front matter: the YAML block at the top of a Markdown article, read with
PyYAML's safe loader (no tags, no objects) and checked into ``FrontMatter``.

A bad value is a ``LayoutError`` whose code names what is wrong and whose data
names the key: ``front_matter_unreadable`` (YAML that does not parse, with its
line), ``front_matter_not_a_mapping``, ``front_matter_unknown_key``,
``front_matter_bad_type`` (with the type expected), ``front_matter_bad_date``,
``front_matter_unknown_theme`` and ``front_matter_bad_colour``. The platform's
length limits (title 32, author 16, digest 128) are the checks' business, not
this reader's: a long title is a finding on the item, not an unreadable file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import yaml

from layout.errors import LayoutError
from layout.themes import THEMES, check_colour


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader (plain data only) without its own date reading:
    ``expires: 2026-13-01`` then reaches ``_date`` as text and is refused by
    code, instead of failing inside the loader with no key to name."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class FrontMatter:
    """What an article says about itself. ``None`` means "not said": the
    caller keeps what the item already has."""

    title: str | None = None
    author: str | None = None
    digest: str | None = None
    cover: str | None = None
    theme: str | None = None
    primary: str | None = None
    comments: bool | None = None
    sources: tuple[str, ...] = ()
    expires: date | None = None
    sensitive: bool = False


def parse_front_matter(text: str) -> FrontMatter:
    """The front matter block's YAML (without its ``---`` fences) as ``FrontMatter``."""
    if not text.strip():
        return FrontMatter()
    try:
        raw = yaml.load(text, Loader=_Loader)  # a SafeLoader: see _Loader
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise LayoutError("front_matter_unreadable",
                          line=None if mark is None else mark.line + 1) from error
    if raw is None:
        return FrontMatter()
    if not isinstance(raw, dict):
        raise LayoutError("front_matter_not_a_mapping", found=type(raw).__name__)
    return front_matter_from(raw)


def front_matter_from(raw: Mapping[Any, Any]) -> FrontMatter:
    """Checks every key of an already-parsed mapping."""
    unknown = sorted(str(key) for key in raw if key not in _READERS)
    if unknown:
        raise LayoutError("front_matter_unknown_key", key=unknown[0], known=sorted(_READERS))
    values: dict[str, Any] = {key: _READERS[key](key, value) for key, value in raw.items()
                              if value is not None}
    return FrontMatter(**values)


def _text(key: str, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise LayoutError("front_matter_bad_type", key=key, expected="text")
    return str(value).strip()


def _flag(key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise LayoutError("front_matter_bad_type", key=key, expected="yes_no")
    return value


def _sources(key: str, value: object) -> tuple[str, ...]:
    """Each source a line of text, or a mapping of ``title`` and ``url`` (either
    may be left out), kept as one line: ``title url``."""
    items = value if isinstance(value, list) else [value]
    return tuple(_source(key, item) for item in items)


def _source(key: str, item: object) -> str:
    if not isinstance(item, dict):
        return _text(key, item)
    if not item or set(item) - {"title", "url"}:
        raise LayoutError("front_matter_bad_type", key=key, expected="title_url")
    return " ".join(_text(key, item[part]) for part in ("title", "url") if part in item)


def _date(key: str, value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip()).date()
        except ValueError:
            pass
    raise LayoutError("front_matter_bad_date", key=key, value=str(value))


def _theme(key: str, value: object) -> str:
    name = _text(key, value).lower()
    if name not in THEMES:
        raise LayoutError("front_matter_unknown_theme", key=key, value=name, known=sorted(THEMES))
    return name


def _colour(key: str, value: object) -> str:
    colour = check_colour(_text(key, value))
    if colour is None:
        raise LayoutError("front_matter_bad_colour", key=key, value=str(value))
    return colour


_READERS: dict[str, Callable[[str, object], object]] = {
    "title": _text, "author": _text, "digest": _text, "cover": _text,
    "theme": _theme, "primary": _colour, "comments": _flag, "sources": _sources,
    "expires": _date, "sensitive": _flag,
}
