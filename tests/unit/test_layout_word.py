"""Word in: mammoth's HTML of a .docx with its images taken out."""

from __future__ import annotations

import re

import pytest

from layout import LayoutError, render_docx
from layout.word import read_docx
from tests.unit.layout_fixtures import image_url, word_file


def test_headings_lists_tables_and_emphasis_are_kept() -> None:
    html = read_docx(word_file()).html
    assert "<h1>乡村阅读计划 2025 年秋季简报</h1>" in html
    assert "<h2>二、主要数据</h2>" in html
    assert "<strong>12 个</strong>" in html and "<em>48 人次</em>" in html
    assert "<ul><li>云南 5 所</li>" in html and "<ol><li>回访所有学校</li>" in html
    assert "<th><p>县</p></th>" in html and html.count("<tr>") == 4


def test_images_are_taken_out_with_their_bytes_type_and_alt() -> None:
    source = read_docx(word_file())
    assert [(i.name, i.content_type, i.alt) for i in source.images] == [
        ("docx-image-1", "image/jpeg", "孩子们在读书"), ("docx-image-2", "image/png", "项目标识")]
    assert all(image.data[:2] in (b"\xff\xd8", b"\x89P") for image in source.images)
    assert re.findall(r'src="([^"]+)"', source.html) == ["docx-image-1", "docx-image-2"]


def test_a_word_file_is_shaped_like_markdown() -> None:
    rendered = render_docx(word_file(), image_url())
    assert rendered.html.count("<figure") == 2 and "overflow-x:auto" in rendered.html
    assert not re.search(r"\s(class|id)=", rendered.html)


def test_bytes_that_are_no_word_file_are_refused_by_code() -> None:
    with pytest.raises(LayoutError) as refused:
        read_docx(b"PK\x03\x04 not really a zip")
    assert refused.value.code == "docx_unreadable"
