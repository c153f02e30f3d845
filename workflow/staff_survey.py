"""The staff survey of the quarterly evaluation: a member's answers, one
question at a time (评估 …), and the question still open for them (我的). The
rounds are asked by the quarterly job (bot/evaluation.py); the answers go into
the evaluation as ``staff_survey`` sums them here."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum

from workflow import staffing
from workflow.errors import SurveyAnswerTooLong, SurveyDone, SurveyNotAsked, SurveyRating
from workflow.evaluation_records import SurveyAnswer
from workflow.model import ActionEntry, Context
from workflow.ports import UnitOfWork
from workflow.roles import Action, Actor


class Question(Enum):
    SLOWED = "slowed"
    CHANGE = "change"
    RATING = "rating"


QUESTIONS = (Question.SLOWED, Question.CHANGE, Question.RATING)
MAX_ANSWER = 1000
RATINGS = (1, 2, 3, 4, 5)


def next_question(answer: SurveyAnswer) -> Question | None:
    """The first question not answered yet (None: all are)."""
    if not answer.slowed:
        return Question.SLOWED
    if not answer.change:
        return Question.CHANGE
    if answer.rating is None:
        return Question.RATING
    return None


def rating_of(text: str) -> int | None:
    """A 1–5 rating as typed (``4``, ``4分``, ``４``); None when it is not one."""
    found = re.fullmatch(r"\s*([1-5])\s*(分|星)?\s*", text.translate(_FULL_WIDTH))
    return int(found.group(1)) if found else None


_FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


#: 我的 reminds a member of an open survey question this long after it was asked.
REMIND_DAYS = 31


def open_question(uow: UnitOfWork, actor: Actor, now: datetime) -> tuple[str, Question] | None:
    """我的: the quarter and question the member has yet to answer, of a survey
    asked of them in the last ``REMIND_DAYS`` (None: nothing open)."""
    with uow:
        found = uow.evaluation.open_answer(actor.id)
    if found is None or found.asked_at < now - timedelta(days=REMIND_DAYS):
        return None
    question = next_question(found)
    return None if question is None else (found.quarter, question)


@dataclass(frozen=True)
class Answered:
    """评估: the member's answers now, the question just answered (None: nothing
    was given, the reply asks ``next``) and the one to answer next (None: done)."""

    answer: SurveyAnswer
    answered: Question | None
    next: Question | None


def answer(uow: UnitOfWork, actor: Actor, text: str, ctx: Context) -> Answered:
    """Take ``text`` as the answer to the member's next open question of the newest
    staff survey they were asked; audited. Empty: only says which is next."""
    staffing.authorise(actor, Action.FEEDBACK)
    text = text.strip()
    with uow:
        found = uow.evaluation.open_answer(actor.id)
        if found is None:
            raise SurveyNotAsked()
        question = next_question(found)
        if not text:
            return Answered(found, None, question)
        if question is None:
            raise SurveyDone(found.quarter)
        if len(text) > MAX_ANSWER:
            raise SurveyAnswerTooLong(MAX_ANSWER)
        if question is Question.RATING:
            rating = rating_of(text)
            if rating is None:
                raise SurveyRating(text[:20])
            now = replace(found, rating=rating, answered_at=ctx.now)
        elif question is Question.SLOWED:
            now = replace(found, slowed=text, answered_at=ctx.now)
        else:
            now = replace(found, change=text, answered_at=ctx.now)
        uow.evaluation.save_answer(now)
        uow.audit.record(ActionEntry(f"survey:{found.quarter}", "survey_answer", actor.id,
                                     actor.name, ctx.now, result=question.value,
                                     comment=text, command=ctx.command))
        uow.commit()
    return Answered(now, question, next_question(now))


@dataclass(frozen=True)
class StaffSurvey:
    asked: int
    answers: list[SurveyAnswer]  # those who answered anything, by name

    @property
    def answered(self) -> int:
        return len(self.answers)

    @property
    def ratings(self) -> list[tuple[int, int]]:
        given = [a.rating for a in self.answers if a.rating is not None]
        return [(r, given.count(r)) for r in RATINGS]

    @property
    def rated(self) -> int:
        return sum(n for _, n in self.ratings)

    @property
    def mean(self) -> float | None:
        given = [a.rating for a in self.answers if a.rating is not None]
        return round(sum(given) / len(given), 2) if given else None


def staff_survey(answers: Sequence[SurveyAnswer]) -> StaffSurvey:
    return StaffSurvey(len(answers), sorted((a for a in answers if a.answered),
                                            key=lambda a: (a.name, a.staff_id)))
