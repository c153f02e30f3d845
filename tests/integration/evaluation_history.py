"""A crafted history for the quarterly evaluation, with KNOWN answers: items and
their audit trails, tickets, staff messages, suggestions and survey answers in
two quarters (``QUARTER`` and the one before it), every time chosen so each
figure can be worked out by hand. tests/integration/test_evaluation.py asserts
the figures; tests/browser/test_evaluation_page.py opens the page made of it.

Times are the account's (Asia/Shanghai). The quarter under test is 2025Q3 (its
previous 2025Q2): long over, so the history does not meet what other tests of a
shared database seed around today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from storage import staff
from storage.models import (
    AuditRow,
    ContentItemRow,
    Follower,
    InboundMessage,
    ProcessFeedback,
    ReplyTicket,
    StaffSurveyAnswerRow,
    StaffSurveyRound,
)
from workflow.quarters import Quarter, quarter_of
from workflow.roles import Role

TZ = ZoneInfo("Asia/Shanghai")
QUARTER = Quarter(2025, 3)
YEAR = QUARTER.year
#: When the evaluation is made: the quarter is over.
MADE = datetime(YEAR, 10, 10, 2, 0, tzinfo=UTC)


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A local time of the history's year, as UTC."""
    return datetime(YEAR, month, day, hour, minute, tzinfo=TZ).astimezone(UTC)


@dataclass(frozen=True)
class Seeded:
    wang: int  # creator
    li: int  # reviewer
    chen: int  # reviewer
    admin: int
    items: dict[str, int]


# Each item's trail: (event, from, to, when, comment).
Trail = list[tuple[str, str, str, datetime, str]]

TRAILS: dict[str, Trail] = {
    # 2025Q3 ------------------------------------------------------------------------
    "A": [("plan", "planned", "planned", at(7, 1), ""),
          ("start", "planned", "drafting", at(7, 1, 11), ""),
          ("submit", "drafting", "in_review", at(7, 2), ""),
          ("approve", "in_review", "final_review", at(7, 2, 14), ""),
          ("final_approve", "final_review", "approved", at(7, 3, 14), ""),
          ("schedule", "approved", "scheduled", at(7, 3, 15), ""),
          ("due", "scheduled", "publishing", at(7, 4, 9), ""),
          ("publish_succeeded", "publishing", "published", at(7, 4, 9, 10), ""),
          ("recheck_ok", "published", "published", at(9, 30), "")],
    "B": [("plan", "planned", "planned", at(6, 20), ""),
          ("submit", "drafting", "in_review", at(7, 5), ""),
          ("request_changes", "in_review", "changes_requested", at(7, 5, 12), "有错别字"),
          ("submit", "changes_requested", "in_review", at(7, 6), ""),
          ("approve", "in_review", "final_review", at(7, 6, 11), ""),
          ("request_changes", "final_review", "changes_requested", at(7, 6, 15),
           "数据来源不明"),
          ("submit", "changes_requested", "in_review", at(7, 7), ""),
          ("approve", "in_review", "final_review", at(7, 7, 11), ""),
          ("final_approve", "final_review", "approved", at(7, 8, 11), ""),
          ("schedule", "approved", "scheduled", at(7, 8, 12), ""),
          ("due", "scheduled", "publishing", at(7, 9, 8), ""),
          ("publish_succeeded", "publishing", "published", at(7, 9, 9), "")],
    "C": [("plan", "planned", "planned", at(8, 1), ""),
          ("submit", "drafting", "in_review", at(8, 3), ""),
          ("approve", "in_review", "final_review", at(8, 3, 16), ""),
          ("final_approve", "final_review", "approved", at(8, 4), ""),
          ("publish", "approved", "publishing", at(8, 4, 11), ""),
          ("publish_succeeded", "publishing", "published", at(8, 4, 11, 1), "")],
    "D": [("plan", "planned", "planned", at(9, 1), ""),
          ("submit", "drafting", "in_review", at(9, 2), ""),
          ("request_changes", "in_review", "changes_requested", at(9, 2, 20), "标题太长")],
    # Scheduled for 08:00; the timed start came at 09:00 (no worker ran): late.
    "I": [("schedule", "approved", "scheduled", at(8, 19), ""),
          ("due", "scheduled", "publishing", at(8, 20, 9), ""),
          ("publish_succeeded", "publishing", "published", at(8, 20, 9, 5), "")],
    "F": [("plan", "planned", "planned", at(2, 1), ""),
          ("publish_succeeded", "publishing", "published", at(3, 1), ""),
          ("recheck_ok", "published", "published", at(8, 10), "数据仍然准确"),
          ("flag_outdated", "published", "needs_update", at(9, 10), "电话换了")],
    "G": [("plan", "planned", "planned", at(9, 1, 9), "")],  # due Sep 25, never submitted
    # 2025Q2 (and E's timed publish failing in Q3) -----------------------------------------
    "E": [("plan", "planned", "planned", at(5, 1), ""),
          ("submit", "drafting", "in_review", at(5, 2), ""),
          ("approve", "in_review", "final_review", at(5, 2, 12), ""),
          ("final_approve", "final_review", "approved", at(5, 4, 12), ""),
          ("schedule", "approved", "scheduled", at(5, 5), ""),
          ("due", "scheduled", "publishing", at(9, 20), ""),
          ("publish_failed", "publishing", "publish_failed", at(9, 20, 10, 1), "")],
    "H": [("plan", "planned", "planned", at(4, 1), ""),
          ("submit", "drafting", "in_review", at(4, 3), ""),
          ("request_changes", "in_review", "changes_requested", at(4, 3, 18), "配图侵权"),
          ("submit", "changes_requested", "in_review", at(4, 4), ""),
          ("approve", "in_review", "final_review", at(4, 4, 12), ""),
          ("final_approve", "final_review", "approved", at(4, 5, 12), ""),
          ("schedule", "approved", "scheduled", at(4, 5, 13), ""),
          ("due", "scheduled", "publishing", at(4, 6, 9), ""),
          ("publish_succeeded", "publishing", "published", at(4, 6, 9, 5), "")],
}
DUE: dict[str, date] = {"A": date(YEAR, 7, 2), "B": date(YEAR, 7, 4),
                        "G": date(YEAR, 9, 25), "D": date(YEAR, 10, 5),
                        "H": date(YEAR, 4, 2)}
