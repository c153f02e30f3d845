"""Follower surveys, pure: the TOML form checked, the state machine of one
answer set (definition, answer set, input → new answer set, reply code and
data), and the results."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from handlers.surveys import render
from workflow import surveys
from workflow.survey_forms import (
    QuestionKind,
    Survey,
    SurveyBook,
    SurveyFormError,
    clashes,
    read_form,
)
from workflow.survey_results import results
from workflow.surveys import AnswerSet, ReplyCode, SetState, Step

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
EXAMPLE = Path(__file__).parents[2] / "deploy" / "surveys" / "reader.toml"

FORM = """
title = "读者调查"
intro = "共四题"
keywords = ["调查", "ＳＵＲＶＥＹ"]
menu_key = "SURVEY_READER"
expire_minutes = 30
closes = 2026-12-31

[[questions]]
kind = "single"
text = "多久看一次？"
options = ["每天", "每周", "偶尔", "第一次"]

[[questions]]
kind = "multiple"
text = "想看什么？"
options = ["活动", "故事", "政策", "指南"]
max_choices = 3

[[questions]]
kind = "rating"
text = "满意度？"

[[questions]]
kind = "text"
text = "想说的话？"
min_length = 2
max_length = 10
"""


def form(text: str = FORM, stem: str = "reader") -> Survey:
    return read_form(f"{stem}.toml", stem, tomllib.loads(text), TZ)


def problems(text: str) -> list[tuple[str, int | None, dict[str, Any]]]:
    with pytest.raises(SurveyFormError) as refused:
        form(text)
    return [(p.code, p.question, dict(p.data or {})) for p in refused.value.problems]


# --- the form ------------------------------------------------------------------------


def test_a_form_reads_into_a_survey() -> None:
    s = form()
    assert s.name == "reader" and s.title == "读者调查"
    assert s.keywords == ("调查", "survey")  # full-width letters as ASCII, lower case
    assert s.menu_keys == ("SURVEY_READER",)
    assert s.expiry == timedelta(minutes=30)
    # a date closes the survey at the end of that day, the account's time
    assert s.closes_at == datetime(2027, 1, 1, tzinfo=TZ)
    kinds = [q.kind for q in s.questions]
    assert kinds == [QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.RATING,
                     QuestionKind.TEXT]
    assert s.questions[1].max_choices == 3 and s.questions[1].min_choices == 1
    assert (s.questions[3].min_length, s.questions[3].max_length) == (2, 10)


def test_the_shipped_example_is_a_valid_survey() -> None:
    s = read_form(EXAMPLE.name, EXAMPLE.stem, tomllib.loads(EXAMPLE.read_text("utf-8")), TZ)
    assert s.name == "reader" and len(s.questions) == 5
    assert {q.kind for q in s.questions} == set(QuestionKind)


def test_a_name_key_names_the_survey_and_hours_set_the_expiry() -> None:
    s = form(FORM.replace("expire_minutes = 30", 'expire_hours = 2\nname = "q4-2026"'))
    assert s.name == "q4-2026" and s.expiry == timedelta(hours=2)


@pytest.mark.parametrize(("change", "expected"), [
    (("title = \"读者调查\"\n", ""), ("missing", None, {"key": "title"})),
    (("intro", "intra"), ("unknown_key", None, {"key": "intra"})),
    (('"ＳＵＲＶＥＹ"', f'"{"问" * 33}"'),
     ("too_long", None, {"key": "keywords", "most": 32, "length": 33})),
    (('keywords = ["调查", "ＳＵＲＶＥＹ"]\nmenu_key = "SURVEY_READER"\n', ""),
     ("no_start", None, {})),
    (('["调查", "ＳＵＲＶＥＹ"]', '["退出"]'), ("reserved_keyword", None, {"word": "退出"})),
    (("expire_minutes = 30", "expire_minutes = 0"),
     ("bad_expiry", None, {"key": "expire_minutes"})),
    (("expire_minutes = 30", "expire_minutes = 30\nexpire_hours = 1"),
     ("two_expiries", None, {})),
    (("closes = 2026-12-31", 'closes = "soon"'), ("bad_closes", None, {})),
    (('kind = "rating"', 'kind = "stars"'),
     ("unknown_kind", 3, {"kind": "stars", "kinds": ["single", "multiple", "rating", "text"]})),
    (('options = ["每天", "每周", "偶尔", "第一次"]', 'options = ["每天"]'),
     ("option_count", 1, {"count": 1, "most": 9})),
    (('options = ["每天", "每周", "偶尔", "第一次"]', 'options = ["每天", "每天"]'),
     ("duplicate_option", 1, {})),
    (("max_choices = 3", "max_choices = 5"), ("too_many_choices", 2, {"most": 5, "count": 4})),
    (("min_length = 2", "min_length = 20"),
     ("limits_crossed", 4, {"low": "min_length", "high": "max_length"})),
    (("max_length = 10", "max_length = 9999"),
     ("out_of_range", 4, {"key": "max_length", "value": 9999, "low": 1, "high": 500})),
    (('text = "满意度？"', 'text = "满意度？"\noptions = ["a", "b"]'),
     ("unknown_key", 3, {"key": "options"})),
    (('text = "想说的话？"', 'text = ""'), ("not_text", 4, {"key": "text"})),
])
def test_each_problem_names_the_question_and_what_is_wrong(
        change: tuple[str, str], expected: tuple[str, int | None, dict[str, Any]]) -> None:
    old, new = change
    assert old in FORM
    assert expected in problems(FORM.replace(old, new, 1))


def test_every_problem_of_a_file_is_reported_at_once() -> None:
    found = problems('title = ""\nkeywords = []\n')
    assert sorted(p[0] for p in found) == ["missing", "no_questions", "no_start", "not_text"]


def test_a_question_too_long_for_a_reply_is_refused() -> None:
    found = problems(FORM.replace('text = "满意度？"', f'text = "{"长" * 121}"'))
    assert ("too_long", 3, {"key": "text", "most": 120, "length": 121}) in found


def test_surveys_sharing_a_keyword_or_a_menu_key_clash() -> None:
    one, other = form(stem="one"), form(stem="two")
    found = clashes([("one.toml", one), ("two.toml", other)])
    assert [(p.file, p.code, p.data) for p in found] == [
        ("two.toml", "clash", {"what": "keyword", "value": "调查", "other": "one.toml"}),
        ("two.toml", "clash", {"what": "keyword", "value": "survey", "other": "one.toml"}),
        ("two.toml", "clash", {"what": "menu_key", "value": "SURVEY_READER",
                               "other": "one.toml"}),
    ]


def test_the_book_finds_a_survey_by_keyword_or_menu_key() -> None:
    book = SurveyBook((form(),))
    assert book.by_keyword("  调查 ") is not None
    assert book.by_keyword("Survey") is not None
    assert book.by_keyword("调查一下") is None
    assert book.by_menu_key("SURVEY_READER") is not None and book.by_menu_key("x") is None


# --- the state machine -----------------------------------------------------------------


def run(survey: Survey, answer_set: AnswerSet, said: str | None,
        now: datetime = NOW) -> tuple[AnswerSet, Step]:
    step = surveys.answer(survey, answer_set, said, now)
    return (step.answer_set or answer_set), step


def started(survey: Survey, now: datetime = NOW) -> AnswerSet:
    step = surveys.start(survey, None, now)
    assert step.answer_set is not None
    return step.answer_set


def test_a_survey_runs_to_the_end_with_each_kind_of_question() -> None:
    s = form()
    step = surveys.start(s, None, NOW)
    assert step.reply is not None and step.reply.code is ReplyCode.STARTED
    assert (step.reply.data["number"], step.reply.data["count"]) == (1, 4)
    assert step.answer_set == AnswerSet("reader", SetState.STARTED, (), NOW, NOW)
    a = step.answer_set
    later = NOW + timedelta(minutes=1)
    a, step = run(s, a, "2", later)
    assert step.reply is not None and step.reply.code is ReplyCode.NEXT
    assert step.reply.data["number"] == 2 and step.reply.data["question"] is s.questions[1]
    a, step = run(s, a, "1、3")
    a, step = run(s, a, "４")  # full-width
    a, step = run(s, a, "  很好的内容 ")
    assert step.reply is not None and step.reply.code is ReplyCode.FINISHED
    assert a.state is SetState.FINISHED and a.ended_at == NOW
    assert a.answers == (2, (1, 3), 4, "很好的内容")
    assert a.updated_at == NOW and a.started_at == NOW


@pytest.mark.parametrize("said", ["1,3", "1 3", "1、3", "1，3", "3 1", "1,3,3", "１、３"])
def test_multiple_choice_is_read_in_the_ways_people_write_it(said: str) -> None:
    s = form()
    a = replace(started(s), answers=(1,))
    a, _ = run(s, a, said)
    assert a.answers == (1, (1, 3))


@pytest.mark.parametrize(("index", "said", "why", "data"), [
    (0, "5", "single", {"options": 4}),
    (0, "每月", "single", {"options": 4}),
    (1, "1,2,3,4", "multiple", {"options": 4, "least": 1, "most": 3}),
    (1, "1,9", "multiple", {"options": 4, "least": 1, "most": 3}),
    (1, "13", "multiple", {"options": 4, "least": 1, "most": 3}),
    (2, "6", "rating", {"low": 1, "high": 5}),
    (0, "❶", "single", {"options": 4}),  # a digit to str.isdigit(), not to int()
    (1, "❶,❷", "multiple", {"options": 4, "least": 1, "most": 3}),
    (2, "❹", "rating", {"low": 1, "high": 5}),
    (2, "很好", "rating", {"low": 1, "high": 5}),
    (3, "好", "text", {"least": 2, "most": 10, "length": 1}),
    (3, "这是一段超过十个字的很长的回答", "text", {"least": 2, "most": 10, "length": 15}),
    (3, None, "not_text", {}),
])
def test_a_bad_answer_gets_the_question_again_with_why(
        index: int, said: str | None, why: str, data: dict[str, Any]) -> None:
    s = form()
    a = replace(started(s), answers=((1, (1,), 3)[:index]))
    after, step = run(s, a, said)
    assert step.answer_set is None and after == a  # nothing recorded
    assert step.reply is not None and step.reply.code is ReplyCode.ASK_AGAIN
    assert step.reply.data["why"] == why and step.reply.data["number"] == index + 1
    assert {k: step.reply.data[k] for k in data} == data


def test_a_choice_can_be_answered_by_its_text() -> None:
    s = form()
    a, _ = run(s, started(s), "偶尔")
    assert a.answers == (3,)


def test_leaving_abandons_the_set_and_keeps_what_was_answered() -> None:
    s = form()
    a, _ = run(s, started(s), "1")
    a, step = run(s, a, " 退出 ", NOW + timedelta(minutes=2))
    assert step.reply is not None and step.reply.code is ReplyCode.LEFT
    assert a.state is SetState.ABANDONED and a.answers == (1,)
    assert a.ended_at == NOW + timedelta(minutes=2)
    # a later message is no answer: the caller routes it as usual
    assert surveys.answer(s, a, "2", NOW + timedelta(minutes=3)) == Step(None, None)


def test_an_unfinished_set_expires_after_the_last_answer_plus_the_expiry() -> None:
    s = form()
    a, _ = run(s, started(s), "1", NOW + timedelta(minutes=20))
    just_before = NOW + timedelta(minutes=49, seconds=59)
    assert run(s, a, "2", just_before)[0].answers == (1, (2,))
    at_expiry = NOW + timedelta(minutes=50)
    step = surveys.answer(s, a, "2", at_expiry)
    assert step.reply is None  # not an answer: routed as if there were no survey
    assert step.answer_set == replace(a, state=SetState.EXPIRED, ended_at=at_expiry)


def test_one_answer_set_per_follower() -> None:
    s = form()
    done = AnswerSet("reader", SetState.FINISHED, (1, (1,), 3, "好的呀"), NOW, NOW, NOW)
    step = surveys.start(s, done, NOW + timedelta(days=1))
    assert step.answer_set is None
    assert step.reply is not None and step.reply.code is ReplyCode.ALREADY_DONE


@pytest.mark.parametrize("state", [SetState.ABANDONED, SetState.EXPIRED])
def test_an_abandoned_or_expired_set_starts_again_from_the_first_question(
        state: SetState) -> None:
    s = form()
    old = AnswerSet("reader", state, (1,), NOW, NOW, NOW)
    later = NOW + timedelta(hours=3)
    step = surveys.start(s, old, later)
    assert step.answer_set == AnswerSet("reader", SetState.STARTED, (), later, later)
    assert step.reply is not None and step.reply.code is ReplyCode.STARTED


def test_starting_again_while_in_it_repeats_the_question() -> None:
    s = form()
    a, _ = run(s, started(s), "1")
    step = surveys.start(s, a, NOW)
    assert step.answer_set is None
    assert step.reply is not None and step.reply.code is ReplyCode.REPEAT
    assert step.reply.data["number"] == 2
    # the keyword sent as an answer does the same
    step = surveys.answer(s, a, "调查", NOW)
    assert step.answer_set is None and step.reply is not None
    assert step.reply.code is ReplyCode.REPEAT


def test_a_closed_survey_takes_no_new_answer_set() -> None:
    s = form()
    step = surveys.start(s, None, datetime(2026, 12, 31, 16, 0, tzinfo=UTC))  # 1 Jan, 00:00
    assert step == Step(None, surveys.SurveyReply(ReplyCode.CLOSED, {"survey": s}))
    assert surveys.start(s, None, datetime(2026, 12, 31, 15, 59, tzinfo=UTC)).answer_set


def test_every_reply_renders_within_one_passive_reply() -> None:
    s = form()
    a = started(s)
    steps = [surveys.start(s, None, NOW), surveys.answer(s, a, "9", NOW),
             surveys.answer(s, a, "1", NOW), surveys.start(s, a, NOW),
             surveys.answer(s, a, "退出", NOW),
             surveys.answer(s, replace(a, answers=(1, (1,), 3)), "好的呀", NOW),
             surveys.start(s, replace(a, state=SetState.FINISHED), NOW)]
    for step in steps:
        assert step.reply is not None
        text = render(step.reply).text
        assert text and len(text.encode()) < 2000
    # a question lists its options by number
    assert "1. 每天" in render(steps[0].reply).text  # type: ignore[arg-type]


# --- results -----------------------------------------------------------------------------


def test_results_count_choices_ratings_and_list_texts_of_finished_sets() -> None:
    s = form()

    def answered(*answers: Any, state: SetState = SetState.FINISHED) -> AnswerSet:
        return AnswerSet("reader", state, answers, NOW, NOW)

    sets = [answered(1, (1, 3), 5, "很好很好"), answered(2, (3,), 4, "多发活动"),
            answered(1, (1, 2, 3), 2, "一般般"),
            answered(4, state=SetState.ABANDONED), answered(state=SetState.EXPIRED),
            answered(3, state=SetState.STARTED)]
    found = results(s, sets, NOW + timedelta(minutes=5))
    assert (found.finished, found.abandoned, found.expired, found.in_progress) == (3, 1, 1, 1)
    single, multiple, rating, text = found.questions
    assert single.counts == (("每天", 2), ("每周", 1), ("偶尔", 0), ("第一次", 0))
    assert multiple.counts == (("活动", 2), ("故事", 1), ("政策", 3), ("指南", 0))
    assert rating.counts == (("1", 0), ("2", 1), ("3", 0), ("4", 1), ("5", 1))
    assert rating.mean == pytest.approx(3.67)
    assert text.texts == ("很好很好", "多发活动", "一般般")
    assert [q.answered for q in found.questions] == [3, 3, 3, 3]


def test_a_started_set_past_its_expiry_counts_as_expired() -> None:
    s = form()
    sets = [AnswerSet("reader", SetState.STARTED, (1,), NOW, NOW)]
    assert results(s, sets, NOW + timedelta(minutes=29)).in_progress == 1
    assert results(s, sets, NOW + timedelta(minutes=30)).expired == 1


def test_results_without_answers() -> None:
    found = results(form(), [])
    assert found.started == 0 and found.questions[2].mean is None


# --- the demo ----------------------------------------------------------------------------


def test_the_demo_runs_the_example_survey_unless_the_account_has_its_own(
        tmp_path: Path) -> None:
    from bot import demo
    from bot import surveys as survey_files
    from bot.config import load_settings

    given = demo.example_surveys(str(tmp_path / "none"))
    assert given == {"WXOPS_SURVEYS_DIR": str(EXAMPLE.parent)}
    assert demo.example_surveys(str(tmp_path)) == {}
    loaded = survey_files.load(load_settings(given))
    assert loaded.problems == () and [s.name for s in loaded.book.surveys] == ["reader"]
