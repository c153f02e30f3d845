"""What the quarterly evaluation reads (workflow.ports.EvaluationRecords): the
audit trail, the reply queue, members' messages and suggestions; and the staff
survey's rounds and answers (migration 0025)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from storage.models import (
    AuditRow,
    ContentItemRow,
    InboundMessage,
    ProcessFeedback,
    ReplyTicket,
    Staff,
    StaffSurveyAnswerRow,
    StaffSurveyRound,
)
from workflow.evaluation_records import DueDraft, StaffSuggestion, Step, SurveyAnswer, TicketTimes
from workflow.recheck_record import Trail
from workflow.states import Event, State

#: The audit events that record a re-check (their moments are the trail's checks).
RECHECKS = (Event.RECHECK_OK.value, Event.FLAG_OUTDATED.value)


class SqlEvaluationRecords:
    def __init__(self, session: Session) -> None:
        self.session = session

    def item_steps(self, since: datetime, until: datetime) -> Sequence[Step]:
        a = AuditRow
        touched = select(a.item_id).where(a.item_id.is_not(None), a.at >= since,
                                          a.at < until).distinct()
        rows = self.session.execute(
            select(a.item_id, a.event, a.from_state, a.to_state, a.at, a.comment, a.result)
            .where(a.item_id.in_(touched)).order_by(a.item_id, a.id))
        return [Step(r.item_id, r.event, r.from_state, r.to_state, r.at, r.comment, r.result)
                for r in rows]

    def recheck_trails(self, until: datetime) -> Sequence[Trail]:
        i, a = ContentItemRow, AuditRow
        items = self.session.execute(
            select(i.id, i.topic, i.expires_on, i.published_at, i.state)
            .where(i.published_at.is_not(None), i.published_at < until).order_by(i.id)).all()
        checks: dict[int, list[datetime]] = {}
        left: dict[int, datetime] = {}
        rows = self.session.execute(
            select(a.item_id, a.event, a.from_state, a.to_state, a.at)
            .where(a.item_id.in_([r.id for r in items]), a.at < until, or_(
                a.event.in_(RECHECKS), a.from_state == State.PUBLISHED.value))
            .order_by(a.item_id, a.id))
        for r in rows:
            if r.event in RECHECKS:
                checks.setdefault(r.item_id, []).append(r.at)
            if r.from_state == State.PUBLISHED.value and r.to_state != State.PUBLISHED.value:
                left[r.item_id] = r.at
        return [Trail(r.id, r.topic or "", r.expires_on, r.published_at,
                      tuple(checks.get(r.id, ())),
                      left.get(r.id) if r.state != State.PUBLISHED.value else None)
                for r in items]

    def tickets(self, since: datetime, until: datetime) -> Sequence[TicketTimes]:
        t = ReplyTicket
        rows = self.session.execute(
            select(t.opened_at, t.first_response_at, t.resolved_at).where(or_(
                t.opened_at.between(since, until), t.first_response_at.between(since, until),
                t.resolved_at.between(since, until))).order_by(t.id))
        return [TicketTimes(r.opened_at, r.first_response_at, r.resolved_at) for r in rows]

    def due_drafts(self, first: date, last: date, until: datetime) -> Sequence[DueDraft]:
        i, a = ContentItemRow, AuditRow
        submitted = (select(func.min(a.at)).where(a.item_id == i.id, a.event == Event.SUBMIT.value,
                                                  a.at < until)
                     .correlate(i).scalar_subquery())
        rows = self.session.execute(
            select(i.id, i.due_on, submitted.label("submitted"))
            .where(i.due_on.between(first, last)).order_by(i.id))
        return [DueDraft(r.id, r.due_on, r.submitted) for r in rows]

    def staff_messages(self, since: datetime, until: datetime) -> int:
        m = InboundMessage
        return int(self.session.scalar(
            select(func.count()).select_from(m).where(
                m.msg_type == "text", m.received_at >= since, m.received_at < until,
                exists().where(Staff.openid == m.from_openid))) or 0)

    def suggestions(self, quarter: str) -> Sequence[StaffSuggestion]:
        f = ProcessFeedback
        rows = self.session.execute(
            select(func.coalesce(Staff.name, ""), f.content, f.created_at)
            .outerjoin(Staff, Staff.id == f.staff_id)
            .where(f.quarter == quarter).order_by(f.created_at, f.id))
        return [StaffSuggestion(name, text, at) for name, text, at in rows]

    def survey_asked(self, quarter: str) -> datetime | None:
        return self.session.scalar(select(StaffSurveyRound.asked_at)
                                   .where(StaffSurveyRound.quarter == quarter))

    def start_survey(self, quarter: str, staff_ids: Collection[int], now: datetime) -> bool:
        if self.survey_asked(quarter) is not None:
            return False
        self.session.add(StaffSurveyRound(quarter=quarter, asked_at=now))
        self.session.flush()  # a second worker's insert fails here, on the key
        self.session.add_all(StaffSurveyAnswerRow(quarter=quarter, staff_id=staff_id,
                                                  slowed="", change="", asked_at=now)
                             for staff_id in sorted(staff_ids))
        self.session.flush()
        return True

    def _answers(self, *where: object) -> list[SurveyAnswer]:
        s = StaffSurveyAnswerRow
        rows = self.session.execute(
            select(s.staff_id, Staff.name, s.quarter, s.asked_at, s.slowed, s.change, s.rating,
                   s.answered_at).join(Staff, Staff.id == s.staff_id)
            .where(*where).order_by(s.quarter.desc(), s.staff_id))  # type: ignore[arg-type]
        return [SurveyAnswer(*r) for r in rows]

    def survey_answers(self, quarter: str) -> Sequence[SurveyAnswer]:
        return self._answers(StaffSurveyAnswerRow.quarter == quarter)

    def open_answer(self, staff_id: int) -> SurveyAnswer | None:
        s = StaffSurveyAnswerRow
        newest = self.session.scalar(select(s.id).where(s.staff_id == staff_id)
                                     .order_by(s.quarter.desc()).limit(1).with_for_update())
        if newest is None:
            return None
        found = self._answers(s.id == newest)
        return found[0] if found else None

    def save_answer(self, answer: SurveyAnswer) -> None:
        s = StaffSurveyAnswerRow
        row = self.session.scalars(select(s).where(s.quarter == answer.quarter,
                                                   s.staff_id == answer.staff_id)).one()
        row.slowed, row.change, row.rating = answer.slowed, answer.change, answer.rating
        row.answered_at = answer.answered_at
        self.session.flush()