#: The time each schedule was for (the schedule's audit row records it).
SCHEDULED = {"A": at(7, 4, 9), "B": at(7, 9, 8), "I": at(8, 20, 8), "E": at(9, 20, 10),
             "H": at(4, 6, 9)}
STATES = {"A": "published", "B": "published", "C": "published", "D": "changes_requested",
          "E": "publish_failed", "F": "needs_update", "G": "planned", "H": "published",
          "I": "published"}
#: (opened, first answered, resolved)
TICKETS: list[tuple[datetime, datetime | None, datetime | None]] = [
    (at(7, 10), at(7, 10, 10, 30), at(7, 10, 12)),  # 30 min, 2 h
    (at(8, 1), at(8, 1, 11, 30), at(8, 2)),  # 90 min, 24 h
    (at(9, 30, 23), None, None),  # unanswered at the quarter's end
    (at(6, 30, 22), at(7, 1, 8), at(7, 1, 10)),  # opened in Q2; 600 min, 12 h in Q3
    (at(5, 10), at(5, 10, 10, 10), at(5, 11)),  # Q2: 10 min, 24 h
]
SUGGESTIONS = [("wang", "终审通知能不能早一点", at(7, 20)),
               ("li", "发布时间希望固定", at(8, 20)),
               ("chen", "回复粉丝的模板太少", at(9, 1)),
               ("wang", "希望多些团建", at(9, 2)),
               ("li", "通知太多了", at(5, 20))]  # Q2


