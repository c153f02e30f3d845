"""Layout: an article (Markdown or Word) turned into the HTML the WeChat draft
box keeps, with themes, references for outside links, figures, highlighted
code, and images prepared for upload. Pure: no storage, no network, no chat;
bot/ wires uploads in through the image-URL callable.

The names below load their module on first use (PEP 562): Markdown, Word,
Pygments, lxml and Pillow take about 150 ms to import, which every ``wxops``
command would otherwise pay for one that imports an article.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from layout.article import (
        EmbeddedImage,
        ImageRef,
        Reference,
        Rendered,
        Words,
        default_words,
    )
    from layout.errors import LayoutError
    from layout.frontmatter import FrontMatter, parse_front_matter
    from layout.images import PreparedImage, prepare_body_image, prepare_cover
    from layout.render import render_docx, render_html, render_markdown
    from layout.themes import THEMES

_HOMES = {
    "EmbeddedImage": "article", "ImageRef": "article", "Reference": "article",
    "Rendered": "article", "Words": "article", "default_words": "article",
    "LayoutError": "errors", "FrontMatter": "frontmatter", "parse_front_matter": "frontmatter",
    "PreparedImage": "images", "prepare_body_image": "images", "prepare_cover": "images",
    "render_docx": "render", "render_html": "render", "render_markdown": "render",
    "THEMES": "themes",
}

__all__ = [
    "THEMES", "EmbeddedImage", "FrontMatter", "ImageRef", "LayoutError", "PreparedImage",
    "Reference", "Rendered", "Words", "default_words", "parse_front_matter",
    "prepare_body_image", "prepare_cover", "render_docx", "render_html", "render_markdown",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'layout' has no attribute {name!r}")
    return getattr(importlib.import_module(f"layout.{home}"), name)
