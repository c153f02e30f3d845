"""Rendering an article: Markdown or Word in, the HTML the WeChat draft box
keeps out, with every style inlined and everything else sanitised away.

    render_markdown(text, image_url)         front matter and body
    render_docx(data, image_url, front=...)  a Word file (front matter from the caller)

``image_url`` maps each image (an ``ImageRef``) to the URL it was uploaded to
(``media/uploadimg``), or None when it could not be: the image is then left
out and reported in ``Rendered.unplaced``. Uploading is the caller's business.
"""

from __future__ import annotations

from collections.abc import Mapping

import css_inline

from layout.article import EmbeddedImage, Rendered, Words, default_words
from layout.errors import LayoutError
from layout.frontmatter import FrontMatter
from layout.markdown import read_markdown
from layout.sanitiser import sanitised
from layout.shaping import ImageUrl, shape
from layout.themes import THEMES, check_colour, stylesheet
from layout.word import read_docx


def render_markdown(text: str, image_url: ImageUrl, *, theme: str | None = None,
                    primary: str | None = None, words: Words | None = None) -> Rendered:
    """A Markdown article. ``theme`` and ``primary`` override the front matter's."""
    words = words or default_words()
    source = read_markdown(text, words.callouts)
    return render_html(source.html, source.front, image_url, theme=theme, primary=primary,
                       words=words)


def render_docx(data: bytes, image_url: ImageUrl, *, front: FrontMatter | None = None,
                theme: str | None = None, primary: str | None = None,
                words: Words | None = None) -> Rendered:
    """A Word article; its images reach ``image_url`` with their bytes."""
    source = read_docx(data)
    embedded = {image.name: image for image in source.images}
    return render_html(source.html, front or FrontMatter(), image_url, embedded=embedded,
                       theme=theme, primary=primary, words=words)


def render_html(body: str, front: FrontMatter, image_url: ImageUrl, *,
                embedded: Mapping[str, EmbeddedImage] | None = None,
                theme: str | None = None, primary: str | None = None,
                words: Words | None = None) -> Rendered:
    """HTML from any converter, shaped, styled by the theme and sanitised."""
    name = _theme(theme or front.theme or "plain")
    colour = _colour(primary) if primary else front.primary
    shaped = shape(body, image_url, embedded or {}, words or default_words())
    styled = css_inline.inline_fragment(shaped.html, stylesheet(name, colour))
    return Rendered(sanitised(styled), front, name, shaped.references, shaped.placed,
                    shaped.unplaced)


def _theme(name: str) -> str:
    if name not in THEMES:
        raise LayoutError("unknown_theme", value=name, known=sorted(THEMES))
    return name


def _colour(value: str) -> str:
    colour = check_colour(value)
    if colour is None:
        raise LayoutError("bad_colour", value=value)
    return colour
