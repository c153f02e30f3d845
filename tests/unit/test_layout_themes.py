"""The themes' colours hold to the dark-mode rule layout/themes.py states
(after wechatjs/mp-darkmode): no pure white or black, block backgrounds light
tints, every text colour well away in brightness from what it sits on."""

from __future__ import annotations

import re

import pytest

from layout.code import highlighted
from layout.sanitiser import STYLE_PROPERTIES
from layout.themes import (
    TEXT_CONTRAST,
    THEMES,
    TINT_RANGE,
    WCAG_AA,
    brightness,
    check_colour,
    contrast,
    palette,
    stylesheet,
)

PRIMARIES = [None, "#0a7d5a", "#c8102e", "#f5a623", "#ffee00", "#ffffff", "#000000", "#1e6fba"]
CASES = [(name, None) for name in THEMES] + [("brand", colour) for colour in PRIMARIES]


@pytest.mark.parametrize(("name", "primary"), CASES)
def test_no_pure_white_or_black_in_a_theme(name: str, primary: str | None) -> None:
    colours = {c.lower() for c in re.findall(r"#[0-9a-fA-F]{6}\b", stylesheet(name, primary))}
    assert not colours & {"#ffffff", "#000000"}


@pytest.mark.parametrize(("name", "primary"), CASES)
def test_block_backgrounds_are_light_tints(name: str, primary: str | None) -> None:
    colours = palette(name, primary)
    for background in (colours.tint, colours.code_bg):
        assert TINT_RANGE[0] <= brightness(background) <= TINT_RANGE[1]


@pytest.mark.parametrize(("name", "primary"), CASES)
def test_text_colours_stand_well_away_from_every_background(name: str,
                                                             primary: str | None) -> None:
    colours = palette(name, primary)
    for text in (colours.text, colours.muted, colours.primary):
        for background in ("#ffffff", colours.tint, colours.code_bg):
            assert brightness(background) - brightness(text) >= TEXT_CONTRAST, (text, background)


@pytest.mark.parametrize(("name", "primary"), CASES)
def test_text_colours_read_at_wcag_aa_in_light_mode(name: str, primary: str | None) -> None:
    """Captions, quotes and references (muted) sit on the page; body text and the
    primary (links, markers, inline code) also on the tint and the code background."""
    colours = palette(name, primary)
    assert contrast(colours.muted, "#ffffff") >= WCAG_AA
    for text in (colours.text, colours.primary):
        for background in ("#ffffff", colours.tint, colours.code_bg):
            assert contrast(text, background) >= WCAG_AA, (text, background)


def test_wcag_contrast_is_the_standard_ratio() -> None:
    assert contrast("#ffffff", "#000000") == pytest.approx(21)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.005)
    assert contrast("#777777", "#ffffff") < WCAG_AA  # the grey plain had before


def test_a_brand_colour_that_reads_only_on_white_is_darkened_a_little() -> None:
    assert palette("brand", "#0a7d5a").primary == "#0a7a58"


def test_every_theme_fills_in_every_colour() -> None:
    for name in THEMES:
        assert "$" not in stylesheet(name)


def test_no_gradient_in_any_theme() -> None:
    assert not any("gradient" in stylesheet(name) for name in THEMES)


def test_the_brand_theme_follows_its_colour() -> None:
    assert palette("brand", "#c8102e").primary == "#c8102e"  # readable as it is
    assert palette("brand", "#0a7d5a") != palette("brand", "#c8102e")


def test_a_light_brand_colour_is_darkened_for_text() -> None:
    assert brightness(palette("brand", "#ffee00").primary) < brightness("#ffee00")


def test_colours_are_read_in_the_usual_spellings() -> None:
    assert [check_colour(v) for v in ("#ABC", "aabbcc", "#a1b2c3", "red", "#12345")] == [
        "#aabbcc", "#aabbcc", "#a1b2c3", None, None]


def test_brightness_is_hsp() -> None:
    assert brightness("#ffffff") == pytest.approx(255)
    assert brightness("#000000") == 0
    assert brightness("#191919") == pytest.approx(25)


def test_the_sanitiser_keeps_every_property_a_theme_writes() -> None:
    for name in THEMES:
        properties = set(re.findall(r"([a-z-]+)\s*:", re.sub(r"/\*.*?\*/", "",
                                                              stylesheet(name), flags=re.S)))
        assert properties <= STYLE_PROPERTIES, properties - STYLE_PROPERTIES


@pytest.mark.parametrize("name", THEMES)
def test_highlighted_code_reads_at_wcag_aa_on_the_code_background(name: str) -> None:
    source = ("# a comment\nclass Donor:\n    count = 42  # 捐赠人数\n"
              "    name = f\"{count} 人\"\n    print(name, 3.5, None)\n")
    colours = set(re.findall(r"color: (#[0-9a-f]{6})", highlighted(source, "python")))
    assert len(colours) >= 5  # comments, names, numbers, strings, keywords
    background = palette(name).code_bg
    assert all(contrast(c, background) >= WCAG_AA for c in colours), colours
