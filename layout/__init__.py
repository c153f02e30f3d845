"""Layout: an article (Markdown or Word) turned into the HTML the WeChat draft
box keeps, with themes, references for outside links, figures, highlighted
code, and images prepared for upload. Pure: no storage, no network, no chat;
bot/ wires uploads in through the image-URL callable.
"""

from layout.article import EmbeddedImage, ImageRef, Reference, Rendered, Words, default_words
from layout.errors import LayoutError
from layout.frontmatter import FrontMatter, parse_front_matter
from layout.images import PreparedImage, prepare_body_image, prepare_cover
from layout.render import render_docx, render_html, render_markdown
from layout.themes import THEMES

__all__ = [
    "THEMES", "EmbeddedImage", "FrontMatter", "ImageRef", "LayoutError", "PreparedImage",
    "Reference", "Rendered", "Words", "default_words", "parse_front_matter",
    "prepare_body_image", "prepare_cover", "render_docx", "render_html", "render_markdown",
]
