"""The layout rules one at a time, on small articles: what the platform drops
is gone, outside links become numbered references, lists, tables, figures,
code, callouts and footnotes take the shape the draft box keeps."""

from __future__ import annotations

import re

import pytest

from layout import ImageRef, LayoutError, Words, render_html, render_markdown
from layout.frontmatter import FrontMatter


def no_images(ref: ImageRef) -> str | None:
    return None


def every_image(ref: ImageRef) -> str | None:
    return f"https://mmbiz.qpic.cn/t/{ref.src}"


def html_of(text: str, **options: object) -> str:
    return render_markdown(text, every_image, **options).html  # type: ignore[arg-type]


def without_styles(html: str) -> str:
    return re.sub(r' style="[^"]*"', "", html)


# -- what the platform drops --------------------------------------------------------


def test_no_class_id_or_style_block_is_left() -> None:
    html = html_of('<div class="x" id="y">a</div>\n\n<style>p{color:red}</style>\n\n'
                   "::: tip\nb\n:::\n\n```python\nx = 1\n```\n\n| a |\n|---|\n| 1 |\n")
    assert not re.search(r"\s(class|id)=", html)
    assert "<style" not in html and "p{color" not in html


@pytest.mark.parametrize("attack", [
    "<script>alert(1)</script>",
    '<img src="x.png" onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<p onclick="alert(1)">x</p>',
    '<iframe src="https://evil.example/"></iframe>',
    '<svg><script>alert(1)</script></svg>',
    '<p style="background:url(javascript:alert(1))">x</p>',
])
def test_no_script_survives(attack: str) -> None:
    html = html_of(f"text\n\n{attack}\n\nmore")
    assert "alert" not in html and "<script" not in html and "iframe" not in html


def test_a_div_becomes_a_section() -> None:
    html = without_styles(html_of("<div>kept</div>"))
    assert html == "<section><section>kept</section></section>"


# -- links ----------------------------------------------------------------------------


def test_outside_links_become_references_numbered_in_order_and_listed_at_the_end() -> None:
    rendered = render_markdown("[甲](https://a.example/1) [乙](https://b.example/2) "
                               "[甲again](https://a.example/1)", no_images)
    assert [(r.number, r.text, r.url) for r in rendered.references] == [
        (1, "甲", "https://a.example/1"), (2, "乙", "https://b.example/2")]
    body, listing = without_styles(rendered.html).rsplit("<section><p>", 1)
    assert body.count("<sup>[1]</sup>") == 2 and "<sup>[2]</sup>" in body and "<a" not in body
    assert listing.startswith("参考资料</p>")
    assert "<p>[1] 甲: https://a.example/1</p><p>[2] 乙: https://b.example/2</p>" in listing


def test_a_link_to_the_platform_stays_a_link() -> None:
    html = without_styles(html_of("[文章](https://mp.weixin.qq.com/s/abc)"))
    assert '<a href="https://mp.weixin.qq.com/s/abc">文章</a>' in html


@pytest.mark.parametrize("text", ["<https://a.example/x>", "[https://a.example/x](https://a.example/x)",
                                  "[a.example/x](https://a.example/x/)"])
def test_a_link_whose_text_is_its_url_stays_plain_text(text: str) -> None:
    rendered = render_markdown(text, no_images)
    assert rendered.references == ()
    assert "<a" not in rendered.html and "<sup" not in rendered.html


def test_an_anchor_keeps_its_words_only() -> None:
    rendered = render_markdown("[上面](#top)", no_images)
    assert rendered.references == () and "上面" in rendered.html and "<a" not in rendered.html


def test_a_lookalike_host_is_an_outside_link() -> None:
    rendered = render_markdown("[x](https://mp.weixin.qq.com.evil.example/s)", no_images)
    assert len(rendered.references) == 1


