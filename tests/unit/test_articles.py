"""Article bodies for WeChat's draft box."""

from __future__ import annotations

from bot.articles import article_html


def test_plain_text_becomes_escaped_paragraphs() -> None:
    assert article_html("第一段 <b>\r\n\r\n第二段\n同一段\n\n\n") == (
        "<p>第一段 &lt;b&gt;</p><p>第二段<br/>同一段</p>")


def test_html_is_kept_as_written() -> None:
    assert article_html("  <section>已排好</section>\n") == "<section>已排好</section>"
