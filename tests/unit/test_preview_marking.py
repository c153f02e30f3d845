"""The preview page's rewriting of an article's HTML: quoted passages marked in
the text nodes, and every inline colour given a dark-mode twin that reads."""

from __future__ import annotations

import pytest

from bot.pages.darkmode import (
    DARK_PAGE,
    MIN_CONTRAST,
    contrast,
    dark_background,
    dark_text,
    parse,
    with_dark_colours,
)
from bot.pages.marking import Quote, mark_quotes
from bot.pages.preview import safe_html
from layout.themes import THEMES, palette

BODY = ('<section style="color: #333"><p title="a>b">今年走进<b>三所</b>山区小学 &amp; 更多。</p>'
        '<p>志愿者们在十二月出发。</p></section>')


def test_a_quote_in_one_text_node_is_marked_with_its_note() -> None:
    marked, found = mark_quotes(BODY, [Quote(1, "十二月", "李雷：改成十一月")])
    assert found == {1}
    assert ('<p>志愿者们在<mark data-quote="1">十二月</mark><small class="quote-note" '
            'id="quote-1">李雷：改成十一月</small>出发。</p>') in marked
    assert marked.startswith('<section style="color: #333"><p title="a>b">')


def test_a_quote_across_tags_and_paragraphs_is_marked_part_by_part() -> None:
    marked, found = mark_quotes(BODY, [Quote(2, "走进三所 山区小学&更多。志愿者", "x<y")])
    assert found == {2}
    assert ('<mark data-quote="2">走进</mark><b><mark data-quote="2">三所</mark></b>'
            '<mark data-quote="2">山区小学 &amp; 更多。</mark></p><p><mark data-quote="2">志愿者'
            '</mark><small class="quote-note" id="quote-2">x&lt;y</small>') in marked


def test_a_quote_not_there_or_over_another_is_left_unmarked() -> None:
    marked, found = mark_quotes(BODY, [Quote(1, "三所", "a"), Quote(2, "三所山区", "b"),
                                       Quote(3, "五所", "c")])
    assert found == {1}
    assert marked.count("<mark") == 1


def test_inline_colours_get_dark_twins() -> None:
    out = with_dark_colours('<p style="margin:0;color:#333333;background-color: #fbefe3">x</p>'
                            '<p style="color: inherit">y</p>')
    assert out == ('<p style="margin:0;color: #333333; color: light-dark(#333333, #cccccc);'
                   'background-color: #fbefe3; background-color: light-dark(#fbefe3, #382615)">'
                   'x</p><p style="color: inherit">y</p>')


def test_an_article_that_writes_of_styles_keeps_its_words() -> None:
    said = safe_html('<p>写 style="color:#000000" 就是黑字</p><p style="color:#000000">黑</p>')
    out = with_dark_colours(said)
    assert out.startswith('<p>写 style="color:#000000" 就是黑字</p>')
    assert "light-dark(#000000" in out.split("</p>", 1)[1]


@pytest.mark.parametrize("theme", THEMES)
def test_every_theme_colour_reads_on_the_dark_page_and_its_dark_blocks(theme: str) -> None:
    colours = palette(theme)
    blocks = [DARK_PAGE, *(dark_background(parse(c) or (0, 0, 0))
                           for c in (colours.tint, colours.code_bg))]
    for text in (colours.text, colours.muted, colours.primary):
        twin = dark_text(parse(text) or (0, 0, 0))
        assert all(contrast(twin, block) >= MIN_CONTRAST for block in blocks), (theme, text)
