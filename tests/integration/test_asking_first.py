"""Ask before calling (issue 21, point 1): on an account whose kind lacks a
capability (an unverified subscription account, as the settings say and the
emulator plays it), every outbound call that needs it is not made. Rows left
from before end dead with the reason a 48001 would give, naming the missing
capability and what to do instead; nothing is learnt (the platform was not
asked); the worker's publish poll is skipped. Proved by the emulator's call
log, on each database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.emulator.server import start_in_thread
from bot.emulator.state import EmulatorConfig
from bot.gateway import NEEDS
from bot.wechat_errors import NotCalled
from bot.worker import Jobs
from handlers import texts
from storage import capabilities as learnt_log
from storage import outbox
from storage import staff as staff_store
from storage.models import ContentItemRow, OutboxMessage
from tests.integration.conftest import APP_ID, make_account
from tests.integration.test_gateway import control
from workflow.capabilities import UNVERIFIED_SUBSCRIPTION, Capability
from workflow.roles import Role
from workflow.states import State

SMALL_SETTINGS = {"WXOPS_ACCOUNT_KIND": "subscription", "WXOPS_ACCOUNT_VERIFIED": "0",
                  "WXOPS_TEMPLATE_ID_NOTIFY": "TPL-1"}


@pytest.fixture
def small() -> Iterator[str]:
    """The emulator playing an unverified subscription account."""
    url, stop = start_in_thread(EmulatorConfig(app_id=APP_ID, app_secret="secret",
                                               kind=UNVERIFIED_SUBSCRIPTION, push_delay=0))
    yield url
    stop()


@pytest.fixture
def worker(engine: Engine, small: str) -> Iterator[Jobs]:
    account = make_account(engine, WXOPS_WECHAT_API_BASE=small, **SMALL_SETTINGS)
    assert account.app.settings.kind == UNVERIFIED_SUBSCRIPTION
    jobs = Jobs(account.app, "test-worker")
    yield jobs
    jobs.leader.release()


def _platform_calls(base: str) -> list[str]:
    """What the emulator received, beyond fetching a token."""
    return [c["path"] for c in control(base, "calls") if not c["path"].endswith("_token")]


def _not_called(call: str) -> str:
    return texts.phrase("wechat", "not_called", capability=NEEDS[call].value, call=call,
                        kind=UNVERIFIED_SUBSCRIPTION.name, learnt=False)


#: Rows a verified account would have queued (wxops thought it one, then the
#: settings were corrected), and the call each is refused before.
ROWS: dict[str, tuple[dict[str, Any], str]] = {
    "sync_draft": ({"item_id": 1, "revision": 1}, "add_material"),
    "delete_published": ({"item_id": 1, "article_id": "A1"}, "publish_delete"),
    "preview": ({"item_id": 1, "openid": "o_admin"}, "add_material"),
    "sendall": ({"item_id": 1}, "add_material"),
}


def test_rows_the_account_cannot_deliver_make_no_call_and_say_why(
        engine: Engine, small: str, worker: Jobs) -> None:
    now = datetime.now(UTC) - timedelta(seconds=1)
    with engine.begin() as conn:
        for kind, (payload, _call) in ROWS.items():
            outbox.add(conn, kind, payload, f"{kind}:1", now)
    worker.send()
    with engine.connect() as conn:
        rows = {r.kind: (r.status, r.last_error) for r in conn.execute(select(OutboxMessage))}
        assert learnt_log.missing(conn) == {}  # the platform was not asked: nothing learnt
    assert rows == {kind: ("dead", _not_called(call)) for kind, (_p, call) in ROWS.items()}
    assert "发表记录" in rows["delete_published"][1]  # where to delete it instead
    assert _platform_calls(small) == []


@pytest.mark.parametrize("call", ["send_text", "send_template", "preview", "sendall",
                                  "draft_add", "upload_image", "add_material",
                                  "publish_submit", "publish_get", "publish_delete",
                                  "comment_list", "comment_reply", "datacube"])
def test_the_gateway_asks_before_each_call(small: str, worker: Jobs, call: str) -> None:
    gateway = worker.sender.gateway
    args: dict[str, tuple[object, ...]] = {
        "send_text": ("o_fan", "hi"), "send_template": ("o_fan", "TPL-1", {}),
        "preview": ("M1", "o_fan"), "sendall": ("M1", "k1"), "draft_add": ([],),
        "upload_image": ("a.jpg", b"x"), "add_material": ("thumb", "a.jpg", b"x"),
        "publish_submit": ("M1",), "publish_get": ("P1",), "publish_delete": ("A1",),
        "comment_list": ("1", 0), "comment_reply": ("1", 0, 1, "谢谢"),
        "datacube": ("getusersummary", "2026-11-20", "2026-11-21")}
    with pytest.raises(NotCalled) as refused:
        getattr(gateway, call)(*args[call])
    assert (refused.value.capability, refused.value.call, refused.value.errcode) == (
        NEEDS[call], call, None)
    assert _platform_calls(small) == []


def test_a_capability_learnt_missing_is_asked_too_and_says_how_to_restore(
        engine: Engine, small: str) -> None:
    """A verified service account (as the settings say) that WeChat refused
    free publishing: the submission is not made, and the reason names the reset."""
    account = make_account(engine, WXOPS_WECHAT_API_BASE=small)
    with engine.begin() as conn:
        learnt_log.learn(conn, Capability.FREE_PUBLISH, datetime.now(UTC), 48001,
                         "publish_submit")
    gateway = Jobs(account.app, "test-worker").sender.gateway
    with pytest.raises(NotCalled) as refused:
        gateway.publish_get("P1")
    assert refused.value.learnt
    assert "capabilities reset free_publish" in refused.value.reason
    assert _platform_calls(small) == []


def test_the_publish_poll_is_skipped_where_free_publishing_is_missing(
        engine: Engine, small: str, worker: Jobs, caplog: pytest.LogCaptureFixture) -> None:
    long_ago = datetime.now(UTC) - timedelta(hours=1)  # submitted when it was thought able
    with Session(engine) as session:
        author = staff_store.add_staff(session, "王芳", frozenset({Role.CREATOR}), long_ago)
        session.add(ContentItemRow(title="冬季助学", body="<p>冬衣</p>", author_id=author.id,
                                   state=State.PUBLISHING.value, publish_id="P1",
                                   created_at=long_ago, updated_at=long_ago))
        session.commit()
    with caplog.at_level("INFO", logger="wxops.worker"):
        worker.poll_publishing()
        worker.poll_publishing()
    skipped = [r for r in caplog.records if "poll_publishing skipped" in r.getMessage()]
    assert len(skipped) == 1  # one line, not one a run
    assert _platform_calls(small) == []
