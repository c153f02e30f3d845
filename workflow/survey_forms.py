"""Follower surveys as defined: one TOML file a survey (``WXOPS_SURVEYS_DIR``),
read by ``bot.surveys`` and checked here, strictly, into a ``Survey``.

Every problem is a ``FormProblem`` (a code and its data, the file and the
question it is in), so ``wxops survey check`` and the worker's log print one
line for each, and tests read the code. The limits keep every reply the survey
gives (the intro with the first question, a question with its options and a
hint) inside one passive reply (2,000 bytes; handlers/replies.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Any


class QuestionKind(StrEnum):
    SINGLE = "single"  # one option, by its number
    MULTIPLE = "multiple"  # several options: "1,3", "1 3", "1、3"
    RATING = "rating"  # 1 to 5
    TEXT = "text"  # free text, within limits


RATING_LOW, RATING_HIGH = 1, 5
MAX_OPTIONS = 9
MAX_OPTION_CHARS = 24
MAX_QUESTION_CHARS = 120
MAX_INTRO_CHARS = 200
MAX_TITLE_CHARS = 32
MAX_QUESTIONS = 30
MAX_TEXT_ANSWER = 500
DEFAULT_TEXT_ANSWER = 200
MAX_EXPIRY = timedelta(days=7)
MAX_KEYWORD_CHARS = 32  # handlers/surveys.py asks no longer text whether it is one
#: What a follower sends to leave a survey (normalised: see ``normalise``).
LEAVE_WORDS = ("退出",)
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


@dataclass(frozen=True)
class Question:
    kind: QuestionKind
    text: str
    options: tuple[str, ...] = ()
    min_choices: int = 1  # multiple choice
    max_choices: int = 0  # multiple choice (the number of options when not set)
    min_length: int = 1  # free text
    max_length: int = DEFAULT_TEXT_ANSWER  # free text


@dataclass(frozen=True)
class Survey:
    name: str
    title: str
    intro: str
    keywords: tuple[str, ...]  # normalised
    menu_keys: tuple[str, ...]
    expiry: timedelta  # an unfinished answer set ends this long after its last answer
    closes_at: datetime | None  # no new answer sets from then on
    questions: tuple[Question, ...]
    thanks: str = ""

    def is_open(self, now: datetime) -> bool:
        return self.closes_at is None or now < self.closes_at


@dataclass(frozen=True)
class FormProblem:
    """What is wrong in a survey file: ``question`` is 1-based (None: the file)."""

    file: str
    code: str
    question: int | None = None
    data: Mapping[str, Any] | None = None


class SurveyFormError(Exception):
    def __init__(self, problems: Sequence[FormProblem]) -> None:
        super().__init__("; ".join(f"{p.file}: {p.code}" for p in problems))
        self.problems = tuple(problems)


def normalise(text: str) -> str:
    """How a keyword and a follower's text are compared: NFKC (full-width
    letters and digits as ASCII), trimmed, lower case, inner blanks collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).split()).lower()


_TOP_KEYS = frozenset({"name", "title", "intro", "keywords", "menu_key", "menu_keys",
                       "expire_minutes", "expire_hours", "closes", "thanks", "questions"})
_QUESTION_KEYS = {
    QuestionKind.SINGLE: frozenset({"kind", "text", "options"}),
    QuestionKind.MULTIPLE: frozenset({"kind", "text", "options", "min_choices",
                                      "max_choices"}),
    QuestionKind.RATING: frozenset({"kind", "text"}),
    QuestionKind.TEXT: frozenset({"kind", "text", "min_length", "max_length"}),
}


