"""A survey's results from its answer sets: pure. Finished sets are counted
answer by answer; abandoned, expired and unfinished sets only as numbers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from workflow.survey_forms import RATING_HIGH, RATING_LOW, Question, QuestionKind, Survey
from workflow.surveys import AnswerSet, SetState


@dataclass(frozen=True)
class QuestionResult:
    number: int  # 1-based
    question: Question
    answered: int  # finished sets that answered it
    #: single and multiple choice: (option, times chosen), in the file's order;
    #: a rating: (1..5 as text, times given)
    counts: tuple[tuple[str, int], ...] = ()
    mean: float | None = None  # a rating's mean; None without answers
    texts: tuple[str, ...] = ()  # free-text answers, oldest first


@dataclass(frozen=True)
class SurveyResults:
    survey: Survey
    finished: int
    abandoned: int
    expired: int
    in_progress: int
    questions: tuple[QuestionResult, ...]

    @property
    def started(self) -> int:
        return self.finished + self.abandoned + self.expired + self.in_progress


def results(survey: Survey, sets: Iterable[AnswerSet],
            now: datetime | None = None) -> SurveyResults:
    """The results of ``sets`` (this survey's, oldest first). With ``now``, a set
    still marked started but past the survey's expiry counts as expired."""
    by_state = dict.fromkeys(SetState, 0)
    finished: list[AnswerSet] = []
    for s in sets:
        state = s.state
        if state is SetState.STARTED and now is not None and now >= s.updated_at + survey.expiry:
            state = SetState.EXPIRED
        by_state[state] += 1
        if state is SetState.FINISHED:
            finished.append(s)
    questions = tuple(_question(n, q, [s.answers[n - 1] for s in finished
                                       if len(s.answers) >= n])
                      for n, q in enumerate(survey.questions, start=1))
    return SurveyResults(survey, by_state[SetState.FINISHED], by_state[SetState.ABANDONED],
                         by_state[SetState.EXPIRED], by_state[SetState.STARTED], questions)


def _question(number: int, question: Question, answers: list[object]) -> QuestionResult:
    match question.kind:
        case QuestionKind.SINGLE | QuestionKind.MULTIPLE:
            chosen = [n for a in answers for n in (a if isinstance(a, tuple | list) else (a,))]
            counts = tuple((o, chosen.count(i)) for i, o in enumerate(question.options, start=1))
            return QuestionResult(number, question, len(answers), counts)
        case QuestionKind.RATING:
            given = [a for a in answers if isinstance(a, int)]
            counts = tuple((str(r), given.count(r)) for r in range(RATING_LOW, RATING_HIGH + 1))
            mean = round(sum(given) / len(given), 2) if given else None
            return QuestionResult(number, question, len(answers), counts, mean)
        case QuestionKind.TEXT:
            return QuestionResult(number, question, len(answers),
                                  texts=tuple(str(a) for a in answers))
