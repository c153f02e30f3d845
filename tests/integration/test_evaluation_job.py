"""The quarterly job and the staff survey on both engines: once a quarter is over
the survey is asked of every member (a notice each), answered in chat with 评估
one question at a time, and the evaluation made and sent to the admins once —
after the waiting days, or as soon as everyone has answered; an answer given
after it was made shows when it is made again. And ``wxops evaluation``'s
answers and refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from werkzeug.test import Client, TestResponse

from bot import evaluation
from bot.config import load_settings
from bot.web import create_app
from bot.wiring import App
from handlers import texts
from storage import staff
from storage.models import Follower, OutboxMessage, ReportRow, SurveyAnswerSetRow
from tests.integration.clirun import Wxops
from tests.integration.commanding import Team, ask, make_team, refusal
from workflow.quarters import Next, Quarter
from workflow.roles import Role

PUBLIC = "https://wx.example.org"
SETTINGS = {"WXOPS_PUBLIC_URL": PUBLIC, "WXOPS_APP_ID": "wx1", "WXOPS_APP_SECRET": "s3cret",
            "WXOPS_TOKEN": "tok123", "WXOPS_ACCOUNT_NAME": "助学公益"}
Q4 = Quarter(2026, 4)
NEW_YEAR = datetime(2027, 1, 1, 2, 0, tzinfo=UTC)  # 10:00 on 1 January in Shanghai


@pytest.fixture
def team(engine: Engine) -> Team:
    return make_team(engine)


@pytest.fixture
def app(engine: Engine, tmp_path: Path) -> App:
    return App(settings=load_settings({**SETTINGS, "WXOPS_REPORTS_DIR": str(tmp_path)}),
               engine=engine)


def _notices(engine: Engine, template: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        payloads = conn.execute(select(OutboxMessage.payload)
                                .where(OutboxMessage.kind == "notify")
                                .order_by(OutboxMessage.id)).scalars().all()
    return [p for p in payloads if p["template"] == template]


def _answer_all(engine: Engine, who: int, when: datetime) -> None:
    for text in ("终审等太久", "终审限时", "4"):
        ask(engine, who, f"评估 {text}", when)


def test_the_survey_is_asked_answered_and_the_evaluation_sent_once(
        app: App, engine: Engine, team: Team) -> None:
    # Before the quarter is over nothing happens; Q3 ended too long ago to ask about.
    assert evaluation.run_quarterly(app, NEW_YEAR - timedelta(hours=12)) is Next.NOTHING
    assert _notices(engine, "evaluation_survey") == []

    assert evaluation.run_quarterly(app, NEW_YEAR) is Next.ASK
    asked = _notices(engine, "evaluation_survey")
    assert sorted(p["staff_id"] for p in asked) == sorted(
        [team.admin, team.admin2, team.wang, team.li, team.chen, team.zhou])
    assert asked[0]["context"] == {"quarter": "2026Q4", "days": 3}
    assert "评估" in texts.render("notify/evaluation_survey", **asked[0]["context"])
    assert evaluation.run_quarterly(app, NEW_YEAR + timedelta(hours=1)) is Next.NOTHING
    assert len(_notices(engine, "evaluation_survey")) == 6  # asked once

    # 我的 reminds of the open question; 评估 answers one question at a time, in
    # order; the rating is 1–5.
    later = NEW_YEAR + timedelta(hours=2)
    todo = ask(engine, team.zhou, "我的", later)
    assert todo.context["survey"] == ("2026Q4", "slowed")
    assert "评估" in todo.render()
    first = ask(engine, team.wang, "评估 终审等太久", later)
    assert (first.template, first.context["answered"], first.context["next"]) == (
        "survey", "slowed", "change")
    assert ask(engine, team.wang, "评估", later).context["next"] == "change"  # asks again
    assert ask(engine, team.wang, "评估 终审限时", later).context["next"] == "rating"
    wrong = refusal(engine, team.wang, "评估 六", later)
    assert (wrong.code, getattr(wrong, "given", None)) == ("survey_rating", "六")
    done = ask(engine, team.wang, "评估 ４分", later)  # a full-width digit, with 分
    assert (done.context["answered"], done.context["next"]) == ("rating", None)
    assert ask(engine, team.wang, "我的", later).context["survey"] is None
    assert (refusal(engine, team.wang, "评估 再说一句", later).code,
            getattr(refusal(engine, team.wang, "评估 再说一句", later), "quarter", None)) == (
        "survey_done", "2026Q4")
    with Session(engine) as session:
        newcomer = staff.add_staff(session, "孙新", frozenset({Role.CREATOR}), later,
                                   openid="o_new").id
        session.commit()
    assert refusal(engine, newcomer, "评估 太慢", later).code == "survey_not_asked"

    # Not everyone answered: the evaluation waits the three days.
    assert evaluation.run_quarterly(app, NEW_YEAR + timedelta(days=2)) is Next.NOTHING
    assert evaluation.run_quarterly(app, NEW_YEAR + timedelta(days=3)) is Next.MAKE
    sent = _notices(engine, "evaluation_ready")
    assert sorted(p["staff_id"] for p in sent) == sorted([team.admin, team.admin2])
    context = sent[0]["context"]
    assert (context["quarter"], context["answered"], context["asked"]) == ("2026Q4", 1, 6)
    assert context["url"].startswith(f"{PUBLIC}/report/")
    assert context["url"] in texts.render("notify/evaluation_ready", **context)
    assert evaluation.run_quarterly(app, NEW_YEAR + timedelta(days=3, hours=1)) is Next.NOTHING
    assert len(_notices(engine, "evaluation_ready")) == 2  # sent once

    # The link opens the page; the survey's answers are on it.
    page = _open(app, context["url"], NEW_YEAR + timedelta(days=3, hours=2))
    assert page.status_code == 200
    assert "终审等太久" in page.text and "图片难找" not in page.text

    # An answer after the evaluation was made is kept, and shown when it is made again
    # (the same report: the link already sent opens the new page).
    ask(engine, team.li, "评估 图片难找", NEW_YEAR + timedelta(days=4))
    again = evaluation.make(app, Q4, NEW_YEAR + timedelta(days=4))
    assert again.evaluation.current.survey.answered == 2
    assert _open(app, context["url"], NEW_YEAR + timedelta(days=4, hours=1)).text.count(
        "图片难找") == 1
    with engine.connect() as conn:
        kept = [tuple(r) for r in conn.execute(select(ReportRow.kind, ReportRow.first_day))]
    assert kept == [("quarter", Q4.first)]


def test_the_evaluation_is_sent_as_soon_as_everyone_has_answered(
        app: App, engine: Engine, team: Team) -> None:
    assert evaluation.run_quarterly(app, NEW_YEAR) is Next.ASK
    for who in (team.admin, team.admin2, team.wang, team.li, team.chen):
        _answer_all(engine, who, NEW_YEAR + timedelta(hours=1))
    assert evaluation.run_quarterly(app, NEW_YEAR + timedelta(hours=2)) is Next.NOTHING
    _answer_all(engine, team.zhou, NEW_YEAR + timedelta(hours=2))
    assert evaluation.run_quarterly(app, NEW_YEAR + timedelta(hours=3)) is Next.MAKE
    found = _notices(engine, "evaluation_ready")[0]["context"]
    assert (found["answered"], found["asked"]) == (6, 6)


def test_wxops_evaluation_makes_the_page_and_refuses_a_bad_quarter(
        wxops: Wxops, tmp_path: Path) -> None:
    out = tmp_path / "q.html"
    made = wxops("evaluation", "--quarter", "2026Q3", "--out", str(out))
    assert made.status == 0, made.err
    assert "2026Q3" in made.out and out.is_file()
    assert "<svg" not in out.read_text(encoding="utf-8")  # no data: no chart, said so
    assert 'data-empty="stages"' in out.read_text(encoding="utf-8")
    for given, why in (("2026Q5", "malformed"), ("26Q1", "malformed"), ("2099Q1", "future")):
        refused = wxops("evaluation", "--quarter", given)
        assert refused.status == 1 and refused.failure is not None
        assert (refused.failure.code, refused.failure.data) == (
            "evaluation_quarter", {"why": why, "given": given})
        assert len(refused.err.strip().splitlines()) == 1


def test_only_the_leading_worker_runs_the_quarterly_job(
        engine: Engine, team: Team, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot import worker

    settings = load_settings({**SETTINGS, "WXOPS_REPORTS_DIR": str(tmp_path)})
    leader, other = (worker.Jobs(App(settings=settings, engine=engine), name)
                     for name in ("w1", "w2"))
    try:
        monkeypatch.setattr(leader, "clock", lambda: NEW_YEAR - timedelta(hours=12))
        leader.quarterly_evaluation()  # takes the lead; nothing to do on 31 December
        monkeypatch.setattr(leader, "clock", lambda: NEW_YEAR)
        monkeypatch.setattr(other, "clock", lambda: NEW_YEAR)
        other.quarterly_evaluation()  # not the leader: does nothing
        assert _notices(engine, "evaluation_survey") == []
        leader.quarterly_evaluation()
        assert len(_notices(engine, "evaluation_survey")) == 6
    finally:
        leader.leader.release()
        other.leader.release()


def test_the_follower_surveys_of_the_quarter_are_in_it(engine: Engine, tmp_path: Path) -> None:
    """Answer sets finished in the quarter are counted (the shipped example
    survey); one finished before it and one abandoned in it are not."""
    surveys = Path(__file__).resolve().parents[2] / "deploy" / "surveys"
    app = App(settings=load_settings({**SETTINGS, "WXOPS_REPORTS_DIR": str(tmp_path),
                                      "WXOPS_SURVEYS_DIR": str(surveys)}), engine=engine)
    in_q4 = datetime(2026, 11, 3, 4, tzinfo=UTC)
    sets: list[tuple[str, datetime, list[Any]]] = [
            ("finished", in_q4, [1, [1, 3], 5, 2, "多写活动回顾"]),
            ("finished", in_q4, [2, [3], 3, 1, "希望更新更快"]),
            ("finished", datetime(2026, 9, 1, tzinfo=UTC), [1, [1], 1, 1, "上季度的"]),
            ("abandoned", in_q4, [1])]
    with Session(engine) as session:
        for n, (state, at, answers) in enumerate(sets):
            follower = Follower(openid=f"o_fan{n}", subscribed_at=at)
            session.add(follower)
            session.flush()
            session.add(SurveyAnswerSetRow(survey="reader", follower_id=follower.id, state=state,
                                           question=len(answers), answers=answers,
                                           started_at=at, updated_at=at, ended_at=at))
        session.commit()
    made = evaluation.make(app, Q4, NEW_YEAR)
    [reader] = made.evaluation.follower_surveys
    assert (reader.name, reader.respondents) == ("reader", 2)
    rating = reader.questions[2]
    assert [count for _, count in rating[1]] == [0, 0, 1, 0, 1]
    assert reader.questions[4][2] == ("多写活动回顾", "希望更新更快")
    html = made.path.read_text(encoding="utf-8")
    assert 'data-survey="reader"' in html and "希望更新更快" in html
    assert 'id="no-follower-surveys"' not in html


def _open(app: App, url: str, at: datetime) -> TestResponse:
    """The page as a browser gets it ``at`` (the pages read the host's clock): the
    link, made at a fixed time, is opened within its days whatever the day the
    suite runs."""
    with time_machine.travel(at, tick=True):
        return Client(create_app(app)).get(url.removeprefix(PUBLIC))
