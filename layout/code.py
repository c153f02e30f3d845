"""Code blocks highlighted by Pygments, each token's colour written on the
token (``style``), since the platform drops stylesheets and classes.

Spaces become no-break spaces and line ends ``<br>``: the WeChat editor folds
white space even inside ``pre`` (doocs/md, a Markdown-to-WeChat renderer,
writes code the same way for that reason).
"""

from __future__ import annotations

from functools import cache
from html import escape

from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.lexers.special import TextLexer
from pygments.style import StyleMeta
from pygments.styles import get_style_by_name
from pygments.token import _TokenType
from pygments.util import ClassNotFound

from layout.themes import THEMES, legible, palette

#: Pygments' "friendly" style: mid-dark colours on a light grey, none of them
#: pure black or white, which WeChat's dark-mode conversion handles well. Its
#: lighter colours (comments, numbers, names) are darkened until they read at
#: WCAG AA on every theme's code background (``themes.legible``).
STYLE = "friendly"


def highlighted(code: str, language: str) -> str:
    """``<pre><code>`` of ``code`` with one styled ``span`` per coloured token."""
    lexer = _lexer(language.strip().split(" ", 1)[0].lower())
    parts = [_token_html(ttype, text) for ttype, text in lexer.get_tokens(code.rstrip("\n"))]
    body = "".join(parts).removesuffix("<br>")  # the lexer ends every text with a newline
    return f'<pre class="code"><code>{body}</code></pre>\n'


def _token_html(ttype: _TokenType, text: str) -> str:
    body = escape(text, quote=False).replace(" ", "\u00a0").replace("\n", "<br>")
    style = _token_style(ttype)
    return f'<span style="{style}">{body}</span>' if style and text.strip() else body


@cache
def _token_style(ttype: _TokenType) -> str:
    rule = _style().style_for_token(ttype)
    colour = f"#{rule['color']}".lower()
    declarations = [f"color: {legible(colour, _code_backgrounds())}"] if rule["color"] else []
    declarations += ["font-weight: bold"] if rule["bold"] else []
    declarations += ["font-style: italic"] if rule["italic"] else []
    return "; ".join(declarations)


@cache
def _code_backgrounds() -> tuple[str, ...]:
    return tuple(sorted({palette(name).code_bg for name in THEMES}))


@cache
def _style() -> StyleMeta:
    return get_style_by_name(STYLE)


@cache
def _lexer(language: str) -> Lexer:
    if not language:
        return TextLexer()
    try:
        return get_lexer_by_name(language)
    except ClassNotFound:
        return TextLexer()
