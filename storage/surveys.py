"""Followers' answer sets to the surveys: ``workflow.ports.SurveyAnswers`` on a
connection (a push's own, inside its transaction, or the CLI's)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Select, insert, select, update

from storage.models import SurveyAnswerSetRow as Sets
from workflow.surveys import Answer, AnswerSet, SetState

_COLUMNS = (Sets.survey, Sets.state, Sets.answers, Sets.started_at, Sets.updated_at,
            Sets.ended_at)


class SqlSurveyAnswers:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def current(self, follower_id: int) -> AnswerSet | None:
        return self._first(select(*_COLUMNS).where(Sets.follower_id == follower_id,
                                                   Sets.state == SetState.STARTED.value)
                           .order_by(Sets.updated_at.desc()).limit(1))

    def of(self, survey: str, follower_id: int) -> AnswerSet | None:
        return self._first(select(*_COLUMNS).where(Sets.follower_id == follower_id,
                                                   Sets.survey == survey))

    def save(self, follower_id: int, answer_set: AnswerSet) -> None:
        values = {"state": answer_set.state.value, "question": answer_set.question,
                  "answers": [_stored(a) for a in answer_set.answers],
                  "started_at": answer_set.started_at, "updated_at": answer_set.updated_at,
                  "ended_at": answer_set.ended_at}
        done = self.conn.execute(update(Sets).where(Sets.survey == answer_set.survey,
                                                    Sets.follower_id == follower_id)
                                 .values(values))
        if done.rowcount == 0:
            self.conn.execute(insert(Sets).values(survey=answer_set.survey,
                                                  follower_id=follower_id, **values))

    def of_survey(self, survey: str, since: datetime | None = None,
                  until: datetime | None = None) -> Sequence[AnswerSet]:
        query = select(*_COLUMNS).where(Sets.survey == survey)
        if since is not None:
            query = query.where(Sets.updated_at >= since)
        if until is not None:
            query = query.where(Sets.updated_at < until)
        return [_answer_set(row) for row in self.conn.execute(query.order_by(Sets.id))]

    def surveys_moved(self, since: datetime, until: datetime) -> Sequence[str]:
        return list(self.conn.execute(
            select(Sets.survey).where(Sets.updated_at >= since, Sets.updated_at < until)
            .distinct().order_by(Sets.survey)).scalars())

    def _first(self, query: Select[Any]) -> AnswerSet | None:
        row = self.conn.execute(query).first()
        return None if row is None else _answer_set(row)


def _stored(answer: Answer) -> Any:
    return list(answer) if isinstance(answer, tuple) else answer


def _answer_set(row: Row[Any]) -> AnswerSet:
    answers = tuple(tuple(a) if isinstance(a, list) else a for a in row.answers)
    return AnswerSet(row.survey, SetState(row.state), answers, row.started_at, row.updated_at,
                     row.ended_at)
