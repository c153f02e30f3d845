"""The article readable in dark mode, as WeChat shows it: each inline colour of
the sanitised body gets a dark-mode twin through CSS ``light-dark()``, so the
browser picks by the reader's ``prefers-color-scheme`` with no script.

The twins follow the idea of WeChat's own algorithm (wechatjs/mp-darkmode, see
layout/themes.py): a light background becomes a dark one of the same hue, and
a text colour that would not read on the dark page is lightened, keeping its
hue, until its WCAG contrast with the darkest-but-one background it may sit on
is at least ``MIN_CONTRAST``. A browser without ``light-dark()`` keeps the
light colours: base.j2 then shows the article on a light sheet in dark mode.
"""

from __future__ import annotations

import colorsys
import re

#: The page in WeChat's dark mode, and the lightest background a darkened block gets.
DARK_PAGE = (0x19, 0x19, 0x19)
DARK_BLOCK_MAX_LIGHTNESS = 0.2
MIN_CONTRAST = 4.5
_TAG = re.compile(r"<[a-zA-Z][^<>]*>")
_STYLE = re.compile(r'(\sstyle=")([^"]*)(")')
_DECLARATION = re.compile(r"(?P<lead>^|;)(?P<space>\s*)(?P<prop>color|background-color|background)"
                          r"\s*:\s*(?P<value>[^;]+)", re.IGNORECASE)
_HEX = re.compile(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_RGB = re.compile(r"rgba?\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*(?:,\s*[\d.]+\s*)?\)")

RGB = tuple[int, int, int]


def with_dark_colours(body: str) -> str:
    """``body`` (sanitised) with every inline colour given its dark-mode twin, in
    its tags only: an article's words may say ``style="color:#000"`` too (one about
    HTML), and the sanitiser escapes ``<`` and ``>`` everywhere but around a tag."""
    return _TAG.sub(lambda tag: _STYLE.sub(_twinned, tag.group(0)), body)


def _twinned(m: re.Match[str]) -> str:
    return m.group(1) + _style(m.group(2)) + m.group(3)


def _style(style: str) -> str:
    def twin(m: re.Match[str]) -> str:
        value = m.group("value").strip()
        colour = parse(value)
        if colour is None:
            return m.group(0)
        prop = m.group("prop").lower()
        dark = dark_text(colour) if prop == "color" else dark_background(colour)
        return (f"{m.group('lead')}{m.group('space')}{prop}: {value}; "
                f"{prop}: light-dark({value}, {hex_of(dark)})")
    return _DECLARATION.sub(twin, style)


def parse(value: str) -> RGB | None:
    """A colour written as ``#rgb``, ``#rrggbb`` or ``rgb()``/``rgba()``; None otherwise."""
    match = _HEX.fullmatch(value)
    if match:
        digits = match.group(1)
        digits = "".join(c * 2 for c in digits) if len(digits) == 3 else digits
        return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))
    match = _RGB.fullmatch(value)
    if match:
        r, g, b = (min(255, int(n)) for n in match.groups())
        return (r, g, b)
    return None


def hex_of(colour: RGB) -> str:
    return "#" + "".join(f"{c:02x}" for c in colour)


def luminance(colour: RGB) -> float:
    """WCAG relative luminance."""
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: RGB, other: RGB) -> float:
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def dark_background(colour: RGB) -> RGB:
    """A light background darkened, its hue kept; a dark one as it is."""
    h, lightness, s = colorsys.rgb_to_hls(*(c / 255 for c in colour))
    if lightness <= 0.5:
        return colour
    darker = min(DARK_BLOCK_MAX_LIGHTNESS, 0.1 + (1 - lightness) * 0.8)
    return _rgb(h, darker, s * 0.6)


def dark_text(colour: RGB) -> RGB:
    """A text colour that reads on every dark background ``dark_background`` makes."""
    worst = _rgb(0, DARK_BLOCK_MAX_LIGHTNESS, 0)
    if contrast(colour, worst) >= MIN_CONTRAST and luminance(colour) > luminance(worst):
        return colour
    h, lightness, s = colorsys.rgb_to_hls(*(c / 255 for c in colour))
    lightness = max(1 - lightness, 0.6)
    candidate = _rgb(h, lightness, s)
    while contrast(candidate, worst) < MIN_CONTRAST and lightness < 1:
        lightness = min(1.0, lightness + 0.04)
        candidate = _rgb(h, lightness, s)
    return candidate


def _rgb(h: float, lightness: float, s: float) -> RGB:
    r, g, b = colorsys.hls_to_rgb(h, lightness, s)
    return (round(r * 255), round(g * 255), round(b * 255))
