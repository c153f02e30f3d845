"""The corpus: real article shapes (tests/corpus/*.md and a Word file built
by tests/unit/layout_fixtures.py) rendered and compared with their golden HTML
(tests/corpus/golden/), and every rendering held to the rules the platform
imposes. Golden files change only when asked: ``UPDATE_GOLDEN=1`` rewrites
them, to be read by eye before they are committed.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

import pytest

from layout import Rendered, render_docx, render_markdown
from tests.unit.layout_fixtures import CDN, image_url, word_file

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
GOLDEN = CORPUS / "golden"
ARTICLES = sorted(CORPUS.glob("*.md"))
WORD = "22-word-report.docx"
SHAPES = [p.name for p in ARTICLES] + [WORD]
TAG = re.compile(r"<([a-z0-9]+)([^>]*)>")


@cache
def rendered(name: str) -> Rendered:
    if name == WORD:
        return render_docx(word_file(), image_url())
    return render_markdown((CORPUS / name).read_text(encoding="utf-8"), image_url())


def test_the_corpus_has_at_least_twenty_shapes() -> None:
    assert len(SHAPES) >= 20


@pytest.mark.parametrize("name", SHAPES)
def test_a_shape_renders_as_its_golden_file(name: str) -> None:
    golden = GOLDEN / (Path(name).stem + ".html")
    html = rendered(name).html + "\n"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(html, encoding="utf-8")
    assert golden.exists(), "no golden file: render it with UPDATE_GOLDEN=1 and read it"
    assert html == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", SHAPES)
def test_a_shape_keeps_only_what_the_platform_keeps(name: str) -> None:
    html = rendered(name).html
    tags = TAG.findall(html)
    assert {tag for tag, _ in tags} <= {
        "section", "p", "span", "br", "hr", "strong", "em", "s", "sup", "h1", "h2", "h3",
        "h4", "h5", "h6", "blockquote", "ul", "ol", "li", "figure", "figcaption", "img",
        "table", "thead", "tbody", "tr", "th", "td", "pre", "code", "a"}
    attributes = {name for _, attrs in tags for name in re.findall(r"\s([a-z-]+)=", attrs)}
    assert attributes <= {"style", "href", "src", "alt", "colspan", "rowspan"}
    assert "<div" not in html and "<script" not in html and "<style" not in html


@pytest.mark.parametrize("name", SHAPES)
def test_a_shape_links_only_to_the_platform_and_shows_only_uploaded_images(name: str) -> None:
    html = rendered(name).html
    assert all(href.startswith(("https://mp.weixin.qq.com/", "http://mp.weixin.qq.com/"))
               for href in re.findall(r'href="([^"]*)"', html))
    assert all(src.startswith(CDN) for src in re.findall(r'src="([^"]*)"', html))


@pytest.mark.parametrize("name", SHAPES)
def test_every_table_of_a_shape_scrolls_sideways(name: str) -> None:
    html = rendered(name).html
    wrapped = re.findall(r'<section style="[^"]*overflow-x:auto[^"]*"><table', html)
    assert len(wrapped) == html.count("<table")


def test_the_corpus_reports_the_one_image_it_lacks() -> None:
    assert [ref.src for ref in rendered("07-image-formats.md").unplaced] == ["missing.jpg"]
    assert len(rendered("07-image-formats.md").placed) == 13


def test_the_word_file_brings_its_images_with_their_bytes() -> None:
    placed = rendered(WORD).placed
    assert [(ref.src, ref.alt, ref.content_type) for ref in placed] == [
        ("docx-image-1", "孩子们在读书", "image/jpeg"), ("docx-image-2", "项目标识", "image/png")]
    assert all(ref.data for ref in placed)
