"""Article bodies as WeChat's draft box takes them (HTML)."""

from __future__ import annotations

import html
import re


def article_html(text: str) -> str:
    """HTML as given; plain text as paragraphs (a blank line between them, single
    line breaks kept), escaped."""
    text = text.replace("\r\n", "\n")
    if text.lstrip().startswith("<"):
        return text.strip()
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "".join(f"<p>{html.escape(p).replace(chr(10), '<br/>')}</p>" for p in paragraphs)
