"""The emulator's draft box cleans an article's HTML as the platform does, rule
by rule (bot/emulator/cleaning.py), rewrites void tags and style attributes as
the platform's editor does, and keeps every other byte as sent."""

from __future__ import annotations

import pytest

from bot.emulator.cleaning import clean_content
from bot.emulator.clock import Clock
from bot.emulator.content import Library
from bot.emulator.errors import WeChatError

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
T0 = 1_750_000_000.0
KNOWN = "http://mmbiz.qpic.cn/mmbiz_jpg/known/0?wx_fmt=jpg"


def clean(html: str) -> str:
    return clean_content(html, lambda src: src == KNOWN)


@pytest.mark.parametrize(("sent", "kept"), [
    ("<p>a</p><style>p { color: red }</style><p>b</p>", "<p>a</p><p>b</p>"),
    ("<STYLE type='text/css'>.x{}</STYLE>a", "a"),
    ("<style>never closed", ""),
])
def test_style_elements_go_with_their_content(sent: str, kept: str) -> None:
    assert clean(sent) == kept


@pytest.mark.parametrize(("sent", "kept"), [
    ("<p>a</p><script>alert('<p>x</p>')</script>b", "<p>a</p>b"),
    ("<p>a</p><script>alert(1)</script><SCRIPT src=x></SCRIPT>b", "<p>a</p>b"),
    ("<script src='x.js'/>a", "a"),
    ("a<script>never closed", "a"),
])
def test_script_elements_go_with_their_content(sent: str, kept: str) -> None:
    assert clean(sent) == kept


@pytest.mark.parametrize(("sent", "kept"), [
    ('<p class="lead">a</p>', "<p>a</p>"),
    ('<section id="top" style="margin: 0;">a</section>',
     '<section style="margin: 0;">a</section>'),
    ("<p CLASS=x ID=y title='t &quot;q&quot;'>a</p>", '<p title="t &quot;q&quot;">a</p>'),
    ('<br class="x">', "<br>"),
])
def test_class_and_id_attributes_go_and_the_element_stays(sent: str, kept: str) -> None:
    assert clean(sent) == kept


@pytest.mark.parametrize(("sent", "kept"), [
    (f'<figure><img src="{KNOWN}" alt="a"></figure>',
     f'<figure><img src="{KNOWN}" alt="a"></figure>'),
    ('<figure><img src="https://example.org/a.jpg" alt="a"/></figure>', "<figure></figure>"),
    ("<p>a<img alt='no source'>b</p>", "<p>ab</p>"),
    (f'<img class="w" src="{KNOWN}">', f'<img src="{KNOWN}">'),
])
def test_images_stay_only_when_the_platform_gave_their_url(sent: str, kept: str) -> None:
    assert clean(sent) == kept


@pytest.mark.parametrize(("sent", "kept"), [
    ("<p>a<br/>b<br />c<br>d</p>", "<p>a<br>b<br>c<br>d</p>"),
    (f"<img src='{KNOWN}' alt=a />", f'<img src="{KNOWN}" alt="a">'),
    ('<section style="font-size:16px;color:#333">a</section>',
     '<section style="font-size: 16px; color: #333;">a</section>'),
    ("<td colspan=2 style=' border : 1px solid #ccc ;; '>a</td>",
     '<td colspan="2" style="border: 1px solid #ccc;">a</td>'),
])
def test_void_tags_and_styles_are_rewritten_as_the_editor_saves_them(sent: str,
                                                                     kept: str) -> None:
    """Harmless rewrites the real platform makes: wxops must not take them for edits."""
    assert clean(sent) == kept
    assert clean(kept) == kept


@pytest.mark.parametrize("html", [
    '<section style="font-size: 16px; color: #333;">'
    "<p>中文 and Latin &amp; &lt;code&gt; &#8203;</p></section>",
    "<pre><code>if a &lt; b:\n    return &quot;x&quot;</code></pre>",
    '<table><tr><td colspan="2" style="border: 1px solid #ccc;">a</td></tr></table>',
    "<!-- a comment --><p>a<br>b<br>c</p>",
    '<a href="https://mp.weixin.qq.com/s/x">link</a> text &nbsp; a < b',
])
def test_everything_else_comes_back_byte_for_byte(html: str) -> None:
    """Markup already written as the editor writes it, and all text, unchanged."""
    assert clean(html) == html


def test_cleaning_twice_changes_nothing_more() -> None:
    once = clean('<p class="a"><style>x</style><img src="x.png">b</p>')
    assert clean(once) == once == "<p>b</p>"


def test_the_library_knows_its_uploads_and_its_materials() -> None:
    library = Library()
    uploaded = library.upload_image(JPEG)
    material = library.add_material("image", PNG).url
    html = f'<img src="{uploaded}"><img src="{material}"><img src="http://mmbiz.qpic.cn/x">'
    assert library.clean(html) == f'<img src="{uploaded}"><img src="{material}">'


def test_draft_add_and_update_keep_the_cleaned_content() -> None:
    library = Library()
    thumb = library.add_material("thumb", JPEG).media_id
    draft = library.add_draft([{"title": "t", "thumb_media_id": thumb,
                                "content": '<p id="x">a</p><style>b</style>'}], T0)
    assert draft.articles[0]["content"] == "<p>a</p>"
    library.update_draft(draft.media_id, 0, {"title": "t", "thumb_media_id": thumb,
                                             "content": '<p class="y">c</p>'}, T0)
    assert draft.articles[0]["content"] == "<p>c</p>"


def test_an_edit_in_the_editor_is_cleaned_and_moves_the_update_time_on() -> None:
    library, clock = Library(), Clock(lambda: T0)
    draft = library.write_draft("后台写的", '<p class="x">a</p>', clock.now())
    assert (draft.articles[0]["content"], draft.update_time) == ("<p>a</p>", int(T0))
    library.edit_draft(draft.media_id, 0, {"content": "<p>b</p><script>x</script>"}, T0)
    assert draft.articles[0]["content"] == "<p>b</p>"
    assert draft.update_time == int(T0) + 1  # a second save within the second still moves on
    library.edit_draft(draft.media_id, 0, {"title": "新标题"}, T0 + 60)
    assert (draft.articles[0]["title"], draft.update_time) == ("新标题", int(T0) + 60)


def test_an_edit_of_an_unknown_draft_or_article_is_refused() -> None:
    library = Library()
    with pytest.raises(WeChatError):
        library.edit_draft("nope", 0, {"title": "x"}, T0)
    draft = library.write_draft("t", "<p>a</p>", T0)
    with pytest.raises(WeChatError):
        library.edit_draft(draft.media_id, 1, {"title": "x"}, T0)
    with pytest.raises(WeChatError):
        library.edit_draft(draft.media_id, 0, {"title": "题" * 33}, T0)