def test_the_reference_list_words_come_from_the_caller() -> None:
    words = Words(notes="Notes", references="References", callouts={})
    html = html_of("[a](https://a.example)", words=words)
    assert ">References</p>" in html


# -- lists ----------------------------------------------------------------------------


def test_list_items_hold_their_content_in_a_section_with_the_marker_written() -> None:
    html = without_styles(html_of("- one\n- two\n"))
    assert html == ("<section><ul>\n<li><section><span>\u2022</span>one</section></li>\n"
                    "<li><section><span>\u2022</span>two</section></li>\n</ul>\n</section>")


def test_nested_lists_three_deep_change_marker_at_each_level() -> None:
    html = without_styles(html_of("1. a\n   1. b\n      1. c\n      2. d\n- x\n  - y\n    - z\n"))
    markers = re.findall(r"<span>([^<]*)</span>", html)
    assert markers == ["1.", "a.", "i.", "ii.", "\u2022", "\u25e6", "\u25aa"]


def test_nested_lists_are_indented_and_shown_as_blocks() -> None:
    html = html_of("- a\n  - b\n")
    outer, inner = re.findall(r"<ul style=\"([^\"]*)\"", html)
    assert "padding-left:0" in outer and "padding-left:1.2em" in inner
    assert all("display:block" in style for style in re.findall(r'<li style="([^"]*)"', html))


def test_an_ordered_list_counts_from_its_start() -> None:
    markers = re.findall(r"<span[^>]*>([^<]*)</span>", html_of("3. c\n4. d\n"))
    assert markers == ["3.", "4."]


def test_an_ordered_list_whose_start_is_no_number_counts_from_one() -> None:
    """"²" is a digit to str.isdigit() but not to int()."""
    markers = re.findall(r"<span[^>]*>([^<]*)</span>", html_of('<ol start="²"><li>a</li></ol>\n'))
    assert markers == ["1."]


def test_a_loose_item_keeps_each_paragraph_in_a_section() -> None:
    html = without_styles(html_of("1. first\n\n   second\n"))
    assert "<li><section><span>1.</span>first</section><section>second</section></li>" in html


# -- tables, figures ------------------------------------------------------------------


