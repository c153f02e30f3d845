"""Checks before review on generated HTML (seeded, so a failure repeats): what
holds whatever the article, and the edge cases (empty, entity-heavy, deeply
nested, malformed)."""

from __future__ import annotations

import random
from itertools import pairwise

import pytest

from handlers.texts import macros, phrase
from tests.unit.test_checks import CASES
from workflow.checks import Code, Finding, Revision, Severity, WordEntry, WordList, check
from workflow.checks.document import read
from workflow.checks.typography import _changes
from workflow.checks.words import fold
from workflow.text import visible_length

WORDS = ["敏感", "感词", "VIP", "ｆｒｅｅ", "公益", "捐款", "a", "中文English"]
ENTRIES = [WordEntry(w, "类别") for w in WORDS]
LIST = WordList.build(ENTRIES)
FRAGMENTS = ["敏", "感", "词", "vip", "ＶＩＰ", "Free", "公益", "捐", "款", " ", "\n", "&nbsp;",
             "&amp;", "&lt;p&gt;", "&#25935;", "&#x611f;", "，", ",", "！！", "English", "中文",
             "12", "https://mp.weixin.qq.com/s/x", "ß", "ﬁ", "İ"]
TAGS = ["b", "span", "p", "section", "a", "strong", "em", "code", "li", "ul", "td", "tr",
        "table", "h2", "h4", "script", "style"]


def random_body(rng: random.Random, depth: int = 0) -> str:
    parts = []
    for _ in range(rng.randint(0, 6)):
        roll = rng.random()
        if roll < 0.5 or depth > 6:
            parts.append(rng.choice(FRAGMENTS))
        elif roll < 0.6:
            parts.append(f'<img src="https://mmbiz.qpic.cn/{rng.randint(0, 9)}" alt="">')
        elif roll < 0.65:
            parts.append(rng.choice(["</b>", "<p>", "</table>", "<td>", "<br>", "</ul>"]))
        else:
            tag = rng.choice(TAGS)
            attrs = ' href="https://example.org"' if tag == "a" else ""
            parts.append(f"<{tag}{attrs}>{random_body(rng, depth + 1)}</{tag}>")
    return "".join(parts)


BODIES = [random_body(random.Random(seed)) for seed in range(300)]


def where_ok(finding: Finding, text: str) -> bool:
    return finding.at is None or 0 <= finding.at <= len(text)


@pytest.mark.parametrize("chunk", range(6))
def test_generated_articles(chunk: int) -> None:
    for body in BODIES[chunk::6]:
        text = read(body).text
        result = check(Revision("标题", body, has_cover=True), LIST)
        assert all(where_ok(f, text) for f in result.findings), body
        assert result.facts.characters == visible_length(body), body
        # Aho–Corasick finds exactly what a loop of `in` over the same text finds.
        found = {str(f.data["word"]) for f in result.of(Severity.SENSITIVE)}
        assert found == {w for w in WORDS if fold(w) in fold(text)}, body
        for finding in result.of(Severity.SENSITIVE):
            at = finding.at or 0
            word = str(finding.data["word"])
            assert fold(text[at:at + len(word)]) == fold(word), body


def test_folding_keeps_every_character_in_its_place() -> None:
    text = "ＶＩＰßﬁİ敏感Ａ"
    assert len(fold(text)) == len(text)
    assert fold(text) == "vipßﬁİ敏感a"


@pytest.mark.parametrize("body", ["", "   ", "<p></p>", "<!-- 注释 -->", "<br><br>", "&nbsp;" * 10,
                                  "</p></div>", "<p>\u200b</p>"])
def test_empty_bodies_have_no_body(body: str) -> None:
    result = check(Revision("标题", body, has_cover=True), LIST)
    assert Code.BODY_EMPTY in result.codes()
    assert result.facts.characters == visible_length(body) == 0


@pytest.mark.parametrize("body", ["<p", "<<<>>>", "<a href='x", "<td colspan=x>", "&#xZZ;"])
def test_broken_bodies_are_read_as_the_text_does(body: str) -> None:
    # The standard parser keeps an unfinished tag at the end as text, as
    # workflow.text does for the length 查看 shows: the two agree.
    result = check(Revision("标题", body, has_cover=True), LIST)
    assert result.facts.characters == visible_length(body)


def test_entity_heavy_text_is_read_as_text() -> None:
    body = "<p>" + "&lt;script&gt;敏&#24863;&amp;&quot;" * 200 + "</p>"
    result = check(Revision("标题", body, has_cover=True), LIST)
    assert len(result.of(Severity.SENSITIVE)) == 200
    assert read(body).text.startswith("\n<script>敏感&\"")


def test_deeply_nested_tags_are_read() -> None:
    body = "<span>" * 2000 + "敏<b>感</b>" + "</span>" * 2000 + "<ul><li>" * 50 + "x"
    result = check(Revision("标题", body, has_cover=True), LIST)
    assert result.sensitive
    assert [f.code for f in result.findings].count(Code.LIST_TOO_DEEP) == 1


def test_every_code_has_its_words_in_the_catalogue() -> None:
    assert macros("checks") == {code.value for code in Code}


@pytest.mark.parametrize("code", list(CASES), ids=str)
def test_every_finding_renders(code: Code) -> None:
    result = CASES[code][0].run()
    for finding in result.findings:
        said = phrase("checks", finding.code, excerpt=finding.excerpt, **finding.data)
        assert said and "None" not in said


def test_the_words_of_a_few_findings() -> None:
    title = Finding(Code.TITLE_TOO_LONG, {"length": 40, "limit": 32})
    assert phrase("checks", title.code, **title.data) == "标题 40 字，微信最多 32 字：请缩短标题"
    word = Finding(Code.SENSITIVE_WORD, {"word": "敏感", "category": "政治"}, 3, "一个敏感的")
    assert phrase("checks", word.code, excerpt=word.excerpt, **word.data) == \
        "敏感词「敏感」（政治）（「一个敏感的」处）"
    minutes = phrase("checks", Code.READING_TIME, minutes=3)
    assert minutes == "阅读约 3 分钟" and phrase("checks", Code.READING_TIME, minutes=0) != minutes


def apply(old: str, new: str, changes: list[tuple[int, int, int, int]]) -> str:
    out, last = [], 0
    for i1, i2, j1, j2 in changes:
        out += [old[last:i1], new[j1:j2]]
        last = i2
    return "".join([*out, old[last:]])


@pytest.mark.parametrize("seed", range(5))
def test_the_changes_of_a_line_rebuild_the_suggested_line(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(200):
        old = "".join(rng.choices("中文ab ,，Ａ1\xa0", k=rng.randint(0, 12)))
        new = "".join(rng.choices("中文ab ,，A1", k=rng.randint(0, 12))) if rng.random() < 0.3 \
            else "".join(c if rng.random() < 0.7 else rng.choice([" ", "，", c + " "])
                         for c in old)
        changes = _changes(old, new)
        assert apply(old, new, changes) == new, (old, new)
        assert all(i1 <= i2 and j1 <= j2 for i1, i2, j1, j2 in changes)
        assert all(a[1] <= b[0] for a, b in pairwise(changes))
