"""The revision diff: Chinese compared by character, Latin by word, one edit one place."""

from __future__ import annotations

from datetime import UTC, datetime

from workflow.diffing import Change, compare, diff_texts, last_reviewed, tokens
from workflow.model import Review, ReviewDecision, ReviewStage

OLD = ("<p>冬季助学计划今年走进三所山区小学，为 300 名学生送去冬衣和文具。</p>"
       "<p>志愿者们在十二月出发。</p><p>不变的段落。</p><p>删掉的段落。</p>")
NEW = ("<section><p>冬季助学计划今年走进五所山区小学，为 520 名学生送去冬衣、图书和文具。</p>"
       "<p>志愿者们在十一月底出发，历时两周。</p><p>不变的段落。</p>"
       "<p>New paragraph with English words.</p></section>")


def test_tokens_are_chinese_characters_and_latin_words() -> None:
    assert tokens("为 300 名 students' co-op") == [
        "为", " ", "300", " ", "名", " ", "students", "'", " ", "co-op"]


def test_one_edit_is_one_place_and_characters_are_counted_without_blanks() -> None:
    diff = compare(OLD, NEW, since=2, revision=3)
    changes = [(p.change, p.text) for p in diff.pieces if p.change is not Change.SAME]
    assert changes == [
        (Change.REMOVED, "三"), (Change.ADDED, "五"), (Change.REMOVED, "300"),
        (Change.ADDED, "520"), (Change.ADDED, "、图书"), (Change.REMOVED, "二月出发"),
        (Change.ADDED, "一月底出发，历时两周"), (Change.REMOVED, "删掉的段落。"),
        (Change.ADDED, "New paragraph with English words.")]
    assert diff.summary() == {"revision": 3, "since": 2, "added": 1 + 3 + 3 + 10 + 29,
                              "removed": 1 + 3 + 4 + 6, "places": 5}


def test_paragraphs_list_only_those_that_changed() -> None:
    shown = compare(OLD, NEW, 2, 3).paragraphs()
    assert ["".join(p.text for p in para if p.change is not Change.ADDED) for para in shown] == [
        "冬季助学计划今年走进三所山区小学，为 300 名学生送去冬衣和文具。",
        "志愿者们在十二月出发。", "删掉的段落。"]


def test_the_same_text_in_other_markup_is_no_change() -> None:
    diff = compare("<p>一样的<b>文字</b></p>", "<section><p>一样的文字</p></section>", 1, 2)
    assert not diff.changed
    assert (diff.added, diff.removed, diff.paragraphs()) == (0, 0, [])


def test_from_nothing_everything_is_added() -> None:
    assert [(p.change, p.text) for p in diff_texts("", "全新\n正文")] == [
        (Change.ADDED, "全新\n正文")]


def test_last_reviewed_is_the_newest_reviewed_revision_before_this_one() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    reviews = [Review(1, 2, ReviewStage.FIRST, decision, revision, 1, "", at)
               for decision, revision in ((ReviewDecision.CHANGES_REQUESTED, 2),
                                          (ReviewDecision.APPROVED, 4),
                                          (ReviewDecision.CHANGES_REQUESTED, 3))]
    assert last_reviewed(reviews, 5) == 4
    assert last_reviewed(reviews, 4) == 3
    assert last_reviewed([], 4) is None