def seed(engine: Engine) -> Seeded:
    """Write the history into an empty (or unrelated) database."""
    with Session(engine) as session:
        people = {name: staff.add_staff(session, label, frozenset({role}), at(1, 1),
                                        openid=f"o_eval_{name}")
                  for name, label, role in (("wang", "王芳", Role.CREATOR),
                                            ("li", "李雷", Role.REVIEWER),
                                            ("chen", "陈静", Role.REVIEWER),
                                            ("admin", "张敏", Role.ADMIN))}
        items: dict[str, int] = {}
        for key, trail in TRAILS.items():
            published = next((when for event, _, after, when, _ in trail
                              if after == "published"), None)
            row = ContentItemRow(title=f"稿件{key}", author_id=people["wang"].id,
                                 state=STATES[key], created_at=trail[0][3],
                                 updated_at=trail[-1][3], due_on=DUE.get(key),
                                 published_at=published)
            session.add(row)
            session.flush()
            items[key] = row.id
            session.add_all(AuditRow(item_id=row.id, subject=f"item:{row.id}",
                                     actor_id=people["li"].id, actor_name="李雷", event=event,
                                     from_state=before, to_state=after, revision=1,
                                     comment=comment, at=when,
                                     result=SCHEDULED[key].isoformat()
                                     if event == "schedule" else "")
                            for event, before, after, when, comment in trail)
        follower = Follower(openid="o_eval_follower")
        session.add(follower)
        session.flush()
        session.add_all(ReplyTicket(follower_id=follower.id,
                                    status="resolved" if resolved else "open",
                                    opened_at=opened, waiting_since=opened,
                                    first_response_at=answered, resolved_at=resolved)
                        for opened, answered, resolved in TICKETS)
        # Staff messages: six texts in Q3, three in Q2; neither a follower's text
        # nor a member's event counts.
        texts = [("wang", at(7, 1, 9)), ("wang", at(7, 15)), ("li", at(8, 1)),
                 ("li", at(8, 2)), ("chen", at(9, 1)), ("admin", at(9, 30, 23, 59)),
                 ("wang", at(4, 1)), ("li", at(5, 1)), ("chen", at(6, 1))]
        session.add_all(
            InboundMessage(dedupe_key=f"eval-{n}", from_openid=f"o_eval_{who}",
                           msg_type="text", create_time=int(when.timestamp()),
                           payload={}, received_at=when)
            for n, (who, when) in enumerate(texts))
        session.add(InboundMessage(dedupe_key="eval-follower", from_openid="o_eval_follower",
                                   msg_type="text", create_time=0, payload={},
                                   received_at=at(8, 5)))
        session.add(InboundMessage(dedupe_key="eval-event", from_openid="o_eval_wang",
                                   msg_type="event", event="CLICK", create_time=0, payload={},
                                   received_at=at(8, 5)))
        session.add_all(ProcessFeedback(staff_id=people[who].id, content=text,
                                        quarter=quarter_of(when.astimezone(TZ).date()).name,
                                        created_at=when)
                        for who, text, when in SUGGESTIONS)
        # The staff surveys: Q3's asked of three, Q2's of two.
        session.add_all([StaffSurveyRound(quarter=f"{YEAR}Q3", asked_at=at(10, 1)),
                         StaffSurveyRound(quarter=f"{YEAR}Q2", asked_at=at(7, 1))])
        session.flush()
        answers = [
            (f"{YEAR}Q3", "wang", "终审等太久", "终审限时", 4),
            (f"{YEAR}Q3", "li", "图片版权难查", "", None),
            (f"{YEAR}Q3", "chen", "", "", None),
            (f"{YEAR}Q2", "wang", "选题会太长", "少开会", 3),
            (f"{YEAR}Q2", "li", "", "", 2),
        ]
        session.add_all(StaffSurveyAnswerRow(
            quarter=quarter, staff_id=people[who].id, slowed=slowed, change=change,
            rating=rating, asked_at=at(10, 1) if quarter.endswith("3") else at(7, 1),
            answered_at=None if not (slowed or change or rating) else at(10, 2))
            for quarter, who, slowed, change, rating in answers)
        session.commit()
        return Seeded(people["wang"].id, people["li"].id, people["chen"].id,
                      people["admin"].id, items)
