"""Drafts in from the WeChat draft box, on both engines, against the emulator
over real sockets: the worker's job and ``wxops drafts sync`` read
draft/batchget, an edit saved in an attached draft becomes a new revision
(an approved item goes back to review), wxops's own pushes do not, and chat's
``稿件 12 草稿 [编号]`` and ``wxops item attach`` attach a draft. On an account
without the draft box the source is absent: no call, a clear refusal."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from sqlalchemy import Engine

from bot import worker as worker_module
from bot.emulator.server import start_in_thread
from bot.emulator.state import EmulatorConfig
from bot.worker import Jobs
from tests.integration import commanding
from tests.integration.clirun import Wxops
from tests.integration.conftest import APP_ID, TOKEN, make_account
from tests.integration.test_commands import Team
from tests.integration.test_publish_cycle import Desk
from workflow.capabilities import (
    UNVERIFIED_SUBSCRIPTION,
    VERIFIED_SERVICE,
    AccountKind,
    Capabilities,
)
from workflow.states import State

EDITED = '<p class="lead">寒假前为山区学生募集冬衣，已收到 320 件。</p><script>x()</script>'
CLEANED = "<p>寒假前为山区学生募集冬衣，已收到 320 件。</p>"
#: A body written as layout writes it: the box rewrites its <br/> and its style on save.
LAID_OUT = ('<section style="font-size:16px;color:#3f3f3f"><p style="margin:0 0 1em">'
            "寒假前为山区学生募集冬衣。<br/>请转发。</p></section>")


def start(engine: Engine, monkeypatch: pytest.MonkeyPatch,
          kind: AccountKind = VERIFIED_SERVICE) -> Iterator[Desk]:
    monkeypatch.setattr(worker_module, "CAPABILITIES_TTL", 0.0)
    url, stop = start_in_thread(EmulatorConfig(app_id=APP_ID, app_secret="secret",
                                               push_delay=0, kind=kind))
    settings = {} if kind == VERIFIED_SERVICE else {"WXOPS_ACCOUNT_KIND": "subscription",
                                                    "WXOPS_ACCOUNT_VERIFIED": "0"}
    account = make_account(engine, WXOPS_WECHAT_API_BASE=url, **settings)
    jobs = Jobs(account.app, "test-worker")
    yield Desk(Team(account), jobs, url)
    jobs.leader.release()
    stop()


@pytest.fixture
def desk(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    yield from start(engine, monkeypatch)


@pytest.fixture
def small(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    yield from start(engine, monkeypatch, UNVERIFIED_SUBSCRIPTION)


def control(desk: Desk, path: str, body: dict[str, Any]) -> Any:
    answer = requests.post(f"{desk.wechat}/_emulator/{path}", json=body, timeout=5)
    answer.raise_for_status()
    return answer.json()


def cli(desk: Desk, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        **more: str) -> Wxops:
    url = desk.engine.url.render_as_string(hide_password=False)
    return Wxops(monkeypatch, capsys, None, WXOPS_DATABASE_URL=url,
                 WXOPS_WECHAT_API_BASE=desk.wechat, WXOPS_APP_ID=APP_ID,
                 WXOPS_APP_SECRET="secret", WXOPS_TOKEN=TOKEN, **more)


def test_an_edit_in_the_box_sends_an_approved_item_back_to_review(desk: Desk) -> None:
    item_id = desk.team.approved(body=LAID_OUT)
    desk.worker.send()  # the final approval's draft is pushed: the item's own draft
    media_id = desk.item(item_id).draft_media_id
    revision = desk.item(item_id).revision
    assert media_id
    kept = desk.worker.sender.gateway.draft_get(media_id)["news_item"][0]["content"]
    assert kept != LAID_OUT and "<br>" in kept  # the box rewrote it on save
    desk.worker.sync_drafts()  # wxops's own push does not come back, rewritten or not
    assert (desk.item(item_id).state, desk.item(item_id).revision) == (
        State.APPROVED.value, revision)
    control(desk, "drafts/edit", {"media_id": media_id, "content": EDITED})
    desk.worker.sync_drafts()
    item = desk.item(item_id)
    assert (item.state, item.revision, item.body) == (State.IN_REVIEW.value, revision + 1,
                                                     CLEANED)
    assert desk.last_audit(item_id)[:2] == ("edit", "creator")  # in the writer's name
    desk.worker.sync_drafts()
    assert desk.item(item_id).revision == revision + 1
    pages = desk.calls("draft/batchget")
    assert {(c["body"]["count"], c["body"]["no_content"]) for c in pages} == {(20, 0)}


def test_the_box_is_read_page_by_page(desk: Desk) -> None:
    for n in range(23):
        control(desk, "drafts", {"title": f"草稿 {n}", "content": f"<p>{n}</p>"})
    desk.worker.sync_drafts()
    assert [c["body"]["offset"] for c in desk.calls("draft/batchget")] == [0, 20]
    with desk.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM box_drafts").scalar_one() == 23


def test_a_draft_written_in_the_backend_is_attached_by_chat(desk: Desk,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]
                                                            ) -> None:
    item_id = desk.team.approved()
    written = control(desk, "drafts", {"title": "冬季助学（后台版）", "content": EDITED})
    wxops = cli(desk, monkeypatch, capsys)
    synced = wxops("drafts", "sync")
    assert synced.status == 0 and "新草稿 1 篇" in synced.out, synced.err
    listed = desk.ask("creator", f"稿件 {item_id} 草稿")
    drafts = listed.context["drafts"]
    assert listed.template == "drafts" and [d.media_id for d in drafts] == [
        written["media_id"]]
    attached = desk.ask("creator", f"稿件 {item_id} 草稿 {drafts[0].number}")
    item = desk.item(item_id)
    assert attached.template == "draft_attached" and attached.context["revision"] == item.revision
    assert (item.state, item.body, item.title) == (State.IN_REVIEW.value, CLEANED,
                                                   "冬季助学（后台版）")
    assert item.draft_media_id == written["media_id"]  # its pushes update this draft now
    assert f"→ 稿件 {item_id}" in wxops("drafts", "list").out
    refused = commanding.refusal(desk.engine, desk.team.staff_id("王芳"),
                                 f"稿件 {item_id} 草稿 {drafts[0].number}")
    assert refused.code == "needs_role"
    other = commanding.refusal(desk.engine, desk.team.staff_id("writer2"),
                               f"稿件 {item_id} 草稿 {drafts[0].number}")
    assert other.code == "not_owner"
    assert desk.ask("creator", "稿件 初审中").context["items"][0].id == item_id  # still lists


def test_wxops_item_attach_takes_the_draft_now(desk: Desk, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    item_id = desk.team.approved()
    written = control(desk, "drafts", {"title": "冬季助学", "content": EDITED})
    wxops = cli(desk, monkeypatch, capsys)
    done = wxops("item", "attach", str(item_id), written["media_id"], "--as", "creator")
    assert done.status == 0, done.err
    item = desk.item(item_id)
    assert (item.state, item.body) == (State.IN_REVIEW.value, CLEANED)
    unknown = wxops("item", "attach", str(item_id), "NO_SUCH_DRAFT", "--as", "creator")
    assert (unknown.status, unknown.code) == (1, "draft_empty")
    again = wxops("item", "attach", str(item_id + 1), written["media_id"], "--as", "admin")
    assert again.code == "item_not_found"


def test_without_the_draft_box_the_source_is_absent(small: Desk,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str],
                                                    caplog: pytest.LogCaptureFixture) -> None:
    wxops = cli(small, monkeypatch, capsys, WXOPS_ACCOUNT_KIND="subscription",
                WXOPS_ACCOUNT_VERIFIED="0")
    for argv in (("drafts", "sync"), ("drafts", "list"),
                 ("item", "attach", "1", "M1", "--as", "creator")):
        ran = wxops(*argv)
        assert (ran.code, ran.data.get("kind")) == ("no_draft_box", "unverified-subscription")
    refused = commanding.refusal(small.engine, small.team.staff_id("creator"), "稿件 1 草稿",
                                 capabilities=Capabilities(UNVERIFIED_SUBSCRIPTION))
    assert refused.code == "no_draft_box"
    with caplog.at_level(logging.INFO, logger="wxops"):
        small.worker.sync_drafts()
        small.worker.sync_drafts()
    alarms = [r for r in caplog.records if r.levelno >= logging.WARNING
              and r.name != "wxops.leader"]  # (the leader lock says when it is taken)
    assert not alarms
    assert len([r for r in caplog.records if "sync_drafts skipped" in r.getMessage()]) == 1
    assert small.calls("draft/batchget") == []


def test_a_refusal_of_the_platform_is_one_line_and_a_failure(
        desk: Desk, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """`wxops drafts sync` when WeChat refuses the read: the refusal's reason and
    errcode on one line and exit status 1, not a traceback."""
    control(desk, "fail", {"path": "/cgi-bin/draft/batchget", "errcode": 40013})
    refused = cli(desk, monkeypatch, capsys)("drafts", "sync")
    assert refused.status == 1 and refused.failure is not None
    assert refused.failure.data["errcode"] == 40013
    assert "40013" in refused.failure.line and "\n" not in refused.failure.line.strip()
