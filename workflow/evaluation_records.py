"""What the quarterly evaluation (五) reads: the records behind its figures, as
the read port ``ports.EvaluationRecords`` gives them (storage/evaluation.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from workflow.survey_results import SurveyResults


@dataclass(frozen=True)
class Step:
    """One row of an item's audit trail."""

    item_id: int
    event: str
    from_state: str
    to_state: str
    at: datetime
    comment: str = ""
    result: str = ""  # a schedule's time (ISO), where the row recorded it


@dataclass(frozen=True)
class TicketTimes:
    opened_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None


@dataclass(frozen=True)
class DueDraft:
    """An item with a due day, and when it was first submitted (None: not yet)."""

    item_id: int
    due_on: date
    submitted_at: datetime | None


@dataclass(frozen=True)
class StaffSuggestion:
    name: str
    text: str
    at: datetime


@dataclass(frozen=True)
class SurveyAnswer:
    """One member's answers to the staff survey of a quarter ("" / None: not given)."""

    staff_id: int
    name: str
    quarter: str
    asked_at: datetime
    slowed: str = ""
    change: str = ""
    rating: int | None = None
    answered_at: datetime | None = None

    @property
    def answered(self) -> bool:
        return bool(self.slowed or self.change or self.rating is not None)

    @property
    def complete(self) -> bool:
        return bool(self.slowed and self.change and self.rating is not None)


@dataclass(frozen=True)
class FollowerSurvey:
    """A follower survey's results as the report shows them: its finished answer
    sets of the quarter (workflow.survey_results). ``questions``: each question's
    text, its choices with their counts (a 1–5 question: "1".."5"), and its
    free-text answers."""

    name: str
    respondents: int
    questions: tuple[tuple[str, tuple[tuple[str, int], ...], tuple[str, ...]], ...] = ()
    title: str = ""


def follower_survey(found: SurveyResults) -> FollowerSurvey:
    """What the report shows of a survey's results."""
    return FollowerSurvey(found.survey.name, found.finished,
                          tuple((q.question.text, q.counts, q.texts) for q in found.questions),
                          found.survey.title)

