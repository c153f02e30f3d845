"""Word in: a .docx converted by mammoth, which maps the document's styles to
plain HTML (headings, lists, tables, bold and italic) and hands each image to
us: the image is kept aside with its bytes, content type and alt text, and
named in the HTML by a ``docx-image-N`` source that the renderer resolves.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import mammoth

from layout.article import EmbeddedImage
from layout.errors import LayoutError

#: Word's own names for a title and a quotation, beside mammoth's defaults
#: (Heading 1–6, lists, tables, bold, italic, underline off).
STYLE_MAP = """
p[style-name='Title'] => h1:fresh
p[style-name='Subtitle'] => h2:fresh
p[style-name='Quote'] => blockquote > p:fresh
p[style-name='Intense Quote'] => blockquote > p:fresh
u => u
"""


@dataclass(frozen=True)
class WordSource:
    """A Word file's body as HTML, its images, and what mammoth could not map
    (its own messages, for the log)."""

    html: str
    images: tuple[EmbeddedImage, ...]
    messages: tuple[str, ...]


def read_docx(data: bytes) -> WordSource:
    """The body of the .docx ``data``; ``LayoutError("docx_unreadable")`` if it is not one."""
    images: list[EmbeddedImage] = []

    def keep(image: Any) -> dict[str, str]:
        with image.open() as stream:
            body = stream.read()
        name = f"docx-image-{len(images) + 1}"
        alt = (image.alt_text or "").strip()
        images.append(EmbeddedImage(name, body, image.content_type or "", alt))
        return {"src": name, "alt": alt}

    try:
        result = mammoth.convert_to_html(BytesIO(data), style_map=STYLE_MAP,
                                         convert_image=mammoth.images.img_element(keep))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise LayoutError("docx_unreadable", size=len(data)) from error
    messages = tuple(str(message.message) for message in result.messages)
    return WordSource(result.value, tuple(images), messages)
