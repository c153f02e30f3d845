"""Checks before review (workflow.checks), finding by finding: for every code a
revision that triggers it and a near miss that does not."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest

from workflow.checks import (
    CheckResult,
    Code,
    ImageFacts,
    Limits,
    Revision,
    Severity,
    WordEntry,
    WordList,
    check,
    visible_text,
)
from workflow.kept_images import placeholder
from workflow.text import visible_length

UPLOADED = "https://mmbiz.qpic.cn/mmbiz_png/abc/0?wx_fmt=png"
GOOD = Revision(title="社区义诊回顾", body="<p>上周六，我们在社区开展了义诊。</p>", has_cover=True)
WORDS = WordList.build([WordEntry("敏感", "政治"), WordEntry(r"1\d{10}", "隐私", pattern=True)])


@dataclass(frozen=True)
class Case:
    """A revision to check: GOOD with ``changes``, or GOOD with ``body`` as its body."""

    body: str | None = None
    changes: dict[str, object] = field(default_factory=dict)
    words: WordList = WORDS
    limits: Limits = field(default_factory=Limits)

    def run(self) -> CheckResult:
        revision = replace(GOOD, **self.changes)  # type: ignore[arg-type]
        if self.body is not None:
            revision = replace(revision, body=self.body)
        return check(revision, self.words, self.limits)


def p(text: str) -> Case:
    return Case(f"<p>{text}</p>")


def img(src: str = UPLOADED, alt: str = "合影", facts: ImageFacts | None = None) -> Case:
    images = {src: facts} if facts else {}
    return Case(f'<p>活动照片</p><img src="{src}" alt="{alt}">', {"images": images})


def cells(*counts: int, text: str = "数据") -> Case:
    rows = "".join("<tr>" + f"<td>{text}</td>" * n + "</tr>" for n in counts)
    return Case(f"<p>统计</p><table>{rows}</table>")


def lists(depth: int) -> Case:
    return Case("<ul><li>一" * depth + "</li></ul>" * depth)


BIG = ImageFacts(byte_size=1024 * 1024, width=4000, height=3000)
FITS = ImageFacts(byte_size=1024 * 1024 - 1, width=1080, height=810)

#: code -> (a case that triggers it, a near miss that does not)
CASES: dict[Code, tuple[Case, Case]] = {
    Code.TITLE_MISSING: (Case(changes={"title": "  "}), Case(changes={"title": "回"})),
    Code.TITLE_TOO_LONG: (Case(changes={"title": "字" * 33}), Case(changes={"title": "字" * 32})),
    Code.AUTHOR_TOO_LONG: (Case(changes={"author": "名" * 17}),
                           Case(changes={"author": "名" * 16})),
    Code.DIGEST_TOO_LONG: (Case(changes={"digest": "摘" * 129}),
                           Case(changes={"digest": "摘" * 128})),
    Code.BODY_EMPTY: (Case("<p>&nbsp;<br></p><script>var a = 1;</script>"), p("字")),
    Code.CONTENT_TOO_LONG: (Case("<p>" + "a" * (20_000 - 7) + "</p>"),
                            Case("<p>" + "a" * (19_999 - 7) + "</p>")),
    Code.CONTENT_TOO_LARGE: (Case("<p>" + "字" * 31 + "</p>", limits=Limits(content_bytes=100)),
                             Case("<p>" + "字" * 30 + "</p>", limits=Limits(content_bytes=100))),
    Code.IMAGE_NOT_UPLOADED: (img("https://example.org/a.png"), img()),
    Code.IMAGE_KEPT: (img(placeholder("a" * 64)), img()),
    Code.IMAGE_TOO_LARGE: (img(facts=BIG), img(facts=FITS)),
    Code.COVER_MISSING: (Case(changes={"has_cover": False}), Case()),
    Code.EXTERNAL_LINK: (Case('<p>见<a href="https://example.org/r">报告</a></p>'),
                         Case('<p>见<a href="https://mp.weixin.qq.com/s/abc">往期</a></p>')),
    Code.SENSITIVE_WORD: (Case("<p>一个敏<b>感</b>的话题</p>"),
                          Case("<p>一个敏</p><p>感的话题</p>")),
    Code.SENSITIVE_PATTERN: (p("电话 13800138000"), p("电话 1380013800")),
    Code.PATTERN_UNCHECKED: (
        Case(words=WordList.build([WordEntry("(未闭合", "其他", pattern=True)])),
        Case(words=WordList.build([WordEntry("(闭合)", "其他", pattern=True)]))),
    Code.TYPOGRAPHY_SPACE: (p("我们用Python写代码"), p("我们用 Python 写代码")),
    Code.TYPOGRAPHY_PUNCTUATION: (p("你好,世界"), p("你好，世界")),
    Code.TYPOGRAPHY_OTHER: (p("全角ＡＢＣ"), p("全角 ABC")),
    Code.REPEATED_PUNCTUATION: (p("太好了！！"), p("太好了！……——")),
    Code.IMAGE_NO_ALT: (img(alt=" "), img(alt="志愿者合影")),
    Code.LIST_TOO_DEEP: (lists(3), lists(2)),
    Code.TABLE_TOO_MANY_COLUMNS: (cells(2, 5), cells(4, 4)),
    Code.TABLE_CELL_UNBROKEN: (cells(2, text="a" * 21), cells(2, text="a" * 20)),
    Code.HEADING_SKIPPED: (Case("<h2>一</h2><p>文</p><h4>二</h4>"),
                           Case("<h2>一</h2><h3>二</h3><h4>三</h4><h2>四</h2>")),
}
FACT_CODES = {Code.CHARACTERS, Code.READING_TIME, Code.IMAGE_COUNT, Code.REFERENCE_COUNT}
#: Found by the worker, not by ``check`` (tests/unit/test_link_liveness.py).
WORKER_CODES = {Code.LINK_DEAD}


def codes(result: CheckResult) -> set[Code]:
    return {f.code for f in result.findings if f.severity is not Severity.FACT}


def test_every_code_but_the_facts_has_a_case() -> None:
    assert set(CASES) == set(Code) - FACT_CODES - WORKER_CODES
    assert {c for c in Code if c.severity is Severity.FACT} == FACT_CODES


def test_a_good_revision_has_only_facts() -> None:
    result = check(GOOD, WORDS)
    assert codes(result) == set()
    assert [f.code for f in result.findings] == [Code.CHARACTERS, Code.READING_TIME,
                                                 Code.IMAGE_COUNT, Code.REFERENCE_COUNT]
    assert not result.refused and not result.sensitive


@pytest.mark.parametrize("code", list(CASES), ids=str)
def test_the_case_triggers_its_code(code: Code) -> None:
    assert code in codes(CASES[code][0].run())


@pytest.mark.parametrize("code", list(CASES), ids=str)
def test_the_near_miss_does_not(code: Code) -> None:
    assert code not in codes(CASES[code][1].run())


def only(result: CheckResult, code: Code) -> dict[str, object]:
    found = [f for f in result.findings if f.code is code]
    assert len(found) == 1, found
    return dict(found[0].data)


# Errors


def test_an_error_refuses_and_says_the_length_and_the_limit() -> None:
    result = CASES[Code.TITLE_TOO_LONG][0].run()
    assert result.refused and not result.sensitive
    assert only(result, Code.TITLE_TOO_LONG) == {"length": 33, "limit": 32}
    assert only(CASES[Code.AUTHOR_TOO_LONG][0].run(), Code.AUTHOR_TOO_LONG) == {
        "length": 17, "limit": 16}
    assert only(CASES[Code.DIGEST_TOO_LONG][0].run(), Code.DIGEST_TOO_LONG) == {
        "length": 129, "limit": 128}


def test_content_is_measured_as_sent_tags_included() -> None:
    assert only(CASES[Code.CONTENT_TOO_LONG][0].run(), Code.CONTENT_TOO_LONG) == {
        "length": 20_000, "limit": 20_000, "visible": 19_993}
    assert only(CASES[Code.CONTENT_TOO_LARGE][0].run(), Code.CONTENT_TOO_LARGE) == {
        "size": 100, "limit": 100}


def test_an_article_of_images_only_has_no_body() -> None:
    assert Code.BODY_EMPTY in codes(Case(f'<img src="{UPLOADED}" alt="海报">').run())


@pytest.mark.parametrize("src", ["data:image/png;base64,AAAA", "", "/local/a.png",
                                 "http://mmbiz.qpic.cn.example.org/a.png", "http://[bad"])
def test_images_not_from_uploadimg_are_errors(src: str) -> None:
    assert only(img(src).run(), Code.IMAGE_NOT_UPLOADED) == {"number": 1, "src": src}


def test_a_lazy_image_is_read_by_its_data_src_and_the_upload_host_can_be_added() -> None:
    lazy = Case(f'<p>图</p><img data-src="{UPLOADED}" alt="图">').run()
    assert Code.IMAGE_NOT_UPLOADED not in codes(lazy)
    emulated = Case('<p>图</p><img src="http://127.0.0.1:9000/img/1.png" alt="图">',
                    limits=Limits(image_hosts=frozenset({"mmbiz.qpic.cn", "127.0.0.1"}))).run()
    assert Code.IMAGE_NOT_UPLOADED not in codes(emulated)


def test_a_large_image_says_its_size_and_which_one() -> None:
    body = f'<p>一</p><img src="{UPLOADED}" alt="a"><p>二</p><img src="{UPLOADED}x" alt="b">'
    result = Case(body, {"images": {UPLOADED + "x": BIG}}).run()
    assert only(result, Code.IMAGE_TOO_LARGE) == {
        "number": 2, "size": BIG.byte_size, "limit": 1024 * 1024, "width": 4000, "height": 3000}


@pytest.mark.parametrize("href", ["http://example.org", "mailto:a@example.org",
                                  "javascript:alert(1)", "/s/relative", "//example.org/x"])
def test_links_out_of_the_platform_are_errors(href: str) -> None:
    assert only(Case(f'<p><a href="{href}">链接</a></p>').run(), Code.EXTERNAL_LINK) == {
        "href": href}


def test_an_anchor_and_a_link_without_href_are_not_external() -> None:
    result = Case('<p><a href="#note1">注1</a><a name="x">锚</a></p>').run()
    assert Code.EXTERNAL_LINK not in codes(result)


# Sensitive words


def test_a_sensitive_word_marks_the_item_and_says_where() -> None:
    body = "<p>开头</p><p>这是一个敏<b>感</b>的话题</p>"
    result = Case(body).run()
    assert result.sensitive and not result.refused
    (finding,) = result.of(Severity.SENSITIVE)
    assert finding.data == {"word": "敏感", "category": "政治"}
    assert finding.at is not None and visible_text(body)[finding.at:finding.at + 2] == "敏感"
    assert "一个敏感的话题" in finding.excerpt


def test_a_pattern_says_what_it_matched() -> None:
    assert only(CASES[Code.SENSITIVE_PATTERN][0].run(), Code.SENSITIVE_PATTERN) == {
        "pattern": r"1\d{10}", "category": "隐私", "matched": "13800138000"}


def test_words_match_whatever_their_width_and_case() -> None:
    words = WordList.build([WordEntry("ＶＩＰ", "商业"), WordEntry("Free", "商业")])
    result = Case("<p>尊享vip和ＦＲＥＥ服务</p>", words=words).run()
    found = sorted((f.data["word"], f.at) for f in result.of(Severity.SENSITIVE))
    assert found == [("Free", 7), ("ＶＩＰ", 3)]  # the text starts with the <p>'s line break


def test_overlapping_words_and_a_word_in_two_categories_are_all_found() -> None:
    words = WordList.build([WordEntry("敏感", "政治"), WordEntry("敏感词", "其他"),
                            WordEntry("敏感", "舆情")])
    result = Case("<p>敏感词</p>", words=words).run()
    assert sorted((f.data["word"], f.data["category"]) for f in result.of(Severity.SENSITIVE)) \
        == [("敏感", "政治"), ("敏感", "舆情"), ("敏感词", "其他")]


def test_every_occurrence_is_a_finding_and_entities_are_decoded() -> None:
    result = Case("<p>敏&#24863;与敏&#x611f;</p>").run()
    assert [f.at for f in result.of(Severity.SENSITIVE)] == [1, 4]


def test_hidden_text_and_attributes_are_not_read() -> None:
    body = '<p title="敏感">正文</p><style>.敏感{}</style><script>"敏感"</script>'
    assert not Case(body).run().sensitive


def test_a_pattern_not_tried_in_time_is_reported_not_passed() -> None:
    words = WordList.build([WordEntry("a", "x", pattern=True), WordEntry("b", "y", pattern=True)])
    ticks = iter([0.0, 0.0, 99.0])
    hits, unchecked = words.patterns_in("ab", now=lambda: next(ticks))
    assert [h.entry.text for h in hits] == ["a"]
    assert [(u.entry.text, u.reason) for u in unchecked] == [("b", "budget")]


def test_a_pattern_that_times_out_is_reported() -> None:
    words = WordList.build([WordEntry("(a|aa)+$", "x", pattern=True)])
    result = Case("<p>" + "a" * 60 + "!</p>", words=words).run()
    assert only(result, Code.PATTERN_UNCHECKED) == {"pattern": "(a|aa)+$", "category": "x",
                                                    "reason": "timeout"}


def test_an_empty_list_and_blank_words_find_nothing() -> None:
    assert not Case(words=WordList.build([])).run().sensitive
    assert len(WordList.build([WordEntry("  ", "x")])) == 0
    assert not Case(words=WordList.build([WordEntry("  ", "x")])).run().sensitive


# Warnings


def test_typography_says_what_to_write_and_where() -> None:
    body = "<p>我们用Python写代码,好</p>"
    result = Case(body).run()
    text = visible_text(body)
    spaces = [f for f in result.findings if f.code is Code.TYPOGRAPHY_SPACE]
    assert [(f.at, f.data) for f in spaces] == [(4, {"old": "", "new": " "}),
                                                (10, {"old": "", "new": " "})]
    assert text[4:10] == "Python"
    assert only(result, Code.TYPOGRAPHY_PUNCTUATION) == {"old": ",", "new": "，"}


def test_typography_finds_its_place_in_a_line_that_starts_with_blanks() -> None:
    result = Case("<p>   用Go写</p>").run()
    text = visible_text("<p>   用Go写</p>")
    places = [f.at or 0 for f in result.findings if f.code is Code.TYPOGRAPHY_SPACE]
    assert [text[at] for at in places] == ["G", "写"]


def test_code_is_not_prose() -> None:
    result = Case("<p>运行 <code>print(a,b)!!</code> 即可</p><pre>x=1,中文abc</pre>").run()
    assert codes(result) == set()


def test_repeated_punctuation_is_one_finding_per_run() -> None:
    result = p("真的吗？？？好。。").run()
    assert [f.data for f in result.findings if f.code is Code.REPEATED_PUNCTUATION] == [
        {"old": "？？？", "new": "？"}, {"old": "。。", "new": "。"}]


def test_a_deep_list_is_reported_once_where_it_starts() -> None:
    result = lists(5).run()
    assert only(result, Code.LIST_TOO_DEEP) == {"limit": 2}


def test_columns_count_colspans_and_unclosed_cells() -> None:
    result = Case("<table><tr><td colspan=3>合并</td><td>a<td>b</tr></table>").run()
    assert only(result, Code.TABLE_TOO_MANY_COLUMNS) == {"columns": 5, "limit": 4}


def test_a_colspan_that_is_no_number_counts_one() -> None:
    """"²" and "❷" are digits to str.isdigit() but not to int(): one column each."""
    result = Case('<table><tr><td colspan="²">a</td><td colspan="❷">b</td></tr></table>').run()
    assert Code.TABLE_TOO_MANY_COLUMNS not in codes(result)


def test_chinese_text_in_a_cell_breaks_anywhere() -> None:
    assert Code.TABLE_CELL_UNBROKEN not in codes(cells(2, text="很长的中文" * 10).run())
    unbroken = only(cells(1, text="编号 " + "9" * 25).run(), Code.TABLE_CELL_UNBROKEN)
    assert unbroken == {"text": "9" * 25, "length": 25, "limit": 20}


def test_a_skipped_heading_says_both_levels() -> None:
    assert only(CASES[Code.HEADING_SKIPPED][0].run(), Code.HEADING_SKIPPED) == {
        "before": 2, "level": 4}


# Facts


def facts(body: str) -> dict[Code, object]:
    return {f.code: next(iter(f.data.values())) for f in Case(body).run().of(Severity.FACT)}


def test_facts_count_what_a_reader_sees() -> None:
    body = (f'<p>你好 world，&amp;</p><img src="{UPLOADED}" alt="a"><img src="{UPLOADED}" alt="b">'
            '<p><a href="https://mp.weixin.qq.com/s/a">往期</a> https://mp.weixin.qq.com/s/a '
            'https://example.org/x.</p>')
    assert visible_length(body) == 61  # workflow.text's count, which 查看 shows
    assert facts(body) == {Code.CHARACTERS: 61, Code.READING_TIME: 1, Code.IMAGE_COUNT: 2,
                           Code.REFERENCE_COUNT: 2}


@pytest.mark.parametrize(("text", "minutes"), [
    ("", 0), ("字", 1), ("字" * 400, 1), ("字" * 401, 2), ("word " * 238, 1),
    ("word " * 239, 2), ("字" * 200 + " word" * 119, 1), ("字" * 200 + " word" * 120, 2),
])
def test_reading_time_is_400_chinese_characters_or_238_words_a_minute(text: str,
                                                                      minutes: int) -> None:
    assert facts(f"<p>{text}</p>")[Code.READING_TIME] == minutes


def test_findings_come_errors_first_then_in_the_order_of_the_text() -> None:
    body = '<p>你好,世界</p><p>敏感</p><p><a href="http://x.org">x</a></p>'
    result = Case(body, {"has_cover": False}).run()
    order = [f.severity for f in result.findings]
    assert order == sorted(order, key=list(Severity).index)
    warnings = [f.at or 0 for f in result.of(Severity.WARNING)]
    assert warnings == sorted(warnings)
    assert result.of(Severity.ERROR)[0].code is Code.COVER_MISSING  # a field: before places
