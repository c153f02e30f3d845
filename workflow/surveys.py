"""A follower's answer set, question by question: a pure state machine.

``start`` and ``answer`` take the survey, the follower's answer set as stored
(or None) and what they did, and return a ``Step``: the answer set to store
(None: nothing changes) and the reply, a code and its data
(handlers/templates/survey.j2 words it). The caller stores and replies.

States: started → finished (the last answer), abandoned (退出), expired (no
answer for the survey's expiry; found so on the follower's next message, which
is then routed as if there were no survey). One answer set per follower and
survey: a finished one is final; an abandoned or expired one may be started
again, from the first question. The partial answers of an abandoned or
expired set stay in its row until then, but results count finished sets only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from workflow.survey_forms import (
    LEAVE_WORDS,
    RATING_HIGH,
    RATING_LOW,
    Question,
    QuestionKind,
    Survey,
    normalise,
)

#: One answer: an option's number (single choice), option numbers in order
#: (multiple), a rating, or a text.
Answer = int | tuple[int, ...] | str


class SetState(StrEnum):
    STARTED = "started"
    FINISHED = "finished"
    ABANDONED = "abandoned"
    EXPIRED = "expired"


@dataclass(frozen=True)
class AnswerSet:
    survey: str
    state: SetState
    answers: tuple[Answer, ...]  # one per question answered, in order
    started_at: datetime
    updated_at: datetime  # the last answer (or the start)
    ended_at: datetime | None = None

    @property
    def question(self) -> int:
        """The 0-based number of the question waiting for an answer."""
        return len(self.answers)


class ReplyCode(StrEnum):
    STARTED = "started"  # the intro and question 1
    NEXT = "next"  # the next question
    ASK_AGAIN = "ask_again"  # the same question, with why the answer did not fit
    REPEAT = "repeat"  # the survey's keyword again while in it: the question again
    FINISHED = "finished"  # the thank-you
    LEFT = "left"  # 退出
    ALREADY_DONE = "already_done"  # started again after finishing
    CLOSED = "closed"  # past its closing date


@dataclass(frozen=True)
class SurveyReply:
    code: ReplyCode
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    answer_set: AnswerSet | None  # to store; None: nothing changes
    reply: SurveyReply | None  # None: not the survey's: route the message as usual


def expired(survey: Survey, answer_set: AnswerSet, now: datetime) -> bool:
    return (answer_set.state is SetState.STARTED
            and now >= answer_set.updated_at + survey.expiry)


def start(survey: Survey, existing: AnswerSet | None, now: datetime) -> Step:
    """The follower sent the survey's keyword or clicked its menu."""
    if existing is not None and existing.state is SetState.FINISHED:
        return Step(None, SurveyReply(ReplyCode.ALREADY_DONE, {"survey": survey}))
    if existing is not None and existing.state is SetState.STARTED \
            and not expired(survey, existing, now):
        return Step(None, _asking(ReplyCode.REPEAT, survey, existing.question))
    if not survey.is_open(now):
        return Step(None, SurveyReply(ReplyCode.CLOSED, {"survey": survey}))
    fresh = AnswerSet(survey.name, SetState.STARTED, (), now, now)
    return Step(fresh, _asking(ReplyCode.STARTED, survey, 0))


def answer(survey: Survey, current: AnswerSet, text: str | None, now: datetime) -> Step:
    """The follower, in the survey, sent ``text`` (None: something that is not
    text, such as an image or a voice message)."""
    if current.state is not SetState.STARTED:
        return Step(None, None)
    if expired(survey, current, now):
        return Step(replace(current, state=SetState.EXPIRED, ended_at=now), None)
    said = normalise(text) if text is not None else None
    if said in LEAVE_WORDS:
        return Step(replace(current, state=SetState.ABANDONED, updated_at=now, ended_at=now),
                    SurveyReply(ReplyCode.LEFT, {"survey": survey}))
    if said is not None and said in survey.keywords:
        return Step(None, _asking(ReplyCode.REPEAT, survey, current.question))
    question = survey.questions[current.question]
    parsed = read_answer(question, text)
    if isinstance(parsed, Misfit):
        return Step(None, _asking(ReplyCode.ASK_AGAIN, survey, current.question,
                                  why=parsed.code, **parsed.data))
    answered = replace(current, answers=(*current.answers, parsed), updated_at=now)
    if answered.question == len(survey.questions):
        return Step(replace(answered, state=SetState.FINISHED, ended_at=now),
                    SurveyReply(ReplyCode.FINISHED, {"survey": survey}))
    return Step(answered, _asking(ReplyCode.NEXT, survey, answered.question))


def _asking(code: ReplyCode, survey: Survey, index: int, **more: Any) -> SurveyReply:
    return SurveyReply(code, {"survey": survey, "question": survey.questions[index],
                              "number": index + 1, "count": len(survey.questions), **more})


@dataclass(frozen=True)
class Misfit:
    """Why an answer does not fit its question: a code and its data."""

    code: str
    data: Mapping[str, Any] = field(default_factory=dict)


_SEPARATORS = re.compile(r"[\s,，、;；/]+")


def read_answer(question: Question, text: str | None) -> Answer | Misfit:
    """The answer ``text`` gives ``question``, or why it gives none."""
    if text is None:
        return Misfit("not_text")
    said = normalise(text)
    match question.kind:
        case QuestionKind.SINGLE:
            return _single(question, said)
        case QuestionKind.MULTIPLE:
            return _multiple(question, said)
        case QuestionKind.RATING:
            return _rating(said)
        case QuestionKind.TEXT:
            return _free_text(question, text)


def _single(question: Question, said: str) -> int | Misfit:
    count = len(question.options)
    by_text = [i for i, o in enumerate(question.options, start=1) if normalise(o) == said]
    if by_text:
        return by_text[0]
    if said.isdecimal() and 1 <= int(said) <= count:
        return int(said)
    return Misfit("single", {"options": count})


def _multiple(question: Question, said: str) -> tuple[int, ...] | Misfit:
    count = len(question.options)
    misfit = Misfit("multiple", {"options": count, "least": question.min_choices,
                                 "most": question.max_choices})
    parts = [p for p in _SEPARATORS.split(said) if p]
    if not parts or not all(p.isdecimal() and 1 <= int(p) <= count for p in parts):
        return misfit
    chosen = tuple(sorted({int(p) for p in parts}))
    if not question.min_choices <= len(chosen) <= question.max_choices:
        return misfit
    return chosen


def _rating(said: str) -> int | Misfit:
    digits = said.removesuffix("分").removesuffix("星").strip()
    if digits.isdecimal() and RATING_LOW <= int(digits) <= RATING_HIGH:
        return int(digits)
    return Misfit("rating", {"low": RATING_LOW, "high": RATING_HIGH})


def _free_text(question: Question, text: str) -> str | Misfit:
    kept = text.strip()
    if not question.min_length <= len(kept) <= question.max_length:
        return Misfit("text", {"least": question.min_length, "most": question.max_length,
                               "length": len(kept)})
    return kept
