"""Markdown in: CommonMark with tables, strikethrough, footnotes, front matter
and callouts (``::: tip``, ``::: note``, ``::: warning``, ``::: danger``, an
optional title after the kind), by markdown-it-py and its plugins.

The HTML it gives still has classes; ``layout.shaping`` turns it into what
the platform keeps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from html import escape

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from layout.code import highlighted
from layout.frontmatter import FrontMatter, parse_front_matter

CALLOUTS = ("tip", "note", "warning", "danger")


@dataclass(frozen=True)
class MarkdownSource:
    front: FrontMatter
    html: str


def read_markdown(text: str, callout_titles: Mapping[str, str]) -> MarkdownSource:
    """The front matter and body HTML of a Markdown article. A callout without a
    title of its own is given ``callout_titles[kind]``."""
    parser = _parser()
    tokens = parser.parse(text, {})
    front_text = next((t.content for t in tokens if t.type == "front_matter"), "")
    env = {"callout_titles": dict(callout_titles)}
    return MarkdownSource(parse_front_matter(front_text),
                          parser.renderer.render(tokens, parser.options, env))


@cache
def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": True, "highlight": _highlight})
    parser.enable(["table", "strikethrough"])
    parser.use(front_matter_plugin).use(footnote_plugin)
    for kind in CALLOUTS:
        parser.use(container_plugin, name=kind, render=_callout)
    return parser


def _highlight(code: str, language: str, _attrs: object) -> str:
    return highlighted(code, language)


def _callout(_renderer: object, tokens: Sequence[Token], idx: int, _options: object,
             env: Mapping[str, Mapping[str, str]]) -> str:
    token = tokens[idx]
    if token.nesting != 1:
        return "</section>\n"
    kind, _, title = token.info.strip().partition(" ")
    title = title.strip() or env["callout_titles"].get(kind, "")
    heading = f'<p class="callout-title">{escape(title)}</p>\n' if title else ""
    return f'<section class="callout callout-{kind}">\n{heading}'
