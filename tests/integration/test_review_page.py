"""What the reviewer and the writer see of a revision, on both engines: 退回 with
a quoted passage, the diff against the revision last reviewed in 查看, in
`wxops item show` and in the call for review, and the preview page's blocks
(reasons with the passage marked in the body, the changes, the check's findings)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select
from werkzeug.test import Client

from bot.config import load_settings
from bot.links import PageAddresses
from bot.web import create_app
from bot.wiring import App
from storage.models import OutboxMessage, ReviewRow
from storage.uow import SqlUnitOfWork
from tests.integration import commanding
from tests.integration.clirun import Wxops
from tests.integration.commanding import Team, make_team
from workflow import link_cases, usecases
from workflow.model import Context, ItemChanges
from workflow.roles import CONSOLE_ACTOR

PUBLIC = "https://wx.example.org"
SETTINGS = {"WXOPS_PUBLIC_URL": PUBLIC, "WXOPS_APP_ID": "wx1", "WXOPS_APP_SECRET": "s3cret",
            "WXOPS_TOKEN": "tok123", "WXOPS_ACCOUNT_NAME": "助学公益"}
FIRST = ("<section><p>冬季助学计划今年走进<b>三所</b>山区小学，为 300 名学生送去冬衣。</p>"
         "<p>志愿者们在十二月出发。</p></section>")
SECOND = ("<section><p>冬季助学计划今年走进<b>五所</b>山区小学，为 520 名学生送去冬衣、图书。</p>"
          "<p>志愿者们在十二月出发。</p><p>欢迎加入我们的Volunteer计划。</p></section>")


def _now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def team(engine: Engine) -> Team:
    return make_team(engine)


def _edit(engine: Engine, team: Team, item_id: int, body: str) -> None:
    usecases.edit(SqlUnitOfWork(engine), team.wang, item_id, ItemChanges(body=body),
                  Context(now=_now(), command="test"))


def _sent_back(engine: Engine, team: Team) -> int:
    item = usecases.plan(SqlUnitOfWork(engine), team.wang, "冬季助学", Context(now=_now()))
    _edit(engine, team, item.id, FIRST)
    commanding.say(engine, team.wang, f"开始 {item.id}")
    commanding.say(engine, team.wang, f"提交 {item.id}")
    refused = commanding.say(engine, team.li, f"退回 {item.id} 「五所山区小学」 请核对")
    assert "不在稿件" in refused and "第 2 版" in refused
    commanding.say(engine, team.li, f"退回 {item.id} 「三所山区 小学」 应为五所，请核对")
    return item.id


def _notices(engine: Engine, template: str) -> list[dict[str, object]]:
    with engine.connect() as conn:
        rows = conn.execute(select(OutboxMessage.payload).where(
            OutboxMessage.kind == "notify").order_by(OutboxMessage.id)).scalars().all()
    return [p["context"] for p in rows if p["template"] == template]


def test_a_quoted_reason_is_kept_and_the_writer_reads_it(engine: Engine, team: Team) -> None:
    item_id = _sent_back(engine, team)
    with engine.connect() as conn:
        review = conn.execute(select(ReviewRow)).one()
    assert (review.quote, review.comment, review.revision) == (
        "三所山区 小学", "应为五所，请核对", 2)
    assert _notices(engine, "changes_requested")[-1]["quote"] == "三所山区 小学"
    shown = commanding.say(engine, team.wang, f"查看 {item_id}")
    assert "第 2 版的退回意见：\n- 李雷：「三所山区 小学」——应为五所，请核对" in shown


def test_a_resubmission_says_what_changed_in_chat(engine: Engine, team: Team) -> None:
    item_id = _sent_back(engine, team)
    _edit(engine, team, item_id, SECOND)
    commanding.say(engine, team.wang, f"提交 {item_id}")
    called = _notices(engine, "item_submitted")[-1]
    assert called["diff"] == {"revision": 3, "since": 2, "added": 26, "removed": 4, "places": 4}
    shown = commanding.say(engine, team.li, f"查看 {item_id}")
    assert "第 3 版：+26 字，−4 字，改了 4 处（对比上次审核的第 2 版）" in shown


def _numbers(line: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", line)]


def test_item_show_says_what_changed_and_why_as_chat_does(
        engine: Engine, team: Team, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    wxops = Wxops(monkeypatch, capsys,
                  WXOPS_DATABASE_URL=engine.url.render_as_string(hide_password=False))
    item_id = _sent_back(engine, team)
    shown = wxops("item", "show", str(item_id))
    assert shown.status == 0, shown.err
    asked = [line for line in shown.out.splitlines() if line.startswith("- 李雷：")]
    assert asked == ["- 李雷：「三所山区 小学」——应为五所，请核对"]
    assert not [line for line in shown.out.splitlines() if line.startswith("第 2 版：")]
    _edit(engine, team, item_id, SECOND)
    lines = wxops("item", "show", str(item_id)).out.splitlines()
    changed = [line for line in lines if line.startswith("第 3 版：")]
    # revision, added, removed, places, since: the numbers 查看 and the call for review give
    assert [_numbers(line) for line in changed] == [[3, 26, 4, 4, 2]]
    assert [_numbers(line) for line in lines if "退回意见" in line] == [[2]]
    assert "- 李雷：「三所山区 小学」——应为五所，请核对" in lines


def test_the_preview_shows_reasons_changes_and_findings(engine: Engine, team: Team) -> None:
    item_id = _sent_back(engine, team)
    app = App(settings=load_settings(SETTINGS), engine=engine)
    addresses = PageAddresses.from_settings(app.settings)
    made = link_cases.preview(app.uow(), CONSOLE_ACTOR, item_id, Context(now=_now()),
                              openid=None, lifetime=addresses.lifetime)
    assert made.link is not None
    page = Client(create_app(app)).get(addresses.url(made.link)[len(PUBLIC):])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert ('走进<b><mark data-quote="1">三所</mark></b><mark data-quote="1">山区小学</mark>'
            '<small class="quote-note" id="quote-1">李雷：应为五所，请核对</small>') in html
    assert 'id="reason-1"' in html and 'href="#quote-1"' in html
    assert 'id="checks"' in html and "正文" in html and 'id="changes"' not in html
    _edit(engine, team, item_id, SECOND)
    made = link_cases.preview(app.uow(), CONSOLE_ACTOR, item_id, Context(now=_now()),
                              openid=None, lifetime=addresses.lifetime)
    assert made.link is not None
    html = Client(create_app(app)).get(addresses.url(made.link)[len(PUBLIC):]).get_data(
        as_text=True)
    assert "<del>三</del><ins>五</ins>" in html and "<ins>、图书</ins>" in html
    assert "第 3 版：+26 字，−4 字，改了 4 处" in html
    assert 'data-code="typography_space"' in html  # 我们的Volunteer: a warning listed
    assert "这段原文在这一版里已经改动" in html
