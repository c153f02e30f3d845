"""Follower-survey use cases: load the follower's answer set, decide
(workflow.surveys), store. The follower routing calls ``begin`` and ``take``
inside the push's transaction (the inbound dedupe makes a WeChat retry run
neither twice); the CLI and the quarterly evaluation read ``results`` and
``period_results``."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from workflow import surveys
from workflow.ports import SurveyAnswers
from workflow.survey_forms import Survey, SurveyBook
from workflow.survey_results import SurveyResults, results
from workflow.surveys import SetState, SurveyReply


def begin(store: SurveyAnswers, survey: Survey, follower_id: int,
          now: datetime, book: SurveyBook) -> SurveyReply:
    """The follower sent a survey's keyword or clicked its menu. A set of
    another survey still started is ended first (expired if it was, otherwise
    abandoned): a follower answers one survey at a time."""
    current = store.current(follower_id)
    if current is not None and current.survey != survey.name:
        other = book.named(current.survey)
        ended = (SetState.EXPIRED if other is None or surveys.expired(other, current, now)
                 else SetState.ABANDONED)
        store.save(follower_id, replace(current, state=ended, ended_at=now))
    step = surveys.start(survey, store.of(survey.name, follower_id), now)
    if step.answer_set is not None:
        store.save(follower_id, step.answer_set)
    assert step.reply is not None
    return step.reply


def take(store: SurveyAnswers, book: SurveyBook, follower_id: int, text: str | None,
         now: datetime) -> SurveyReply | None:
    """A message from a follower with a set started: their answer (``text``; None
    for what is not text). None when the message is not the survey's: the set
    expired (now marked so), or its survey is no longer defined."""
    current = store.current(follower_id)
    if current is None:
        return None
    survey = book.named(current.survey)
    if survey is None:
        return None
    step = surveys.answer(survey, current, text, now)
    if step.answer_set is not None:
        store.save(follower_id, step.answer_set)
    return step.reply


def survey_results(store: SurveyAnswers, survey: Survey, now: datetime) -> SurveyResults:
    """Every answer set of ``survey`` so far (``wxops survey results``)."""
    return results(survey, store.of_survey(survey.name), now)


def period_results(store: SurveyAnswers, book: SurveyBook, since: datetime,
                   until: datetime) -> list[SurveyResults]:
    """For the quarterly evaluation: each defined survey with answer sets last
    moved in [since, until), counted from those sets only. A set still started
    at ``until`` but past its expiry counts as expired."""
    found = []
    for name in store.surveys_moved(since, until):
        survey = book.named(name)
        if survey is not None:
            found.append(results(survey, store.of_survey(name, since, until), until))
    return found
