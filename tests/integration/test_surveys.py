"""Follower surveys through the real inbound path (signed XML to the endpoint, in
process) on both engines, and `wxops survey` on what they stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, tzinfo
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from bot import surveys as survey_files
from handlers.surveys import render
from storage.models import ReplyTicket, SurveyAnswerSetRow
from storage.surveys import SqlSurveyAnswers
from storage.uow import utcnow
from tests.harness import wechat as wx
from tests.integration.clirun import Wxops
from tests.integration.conftest import Account, make_account
from tests.integration.test_endpoint import add_rule, reply_fields
from workflow import survey_cases
from workflow.autoreply import MatchType
from workflow.survey_forms import Survey
from workflow.surveys import ReplyCode, SurveyReply

FORM = """
title = "读者调查"
intro = "共四题"
keywords = ["调查"]
menu_key = "SURVEY_READER"
expire_minutes = 30

[[questions]]
kind = "single"
text = "多久看一次？"
options = ["每天", "每周", "偶尔", "第一次"]

[[questions]]
kind = "multiple"
text = "想看什么？"
options = ["活动", "故事", "政策", "指南"]
max_choices = 3

[[questions]]
kind = "rating"
text = "满意度？"

[[questions]]
kind = "text"
text = "想说的话？"
max_length = 50
"""

FAN = "o_fan_survey"


class Follower:
    """One follower talking to the account: each message a new MsgId."""

    def __init__(self, account: Account, openid: str = FAN) -> None:
        self.account, self.openid = account, openid
        self.ids = count(1)
        self.times = count(wx.CREATE_TIME)

    def says(self, text: str, msg_id: int | None = None) -> str:
        return self._content(wx.text(text, sender=self.openid,
                                     msg_id=msg_id or self._msg_id()))

    def sends_an_image(self) -> str:
        return self._content(wx.image(sender=self.openid, msg_id=self._msg_id()))

    def sends_a_voice(self, recognition: str) -> str:
        return self._content(wx.voice(recognition, sender=self.openid, msg_id=self._msg_id()))

    def clicks(self, key: str) -> str:
        return self._content(wx.click(key, sender=self.openid, create_time=next(self.times)))

    def _msg_id(self) -> int:
        return hash(self.openid) % 10**9 * 1000 + next(self.ids)

    def _content(self, message: str) -> str:
        reply = self.account.client.push(message)
        assert reply.status == 200
        return "" if reply.text == "success" else str(reply_fields(reply.text)["Content"])


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    surveys = tmp_path / "surveys"
    surveys.mkdir()
    (surveys / "reader.toml").write_text(FORM, encoding="utf-8")
    return surveys


@pytest.fixture
def account(engine: Engine, folder: Path) -> Account:
    return make_account(engine, WXOPS_SURVEYS_DIR=str(folder))


@pytest.fixture
def survey(account: Account) -> Survey:
    found = survey_files.load(account.app.settings).book.named("reader")
    assert found is not None
    return found


def words(code: ReplyCode, survey: Survey, number: int | None = None, **more: Any) -> str:
    """The reply the survey gives for ``code`` (asking question ``number``)."""
    data: dict[str, Any] = {"survey": survey}
    if number is not None:
        data |= {"question": survey.questions[number - 1], "number": number,
                 "count": len(survey.questions)}
    return render(SurveyReply(code, data | more)).text


def answer_sets(engine: Engine) -> list[tuple[str, str, int, list[Any]]]:
    s = SurveyAnswerSetRow
    with engine.connect() as conn:
        rows = conn.execute(select(s.survey, s.state, s.question, s.answers).order_by(s.id))
        return [(r[0], r[1], r[2], list(r[3])) for r in rows]


def tickets(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(ReplyTicket)) or 0)


def test_a_keyword_starts_a_survey_answered_to_the_end_before_rules_and_queue(
        account: Account, survey: Survey) -> None:
    add_rule(account, MatchType.EXACT, "2", "规则的回复")  # a rule the answer must not reach
    fan = Follower(account)
    assert fan.says("调查") == words(ReplyCode.STARTED, survey, 1)
    assert fan.says("9") == words(ReplyCode.ASK_AGAIN, survey, 1, why="single", options=4)
    assert fan.says("2") == words(ReplyCode.NEXT, survey, 2)
    assert fan.says("1、3") == words(ReplyCode.NEXT, survey, 3)
    assert fan.sends_an_image() == words(ReplyCode.ASK_AGAIN, survey, 3, why="not_text")
    assert fan.says("六") == words(ReplyCode.ASK_AGAIN, survey, 3, why="rating", low=1, high=5)
    # a voice message is no answer, whatever WeChat recognised in it
    assert fan.sends_a_voice("四") == words(ReplyCode.ASK_AGAIN, survey, 3, why="not_text")
    assert fan.says("4") == words(ReplyCode.NEXT, survey, 4)
    assert answer_sets(account.engine) == [("reader", "started", 3, [2, [1, 3], 4])]
    assert fan.says("多发活动预告") == words(ReplyCode.FINISHED, survey)
    assert answer_sets(account.engine) == [("reader", "finished", 4,
                                            [2, [1, 3], 4, "多发活动预告"])]
    assert tickets(account.engine) == 0  # the answers were no messages for staff
    # finished, their messages go where they went before
    assert fan.says("2") == "规则的回复"


def test_a_retry_of_an_answer_records_it_once(account: Account, survey: Survey) -> None:
    fan = Follower(account)
    fan.says("调查")
    first = fan.says("3", msg_id=777)
    again = fan.says("3", msg_id=777)  # WeChat's retry: the same MsgId
    assert first == again == words(ReplyCode.NEXT, survey, 2)
    assert answer_sets(account.engine) == [("reader", "started", 1, [3])]


def test_a_menu_click_starts_the_survey(account: Account, survey: Survey) -> None:
    fan = Follower(account)
    assert fan.clicks("SURVEY_READER") == words(ReplyCode.STARTED, survey, 1)
    assert fan.says("每周") == words(ReplyCode.NEXT, survey, 2)
    # clicking again while in it asks the question waiting for an answer
    assert fan.clicks("SURVEY_READER") == words(ReplyCode.REPEAT, survey, 2)
    assert answer_sets(account.engine) == [("reader", "started", 1, [2])]


def test_one_answer_set_per_follower(account: Account, survey: Survey) -> None:
    fan = Follower(account)
    for said in ("调查", "1", "1", "5", "很好"):
        fan.says(said)
    assert fan.says("调查") == words(ReplyCode.ALREADY_DONE, survey)
    assert fan.clicks("SURVEY_READER") == words(ReplyCode.ALREADY_DONE, survey)
    other = Follower(account, "o_other_fan")
    assert other.says("调查") == words(ReplyCode.STARTED, survey, 1)
    assert [row[1] for row in answer_sets(account.engine)] == ["finished", "started"]


def test_leaving_with_tui_chu_abandons_and_later_messages_go_to_the_queue(
        account: Account, survey: Survey) -> None:
    fan = Follower(account)
    fan.says("调查")
    fan.says("1")
    assert fan.says("退出") == words(ReplyCode.LEFT, survey)
    assert answer_sets(account.engine) == [("reader", "abandoned", 1, [1])]
    fan.says("你们周末开门吗")
    assert tickets(account.engine) == 1
    # abandoned is not taking part: the keyword starts it again from question 1
    assert fan.says("调查") == words(ReplyCode.STARTED, survey, 1)
    assert answer_sets(account.engine) == [("reader", "started", 0, [])]


class Clock:
    """The endpoint's clock, moved by the test (``bot.endpoint`` reads
    ``datetime.now``; signatures are checked against the real time)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def move(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    kept = Clock()

    class Moved(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
            return kept.now.astimezone(tz)

    monkeypatch.setattr("bot.clock.datetime", Moved)  # the endpoint reads bot.clock
    return kept


def test_an_unfinished_survey_expires_and_the_next_message_is_routed_as_usual(
        account: Account, survey: Survey, clock: Clock) -> None:
    fan = Follower(account)
    fan.says("调查")
    clock.move(minutes=10)
    fan.says("1")  # the expiry (30 minutes) runs from here
    clock.move(minutes=29, seconds=59)
    assert fan.says("2") == words(ReplyCode.NEXT, survey, 3)
    clock.move(minutes=30)
    reply = fan.says("3")  # not taken as an answer: a message for staff
    assert reply != words(ReplyCode.NEXT, survey, 4)
    assert tickets(account.engine) == 1
    assert answer_sets(account.engine) == [("reader", "expired", 2, [1, [2]])]
    s = SurveyAnswerSetRow
    with account.engine.connect() as conn:
        ended = conn.scalar(select(s.ended_at))
    assert ended == clock.now
    fan.sends_an_image()  # no longer in a survey: to the queue as well
    assert answer_sets(account.engine)[0][1] == "expired"


def test_a_staff_member_clicking_the_menu_is_not_surveyed(account: Account) -> None:
    from tests.integration.commanding import make_team

    make_team(account.engine)
    staff = Follower(account, "o_staff0")
    add_rule(account, MatchType.CLICK, "SURVEY_READER", "菜单的回复")
    assert staff.clicks("SURVEY_READER") == "菜单的回复"
    assert answer_sets(account.engine) == []


def _run_to_the_end(account: Account, openid: str, *answers: str) -> None:
    fan = Follower(account, openid)
    for said in ("调查", *answers):
        fan.says(said)


def test_results_for_the_evaluation_count_the_sets_of_a_period(
        account: Account, survey: Survey) -> None:
    _run_to_the_end(account, "o_a", "1", "1 2", "5", "很好")
    _run_to_the_end(account, "o_b", "2", "2", "3", "一般")
    _run_to_the_end(account, "o_c", "1", "退出")
    book = survey_files.load(account.app.settings).book
    now = utcnow()
    with account.engine.connect() as conn:
        found = survey_cases.period_results(SqlSurveyAnswers(conn), book,
                                            now - timedelta(days=1), now + timedelta(minutes=1))
        none = survey_cases.period_results(SqlSurveyAnswers(conn), book,
                                           now - timedelta(days=9), now - timedelta(days=1))
    assert none == []
    assert len(found) == 1
    r = found[0]
    assert (r.finished, r.abandoned, r.expired, r.in_progress) == (2, 1, 0, 0)
    assert r.questions[0].counts == (("每天", 1), ("每周", 1), ("偶尔", 0), ("第一次", 0))
    assert r.questions[2].mean == 4.0
    assert r.questions[3].texts == ("很好", "一般")


# --- wxops survey ------------------------------------------------------------------------


@pytest.fixture
def cli(account: Account, folder: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Wxops:
    url = account.engine.url.render_as_string(hide_password=False)
    return Wxops(monkeypatch, capsys, tmp_path, WXOPS_DATABASE_URL=url,
                 WXOPS_SURVEYS_DIR=str(folder))


def test_wxops_survey_results(account: Account, cli: Wxops) -> None:
    _run_to_the_end(account, "o_a", "1", "1 2", "5", "很好")
    _run_to_the_end(account, "o_b", "3", "2", "4", "多一些活动")
    Follower(account, "o_c").says("调查")
    ran = cli("survey", "results", "reader", "--json")
    assert ran.status == 0, ran.err
    data = json.loads(ran.out)
    assert (data["finished"], data["in_progress"], data["abandoned"]) == (2, 1, 0)
    assert data["questions"][1]["counts"] == {"活动": 1, "故事": 2, "政策": 0, "指南": 0}
    assert data["questions"][2]["mean"] == 4.5
    assert data["questions"][3]["texts"] == ["很好", "多一些活动"]
    text = cli("survey", "results", "reader")
    assert text.status == 0 and "多一些活动" in text.out and "4.50" in text.out


def test_wxops_survey_results_refuses_an_unknown_name(cli: Wxops) -> None:
    ran = cli("survey", "results", "nosuch")
    assert ran.status == 1 and ran.code == "survey_unknown"
    assert ran.data == {"name": "nosuch", "known": ["reader"]}
    assert len(ran.err.strip().splitlines()) == 1


def test_wxops_survey_check_names_the_file_the_question_and_the_problem(
        cli: Wxops, folder: Path) -> None:
    assert cli("survey", "check").status == 0
    (folder / "broken.toml").write_text(
        FORM.replace('keywords = ["调查"]', 'keywords = ["问卷"]')
        .replace('menu_key = "SURVEY_READER"', "").replace('kind = "rating"', 'kind = "stars"'),
        encoding="utf-8")
    (folder / "also.toml").write_text(FORM, encoding="utf-8")  # read first: by name
    ran = cli("survey", "check")
    assert ran.status == 1 and ran.code == "survey_problems" and ran.data == {"count": 3}
    lines = ran.err.strip().splitlines()
    assert lines[0].startswith("broken.toml：第 3 题：") and "stars" in lines[0]
    # the later file (by name) sharing a keyword or menu key is left out
    assert [line.split("：")[0] for line in lines[1:3]] == ["reader.toml", "reader.toml"]


def test_an_answer_finds_its_rows_by_key(sqlite_engine: Engine, folder: Path) -> None:
    """The statements of a push in a survey walk no table (as a push's must:
    tests/integration/test_hot_path_plans.py), however many followers answer."""
    from tests.integration.test_hot_path_plans import _full_walks, _record_statements

    statements = _record_statements(sqlite_engine)
    account = make_account(sqlite_engine, WXOPS_SURVEYS_DIR=str(folder))
    for n in range(30):
        Follower(account, f"o_other_{n}").says("调查")
    fan = Follower(account)
    fan.says("调查")
    statements.clear()
    fan.says("2")
    assert any("survey_answer_sets" in s for s in statements if s.startswith("UPDATE"))
    assert _full_walks(sqlite_engine, statements) == []


def test_another_surveys_menu_ends_the_one_in_progress(
        account: Account, folder: Path) -> None:
    (folder / "events.toml").write_text(
        FORM.replace('keywords = ["调查"]', 'keywords = ["活动调查"]')
        .replace("SURVEY_READER", "SURVEY_EVENTS"), encoding="utf-8")
    again = make_account(account.engine, WXOPS_SURVEYS_DIR=str(folder))  # reads both
    events = survey_files.load(again.app.settings).book.named("events")
    assert events is not None
    fan = Follower(again)
    fan.says("调查")
    fan.says("1")
    # in a survey, a text is an answer, even another survey's keyword
    assert fan.says("活动调查") != words(ReplyCode.STARTED, events, 1)
    assert fan.clicks("SURVEY_EVENTS") == words(ReplyCode.STARTED, events, 1)
    assert answer_sets(again.engine) == [("reader", "abandoned", 1, [1]),
                                         ("events", "started", 0, [])]
