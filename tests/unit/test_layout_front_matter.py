"""Front matter: what an article says about itself, checked into FrontMatter;
every bad value refused by a code naming the key."""

from __future__ import annotations

from datetime import date

import pytest

from layout import FrontMatter, LayoutError, parse_front_matter
from layout.markdown import read_markdown


def test_every_key_is_read_into_its_type() -> None:
    front = parse_front_matter(
        "title: 标题\nauthor: 小禾\ndigest: 摘要\ncover: cover.jpg\ntheme: Brand\n"
        "primary: '#0A7D5A'\ncomments: off\nsources:\n  - 甲\n  - 乙\nexpires: 2026-12-14\n"
        "sensitive: yes\n")
    assert front == FrontMatter(title="标题", author="小禾", digest="摘要", cover="cover.jpg",
                                theme="brand", primary="#0a7d5a", comments=False,
                                sources=("甲", "乙"), expires=date(2026, 12, 14),
                                sensitive=True)


def test_nothing_said_is_none_and_defaults() -> None:
    assert parse_front_matter("") == FrontMatter()
    assert parse_front_matter("title:\n") == FrontMatter()


def test_a_single_source_and_a_quoted_date_are_understood() -> None:
    front = parse_front_matter("sources: 审计报告\nexpires: '2026-01-02'\ntitle: 2025\n")
    assert (front.sources, front.expires, front.title) == (("审计报告",), date(2026, 1, 2), "2025")


def test_a_source_may_be_a_title_and_url() -> None:
    front = parse_front_matter("sources:\n  - title: 年报\n    url: https://example.org/r\n"
                               "  - url: https://example.org/only\n  - 口述\n")
    assert front.sources == ("年报 https://example.org/r", "https://example.org/only", "口述")
    with pytest.raises(LayoutError) as refused:
        parse_front_matter("sources:\n  - name: 年报\n")
    assert (refused.value.code, refused.value.data["key"]) == ("front_matter_bad_type", "sources")


def test_a_short_colour_is_spelled_out() -> None:
    assert parse_front_matter("primary: 'c00'").primary == "#cc0000"


def test_the_markdown_reader_finds_the_front_matter_block() -> None:
    source = read_markdown("---\ntitle: 读到了\n---\n正文\n", {})
    assert source.front.title == "读到了" and "---" not in source.html


@pytest.mark.parametrize(("text", "code", "data"), [
    ("title: [a, b", "front_matter_unreadable", {"line": 1}),
    ("- a\n- b\n", "front_matter_not_a_mapping", {"found": "list"}),
    ("titel: x", "front_matter_unknown_key", {"key": "titel"}),
    ("title: {a: 1}", "front_matter_bad_type", {"key": "title", "expected": "text"}),
    ("comments: maybe", "front_matter_bad_type", {"key": "comments", "expected": "yes_no"}),
    ("sensitive: 1", "front_matter_bad_type", {"key": "sensitive", "expected": "yes_no"}),
    ("author: true", "front_matter_bad_type", {"key": "author", "expected": "text"}),
    ("expires: next week", "front_matter_bad_date", {"key": "expires", "value": "next week"}),
    ("expires: 2026-13-01", "front_matter_bad_date", {"key": "expires", "value": "2026-13-01"}),
    ("theme: neon", "front_matter_unknown_theme", {"key": "theme", "value": "neon"}),
    ("primary: reddish", "front_matter_bad_colour", {"key": "primary", "value": "reddish"}),
])
def test_a_bad_value_is_refused_by_code(text: str, code: str, data: dict[str, object]) -> None:
    with pytest.raises(LayoutError) as refused:
        parse_front_matter(text)
    assert refused.value.code == code
    assert {key: refused.value.data[key] for key in data} == data


def test_yaml_cannot_build_objects() -> None:
    with pytest.raises(LayoutError) as refused:
        parse_front_matter("title: !!python/object/apply:os.system ['true']")
    assert refused.value.code == "front_matter_unreadable"
