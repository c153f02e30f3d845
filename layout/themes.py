"""Themes as data: ``themes/base.css`` (the shape every theme shares) and one
CSS file per theme, each with the palette it fills in at its top.

Readable in WeChat's dark mode. The platform recolours articles for dark mode
with its open-source algorithm, wechatjs/mp-darkmode (doc/cn/principle.md and
doc/cn/bestPractices.md): it converts background colours first (light
backgrounds are darkened, anything it takes for white becomes the dark page
colour #191919), then checks each text colour against the background it now
sits on by perceived brightness (HSP, sqrt(.299 R² + .587 G² + .114 B²)) and
moves it only when the two are closer than its threshold (65); gradients are
flattened to one colour first, and colours are otherwise kept as they are.
So the rule the themes follow, checked by tests/unit/test_layout_themes.py:

1. No background on the article itself: the reader's page, light or dark,
   shows through and the algorithm has nothing to guess.
2. No pure white or pure black anywhere: a block background is a light tint
   (HSP between 190 and 250) so it stays a visible block once darkened, and
   text is a dark grey or a colour, never #000.
3. Every text colour is at least ``TEXT_CONTRAST`` (90) HSP away from every
   background it sits on in light mode, well over the algorithm's 65, so no
   pair depends on being rescued in either mode; and in light mode, as the
   reader sees the theme's own colours, every text colour reads at WCAG AA
   (contrast ``WCAG_AA``, 4.5, against white, and the body text and primary
   also against the tint and the code background they may sit on).
4. No gradients behind text; colour carries meaning only with a border or a
   word beside it (a callout has its title).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from math import sqrt
from string import Template

TEXT_CONTRAST = 90
WCAG_AA = 4.5
TINT_RANGE = (190, 250)
PURE_BLACK_MARGIN = 30
DEFAULT_PRIMARY = "#1e6fba"
_HEX = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")
_PALETTE_LINE = re.compile(r"^\s*--(\w+):\s*(#[0-9a-f]{6});", re.MULTILINE)


@dataclass(frozen=True)
class Palette:
    """The colours a theme's CSS is filled in with: ``text`` on the page,
    ``muted`` for captions and notes, ``primary`` for headings, borders and
    markers, ``tint`` behind callouts and table heads, ``code_bg`` behind code."""

    text: str
    muted: str
    primary: str
    tint: str
    code_bg: str
    border: str


THEMES = ("plain", "warm", "brand")


def check_colour(value: str) -> str | None:
    """``#rrggbb`` in lower case, from ``#rgb``, ``rgb`` or ``rrggbb``; None if not a colour."""
    match = _HEX.fullmatch(value.strip())
    if match is None:
        return None
    digits = match.group(1).lower()
    return "#" + (digits if len(digits) == 6 else "".join(c * 2 for c in digits))


def brightness(colour: str) -> float:
    """Perceived brightness (HSP, 0–255), the measure mp-darkmode compares."""
    r, g, b = _rgb(colour)
    return sqrt(0.299 * r * r + 0.587 * g * g + 0.114 * b * b)


def contrast(colour: str, other: str) -> float:
    """WCAG 2 contrast ratio of two colours (1–21)."""
    high, low = sorted((_luminance(colour), _luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _luminance(colour: str) -> float:
    """WCAG 2 relative luminance (0–1)."""
    r, g, b = (_linear(channel / 255) for channel in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _linear(value: float) -> float:
    return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4


def palette(name: str, primary: str | None = None) -> Palette:
    """The palette of theme ``name``; the brand theme is built from ``primary``."""
    colours = _declared(name)
    if name == "brand":
        colours.update(_brand(primary or DEFAULT_PRIMARY))
    return Palette(**colours)


def stylesheet(name: str, primary: str | None = None) -> str:
    """The CSS of theme ``name``: base.css then the theme's own rules, filled in."""
    colours = vars(palette(name, primary))
    own_rules = _read(f"{name}.css").split("}", 1)[1]  # after the palette block
    return Template(_read("base.css") + own_rules).substitute(colours)


def _brand(primary: str) -> dict[str, str]:
    """A palette around the organisation's colour: the colour itself for borders
    and markers, darkened until it reads as text on white and on its own tint."""
    tint = _mix(primary, "#ffffff", 0.88)
    while brightness(tint) > TINT_RANGE[1] - 2:  # a near-white primary
        tint = _mix(tint, "#000000", 0.03)
    border = _mix(primary, "#ffffff", 0.6)
    while brightness(border) > TINT_RANGE[0] + 40:  # a near-white primary
        border = _mix(border, "#000000", 0.05)
    return {"primary": _readable(primary, tint), "tint": tint, "border": border}


def _readable(colour: str, background: str) -> str:
    """``colour`` darkened in small steps until it is ``TEXT_CONTRAST`` from white
    and from ``background``, and reads at ``WCAG_AA`` on both."""
    floor = min(brightness(background), 255.0) - TEXT_CONTRAST
    while brightness(colour) > floor:
        colour = _mix(colour, "#000000", 0.08)
    colour = legible(colour, ("#ffffff", background))
    while brightness(colour) < PURE_BLACK_MARGIN:  # pure black is the one colour to avoid
        colour = _mix(colour, "#ffffff", 0.04)
    return colour


def legible(colour: str, backgrounds: tuple[str, ...]) -> str:
    """``colour`` darkened in small steps until it reads at ``WCAG_AA`` on every
    one of ``backgrounds`` (as it is, when it already does)."""
    while min(contrast(colour, background) for background in backgrounds) < WCAG_AA:
        colour = _mix(colour, "#000000", 0.02)
    return colour


def _mix(colour: str, other: str, share: float) -> str:
    """``colour`` with ``share`` of ``other`` mixed in."""
    mixed = (round(a + (b - a) * share) for a, b in zip(_rgb(colour), _rgb(other), strict=True))
    return "#" + "".join(f"{channel:02x}" for channel in mixed)


def _rgb(colour: str) -> tuple[int, int, int]:
    digits = (check_colour(colour) or "#000000")[1:]
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _declared(name: str) -> dict[str, str]:
    """The palette a theme file declares in its leading ``:root`` block."""
    return dict(_PALETTE_LINE.findall(_read(f"{name}.css").split("}", 1)[0]))


@cache
def _read(filename: str) -> str:
    return (resources.files("layout") / "themes" / filename).read_text(encoding="utf-8")