def test_a_table_is_wrapped_in_a_section_that_scrolls_sideways() -> None:
    html = html_of("| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert re.search(r'<section style="[^"]*overflow-x:auto[^"]*"><table', html)
    assert html.count("<table") == 1


def test_an_image_becomes_a_figure_captioned_by_its_title_else_its_alt() -> None:
    html = without_styles(html_of('![alt words](a.png "title words")\n\n![only alt](b.png)\n\n'
                                  "![](c.png)"))
    assert ('<figure><img src="https://mmbiz.qpic.cn/t/a.png" alt="alt words">'
            "<figcaption>title words</figcaption></figure>") in html
    assert "<figcaption>only alt</figcaption>" in html
    assert '<figure><img src="https://mmbiz.qpic.cn/t/c.png" alt=""></figure>' in html


def test_an_image_in_a_sentence_stays_inline() -> None:
    html = without_styles(html_of("see ![i](i.png) here"))
    assert '<p>see <img src="https://mmbiz.qpic.cn/t/i.png" alt="i"> here</p>' in html


def test_an_image_without_a_url_is_left_out_and_reported() -> None:
    rendered = render_markdown("before\n\n![lost](lost.png)\n\nafter", no_images)
    assert [(ref.src, ref.alt) for ref in rendered.unplaced] == [("lost.png", "lost")]
    assert rendered.placed == ()
    assert "<img" not in rendered.html and "<p></p>" not in without_styles(rendered.html)


def test_the_image_url_callable_sees_each_image_once_in_order() -> None:
    seen: list[str] = []

    def record(ref: ImageRef) -> str:
        seen.append(ref.src)
        return "https://mmbiz.qpic.cn/x"

    render_markdown("![a](1.png) ![b](2.png)\n\n![c](3.png)", record)
    assert seen == ["1.png", "2.png", "3.png"]


# -- code, callouts, footnotes ---------------------------------------------------------


def test_code_is_coloured_per_token_with_inline_styles_and_keeps_its_spaces() -> None:
    html = html_of("```python\ndef f():\n    return 1\n```\n")
    assert re.search(r'<span style="color:#[0-9a-f]{6};font-weight:bold">def</span>', html)
    assert "&nbsp;&nbsp;&nbsp;&nbsp;" in html and "<br>" in html and "class=" not in html


def test_code_in_an_unknown_language_is_shown_as_written() -> None:
    html = without_styles(html_of("```nosuchlanguage\na  <b>\n```\n"))
    assert "<pre><code>a&nbsp;&nbsp;&lt;b&gt;</code></pre>" in html


def test_a_relative_link_keeps_its_words_only() -> None:
    rendered = render_markdown("[见附件](files/report.pdf)", no_images)
    assert rendered.references == () and "见附件" in rendered.html and "<a" not in rendered.html


def test_a_callout_has_its_own_title_or_the_kind_s_default() -> None:
    html = without_styles(html_of("::: warning\nw\n:::\n\n::: tip 自己的标题\nt\n:::\n"))
    assert "<section>\n<p>注意</p>\n<p>w</p>\n</section>" in html
    assert "<p>自己的标题</p>" in html


def test_a_callout_is_a_tinted_block_with_a_border() -> None:
    html = html_of("::: danger\nd\n:::\n")
    assert re.search(r"<section style=\"[^\"]*border-left:4px solid #[0-9a-f]{6}"
                     r"[^\"]*background-color:#[0-9a-f]{6}", html)


def test_footnotes_are_numbered_in_the_text_and_listed_as_notes() -> None:
    html = without_styles(html_of("a[^x] b[^y]\n\n[^x]: first\n[^y]: second\n"))
    assert "a<sup>1</sup> b<sup>2</sup>" in html
    assert "<p>注释</p>" in html and "first" in html and "\u21a9" not in html
    assert "<hr" not in html


# -- themes ---------------------------------------------------------------------------


def test_the_theme_s_colours_are_applied() -> None:
    warm = html_of("---\ntheme: warm\n---\n## h\n")
    assert "border-left:4px solid #b15129" in warm and "color:#b15129" in warm


def test_the_brand_theme_takes_the_primary_colour() -> None:
    html = html_of("---\ntheme: brand\nprimary: '#c8102e'\n---\n## h\n")
    assert "border-bottom:3px solid #c8102e" in html


def test_the_caller_s_theme_and_colour_win_over_the_front_matter_s() -> None:
    rendered = render_markdown("---\ntheme: warm\n---\n## h\n", no_images, theme="brand",
                               primary="#123456")
    assert rendered.theme == "brand" and "#123456" in rendered.html


def test_an_unknown_theme_or_colour_from_the_caller_is_refused_by_code() -> None:
    with pytest.raises(LayoutError) as unknown:
        render_html("<p>x</p>", FrontMatter(), no_images, theme="neon")
    with pytest.raises(LayoutError) as colour:
        render_html("<p>x</p>", FrontMatter(), no_images, primary="reddish")
    assert (unknown.value.code, unknown.value.data["value"]) == ("unknown_theme", "neon")
    assert (colour.value.code, colour.value.data["value"]) == ("bad_colour", "reddish")


def test_the_article_has_no_background_of_its_own() -> None:
    for theme in ("plain", "warm", "brand"):
        html = html_of(f"---\ntheme: {theme}\n---\ntext\n")
        first = re.match(r'<section style="([^"]*)"', html)
        assert first is not None and "background" not in first.group(1)


def test_an_empty_body_renders_an_empty_article() -> None:
    rendered = render_markdown("---\ntitle: t\n---\n", no_images)
    assert rendered.front.title == "t"
    assert without_styles(rendered.html) == "<section><p></p></section>"