class _Reader:
    """Collects every problem of one file before it is refused."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[FormProblem] = []

    def fail(self, code: str, question: int | None = None, **data: Any) -> None:
        self.problems.append(FormProblem(self.file, code, question, data))

    def text(self, table: Mapping[str, Any], key: str, most: int, question: int | None = None,
             required: bool = True) -> str:
        value = table.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.fail("missing" if value is None else "not_text", question, key=key)
            return ""
        if len(value.strip()) > most:
            self.fail("too_long", question, key=key, most=most, length=len(value.strip()))
        return value.strip()

    def number(self, table: Mapping[str, Any], key: str, default: int, low: int, high: int,
               question: int | None = None) -> int:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail("not_number", question, key=key)
            return default
        if not low <= value <= high:
            self.fail("out_of_range", question, key=key, value=value, low=low, high=high)
            return default
        return value

    def words(self, table: Mapping[str, Any], key: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip()
                                                  for v in value):
            self.fail("not_words", key=key)
            return ()
        return tuple(dict.fromkeys(v.strip() for v in value))


def read_form(file: str, stem: str, table: Mapping[str, Any], tz: tzinfo) -> Survey:
    """The survey a file's TOML table defines; ``SurveyFormError`` listing every
    problem otherwise. ``stem`` names it unless the file has a ``name``."""
    r = _Reader(file)
    for key in sorted(set(table) - _TOP_KEYS):
        r.fail("unknown_key", key=key)
    name = table.get("name", stem)
    if not isinstance(name, str) or not NAME.fullmatch(name):
        r.fail("bad_name", name=str(name))
    keywords = tuple(dict.fromkeys(normalise(w) for w in r.words(table, "keywords")))
    menu_keys = r.words(table, "menu_keys") + r.words(table, "menu_key")
    if not keywords and not menu_keys:
        r.fail("no_start")
    for word in keywords:
        if word in LEAVE_WORDS:
            r.fail("reserved_keyword", word=word)
        if len(word) > MAX_KEYWORD_CHARS:
            r.fail("too_long", key="keywords", most=MAX_KEYWORD_CHARS, length=len(word))
    survey = Survey(
        name=str(name), title=r.text(table, "title", MAX_TITLE_CHARS),
        intro=r.text(table, "intro", MAX_INTRO_CHARS, required=False),
        keywords=keywords, menu_keys=menu_keys, expiry=_expiry(r, table),
        closes_at=_closes(r, table.get("closes"), tz),
        questions=_questions(r, table.get("questions")),
        thanks=r.text(table, "thanks", MAX_INTRO_CHARS, required=False))
    if r.problems:
        raise SurveyFormError(r.problems)
    return survey


def _expiry(r: _Reader, table: Mapping[str, Any]) -> timedelta:
    minutes, hours = table.get("expire_minutes"), table.get("expire_hours")
    if minutes is not None and hours is not None:
        r.fail("two_expiries")
    if minutes is None and hours is None:
        r.fail("missing", key="expire_minutes")
        return MAX_EXPIRY
    key, value = ("expire_minutes", minutes) if minutes is not None else ("expire_hours", hours)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        r.fail("bad_expiry", key=key)
        return MAX_EXPIRY
    expiry = timedelta(minutes=value) if key == "expire_minutes" else timedelta(hours=value)
    if expiry > MAX_EXPIRY or expiry < timedelta(minutes=1):
        r.fail("bad_expiry", key=key)
    return expiry


def _closes(r: _Reader, value: Any, tz: tzinfo) -> datetime | None:
    """A date closes the survey at the end of that day (the account's time); a
    date and time without an offset is the account's time too."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=tz)
    if isinstance(value, date):
        return datetime.combine(value + timedelta(days=1), time(), tzinfo=tz)
    r.fail("bad_closes")
    return None


def _questions(r: _Reader, value: Any) -> tuple[Question, ...]:
    if not isinstance(value, list) or not value:
        r.fail("no_questions")
        return ()
    if len(value) > MAX_QUESTIONS:
        r.fail("too_many_questions", most=MAX_QUESTIONS)
    found = []
    for number, table in enumerate(value, start=1):
        if not isinstance(table, dict):
            r.fail("not_table", number)
            continue
        question = _question(r, number, table)
        if question is not None:
            found.append(question)
    return tuple(found)


def _question(r: _Reader, n: int, table: Mapping[str, Any]) -> Question | None:
    try:
        kind = QuestionKind(str(table.get("kind", "")))
    except ValueError:
        r.fail("unknown_kind", n, kind=str(table.get("kind", "")),
               kinds=[k.value for k in QuestionKind])
        return None
    for key in sorted(set(table) - _QUESTION_KEYS[kind]):
        r.fail("unknown_key", n, key=key)
    text = r.text(table, "text", MAX_QUESTION_CHARS, n)
    match kind:
        case QuestionKind.SINGLE | QuestionKind.MULTIPLE:
            return _choice(r, n, kind, text, table)
        case QuestionKind.RATING:
            return Question(kind, text)
        case QuestionKind.TEXT:
            low = r.number(table, "min_length", 1, 1, MAX_TEXT_ANSWER, n)
            high = r.number(table, "max_length", DEFAULT_TEXT_ANSWER, 1, MAX_TEXT_ANSWER, n)
            if low > high:
                r.fail("limits_crossed", n, low="min_length", high="max_length")
            return Question(kind, text, min_length=low, max_length=high)


def _choice(r: _Reader, n: int, kind: QuestionKind, text: str,
            table: Mapping[str, Any]) -> Question:
    options = table.get("options")
    if not isinstance(options, list) or not all(isinstance(o, str) and o.strip()
                                                for o in options):
        r.fail("bad_options", n)
        return Question(kind, text)
    cleaned = tuple(o.strip() for o in options)
    if not 2 <= len(cleaned) <= MAX_OPTIONS:
        r.fail("option_count", n, count=len(cleaned), most=MAX_OPTIONS)
    if len(set(cleaned)) != len(cleaned):
        r.fail("duplicate_option", n)
    for option in cleaned:
        if len(option) > MAX_OPTION_CHARS:
            r.fail("too_long", n, key="options", most=MAX_OPTION_CHARS, length=len(option))
    if kind is QuestionKind.SINGLE:
        return Question(kind, text, cleaned)
    low = r.number(table, "min_choices", 1, 1, MAX_OPTIONS, n)
    high = r.number(table, "max_choices", len(cleaned), 1, MAX_OPTIONS, n)
    if low > high:
        r.fail("limits_crossed", n, low="min_choices", high="max_choices")
    elif high > len(cleaned):
        r.fail("too_many_choices", n, most=high, count=len(cleaned))
    return Question(kind, text, cleaned, min_choices=low, max_choices=high)


@dataclass(frozen=True)
class SurveyBook:
    """The surveys loaded, and how a follower starts each."""

    surveys: tuple[Survey, ...] = ()

    def named(self, name: str) -> Survey | None:
        return next((s for s in self.surveys if s.name == name), None)

    def by_keyword(self, text: str) -> Survey | None:
        said = normalise(text)
        return next((s for s in self.surveys if said in s.keywords), None)

    def by_menu_key(self, key: str) -> Survey | None:
        return next((s for s in self.surveys if key in s.menu_keys), None)


def clashes(surveys: Sequence[tuple[str, Survey]]) -> list[FormProblem]:
    """Surveys that share a name, a keyword or a menu key: (file, survey) pairs,
    in the order read; each clash is the later file's problem."""
    problems: list[FormProblem] = []
    seen: dict[tuple[str, str], str] = {}
    for file, survey in surveys:
        marks = ([("name", survey.name)] + [("keyword", w) for w in survey.keywords]
                 + [("menu_key", k) for k in survey.menu_keys])
        for mark in marks:
            if mark in seen:
                problems.append(FormProblem(file, "clash", None,
                                            {"what": mark[0], "value": mark[1],
                                             "other": seen[mark]}))
            else:
                seen[mark] = file
    return problems
