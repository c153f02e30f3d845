"""The quarterly evaluation on a crafted history with known answers
(tests/integration/evaluation_history.py), on both engines: every figure of the
quarter and of the one before it, worked out by hand from the history's times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from bot import evaluation_page
from storage.uow import SqlUnitOfWork
from tests.integration.evaluation_history import MADE, QUARTER, TZ, seed
from workflow import evaluation
from workflow.evaluation import DueDrafts, Publishes, Rechecks, Spread, Stage
from workflow.model import AuditEntry
from workflow.recheck_record import Timeliness
from workflow.states import Event, State


def test_every_figure_of_the_quarter_and_the_one_before(engine: Engine) -> None:
    seed(engine)
    found = evaluation.make(SqlUnitOfWork(engine), QUARTER, MADE, TZ)
    now, before = found.current, found.previous
    assert (found.quarter.name, before.quarter.name, found.partial) == ("2025Q3", "2025Q2",
                                                                         False)

    # Lead times (hours): a stage counts in the quarter it ended.
    assert now.stages == {
        Stage.PLAN_SUBMIT: Spread(4, 36.0, 360.0),  # A 24, B 360 (planned in Q2), C 48, D 24
        Stage.SUBMIT_REVIEW: Spread(4, 5.0, 10.0),  # A 4, B 2 (sent back), C 6, D 10
        Stage.REVIEW_FINAL: Spread(3, 24.0, 71.0),  # A 24, B 71, C 18
        Stage.FINAL_PUBLISHED: Spread(3, 19.2, 22.0),  # A 19⅙, B 22, C 1 1/60
        Stage.PLAN_PUBLISHED: Spread(3, 73.0, 455.0),  # A 71⅙, B 455, C 73 1/60
    }
    assert before.stages == {
        Stage.PLAN_SUBMIT: Spread(2, 36.0, 48.0),  # E 24, H 48
        Stage.SUBMIT_REVIEW: Spread(2, 5.0, 8.0),  # E 2, H 8
        Stage.REVIEW_FINAL: Spread(2, 45.0, 48.0),  # E 48, H 42
        Stage.FINAL_PUBLISHED: Spread(1, 21.1, 21.1),  # H 21 1/12
        Stage.PLAN_PUBLISHED: Spread(1, 119.1, 119.1),  # H 119 1/12
    }

    # Send-backs and their reasons: 标题太长 is a title's (the first group found).
    assert (now.send_backs.count, now.send_backs.items, now.send_backs.reviewed,
            now.send_backs.share) == (3, 2, 4, 0.5)
    assert now.send_backs.by_stage == {"in_review": 2, "final_review": 1}
    assert now.send_backs.reasons == [("facts", 1), ("title", 1), ("typos", 1)]
    assert now.send_backs.examples == {"typos": ["有错别字"], "facts": ["数据来源不明"],
                                       "title": ["标题太长"]}
    assert (before.send_backs.count, before.send_backs.items, before.send_backs.reviewed,
            before.send_backs.reasons) == (1, 1, 2, [("images", 1)])

    # Timed publishes: A 10 minutes after its time, B an hour after, I 65 minutes
    # after (its timed start came late), E failed; C published at once.
    assert now.publishes == Publishes(on_time=1, late=2, failed=1, untimed=1)
    assert before.publishes == Publishes(on_time=1, late=0, failed=0, untimed=0)
    assert (now.published, before.published) == (4, 1)
    # Drafts by their due day: A on it, B a day late, G never; D's is in Q4.
    assert now.drafts == DueDrafts(on_time=1, late=1, missing=1)
    assert before.drafts == DueDrafts(on_time=0, late=1, missing=0)

    # Against the schedule (90 days): A re-checked on 30 Sep, due 2 Oct (published
    # 4 Jul); F due 30 May (published 1 Mar) and re-checked 10 Aug, late, then
    # flagged on 10 Sep, due 8 Nov; H due 5 Jul (published 6 Apr), never: missed
    # in Q3. In Q2 F's 30 May passed without a re-check.
    assert now.rechecks == Rechecks(ok=2, outdated=1, items=2,
                                    kept=Timeliness(on_time=2, late=1, missed=1))
    assert before.rechecks == Rechecks(ok=0, outdated=0, items=0,
                                       kept=Timeliness(on_time=0, late=0, missed=1))

    # The reply queue: first answers 30, 90 and 600 minutes (one opened in Q2);
    # resolved in 2, 24 and 12 hours; one opened late on 30 Sep unanswered.
    assert (now.queue.first_response, now.queue.resolution, now.queue.opened,
            now.queue.unanswered) == (Spread(3, 90.0, 600.0), Spread(3, 12.0, 24.0), 3, 1)
    assert (before.queue.first_response, before.queue.resolution, before.queue.opened,
            before.queue.unanswered) == (Spread(1, 10.0, 10.0), Spread(1, 24.0, 24.0), 2, 1)

    # Staff messages (texts only, members only) per item published.
    assert (now.staff_messages, now.messages_per_item) == (6, 1.5)
    assert (before.staff_messages, before.messages_per_item) == (3, 3.0)

    assert [s.text for s in now.suggestions] == ["终审通知能不能早一点", "发布时间希望固定",
                                                 "回复粉丝的模板太少", "希望多些团建"]
    assert now.suggestion_groups == [("other", 1), ("publishing", 1), ("queue", 1),
                                     ("review", 1)]
    assert before.suggestion_groups == [("notices", 1)]

    # The staff survey: three asked, two answered something, one rated.
    assert (now.survey.asked, now.survey.answered, now.survey.mean, now.survey.ratings) == (
        3, 2, 4.0, [(1, 0), (2, 0), (3, 0), (4, 1), (5, 0)])
    assert [(a.name, a.slowed, a.change) for a in now.survey.answers] == [
        ("李雷", "图片版权难查", ""), ("王芳", "终审等太久", "终审限时")]
    assert (before.survey.asked, before.survey.answered, before.survey.mean) == (2, 2, 2.5)


def test_the_page_shows_each_figure_beside_the_previous_quarter(engine: Engine) -> None:
    seed(engine)
    found = evaluation.make(SqlUnitOfWork(engine), QUARTER, MADE, TZ)
    html = evaluation_page.render(found, "助学公益", TZ)

    def row(key: str) -> str:
        start = html.index(f'data-figure="{key}"')
        return html[start:html.index("</tr>", start)]

    assert "<td class=\"num\" data-now>3</td><td class=\"num\" data-before>1</td>" in row(
        "send_backs")
    assert "data-now>50%</td><td class=\"num\" data-before>50%" in row("send_back_share")
    assert "data-now>36.0<" in row("stage_plan_submit_median")
    assert "data-now>1.5</td><td class=\"num\" data-before>3.0</td><td class=\"num change\">-1.5" \
        in row("messages_per_item")
    assert "data-now>4.00</td><td class=\"num\" data-before>2.50" in row("survey_mean")
    for chart in ("stages", "reasons", "publishes", "ratings"):
        assert f'data-chart="{chart}"' in html
    assert 'id="no-follower-surveys"' in html
    assert "终审等太久" in html and "回复粉丝的模板太少" in html and "数据来源不明" in html
    assert "<script" not in html


def test_a_schedules_time_is_kept_in_its_audit_row(engine: Engine) -> None:
    seeded = seed(engine)
    when = datetime(2025, 7, 20, 1, 0, tzinfo=UTC)
    with SqlUnitOfWork(engine) as uow:
        uow.audit.add(AuditEntry(seeded.items["G"], seeded.admin, "张敏", Event.SCHEDULE,
                                 State.APPROVED, State.SCHEDULED, 1, when - timedelta(days=1),
                                 result=when.isoformat()))
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        steps = uow.evaluation.item_steps(when - timedelta(days=2), when)
        latest = uow.audit.latest(seeded.items["G"])
    assert latest is not None and latest.result == when.isoformat()
    assert [s.result for s in steps if s.event == "schedule" and s.item_id == seeded.items["G"]
            ] == [when.isoformat()]
