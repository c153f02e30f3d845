"""The canonical form of an article's HTML (workflow/canonical_html.py): what
the WeChat draft box rewrites on save leaves it unchanged, and every edit a
reader could notice changes it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.emulator.cleaning import clean_content
from workflow.canonical_html import canonical, same_article, style_declarations

SRC = "http://mmbiz.qpic.cn/mmbiz_jpg/abc/0?wx_fmt=jpeg"
OURS = (
    '<section style="font-size:16px;line-height:1.75;color:#3f3f3f">'
    '<h2 style="margin:1em 0;font-weight:bold">冬衣募集</h2>\n'
    '<p style="margin:0 0 1em">寒假前为山区学生募集冬衣&nbsp;，已收到 <strong>320</strong> 件。<br>'
    '请转发。</p>\n'
    f'<figure><img src="{SRC}&amp;from=appmsg" alt="冬衣"><figcaption>仓库</figcaption></figure>\n'
    '<p><a href="https://mp.weixin.qq.com/s/abc">上期回顾</a> 与 <em>致谢</em></p>'
    '</section>')


@pytest.mark.parametrize("saved", [
    OURS.replace("<br>", "<br/>").replace('alt="冬衣">', 'alt="冬衣" />'),  # self-closing
    OURS.replace("&nbsp;", "\u00a0"),  # an entity as its character
    OURS.replace("&nbsp;", "&#160;"),
    OURS.replace(">\n<", "><").replace("<p ", "\n  <p "),  # whitespace between tags
    OURS.replace("margin:0 0 1em", " margin : 0  0 1em ; ").replace(
        "font-size:16px;line-height:1.75;color:#3f3f3f",
        "color: #3F3F3F; font-size: 16px; line-height: 1.75;"),  # style spacing, order, case
    OURS.replace('<img src=', '<img data-ratio="0.75" data-w="1080" src=').replace(
        "<a href", '<a data-linktype="2" href'),  # data-* added
    OURS.replace('src="', "src='", 1).replace('appmsg"', "appmsg'"),  # quoting
    OURS.replace("<section ", '<section class="rich_media" id="js_content" ')
    + "<style>p{}</style>",  # what the box strips
    OURS.replace("<strong>", "<b>").replace("</strong>", "</b>"),
    OURS.replace("上期回顾", "<!-- x -->上期回顾"),
    f"<!-- saved -->{OURS}\n",
])
def test_what_the_box_rewrites_on_save_is_the_same_article(saved: str) -> None:
    assert saved != OURS
    assert same_article(OURS, saved)


@pytest.mark.parametrize("edited", [
    OURS.replace("320", "350"),  # a changed word
    OURS.replace("请转发。", "请转发，谢谢。"),
    OURS.replace("<strong>320</strong>", "320"),  # emphasis taken away
    OURS.replace("<em>致谢</em>", "<strong>致谢</strong>"),
    OURS.replace("color:#3f3f3f", "color:#c00000"),  # a changed colour
    OURS.replace("margin:0 0 1em", "margin:0 0 1em;text-align:center"),
    OURS.replace(f'<img src="{SRC}&amp;from=appmsg" alt="冬衣">', ""),  # an image removed
    OURS.replace("<figcaption>", f'<img src="{SRC}"><figcaption>'),  # an image added
    OURS.replace("abc/0", "xyz/0"),  # another image
    OURS.replace("s/abc", "s/other"),  # a link elsewhere
    OURS.replace('<a href="https://mp.weixin.qq.com/s/abc">上期回顾</a>', "上期回顾"),
    OURS.replace("<br>", ""),  # a line joined
    OURS.replace("<h2 ", "<h3 ").replace("</h2>", "</h3>"),
])
def test_an_edit_a_reader_would_notice_is_another_article(edited: str) -> None:
    assert edited != OURS
    assert not same_article(OURS, edited)


def test_the_emulators_rewrite_on_save_is_the_same_article() -> None:
    saved = clean_content(OURS, lambda src: src.startswith(SRC))
    assert saved != OURS and 'style="margin: 0 0 1em;"' in saved
    assert same_article(OURS, saved)


def test_style_declarations_are_a_set_of_normalised_pairs() -> None:
    assert style_declarations(" COLOR : RGB( 1 , 2 , 3 ) ;;font-size:16px !important; x") == {
        ("color", "rgb(1,2,3)"), ("font-size", "16px!important")}
    assert style_declarations("background:url(https://a/B.png)") == {
        ("background", "url(https://a/B.png)")}


def test_empty_bodies_are_one_article() -> None:
    assert same_article("", "  \n") and canonical("") == canonical("<!-- -->")
    assert not same_article("", "<p>a</p>")


def test_lxml_is_not_loaded_with_the_cli_or_the_draft_rule() -> None:
    """Start-up stays light: the parser loads when a body is first compared."""
    code = ("import sys, bot.cli, bot.worker, workflow.draft_cases, workflow.canonical_html\n"
            "assert 'lxml' not in sys.modules, 'loaded at import'\n"
            "from workflow.canonical_html import canonical\n"
            "canonical('<p>a</p>')\n"
            "assert 'lxml' in sys.modules\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
