"""Capabilities learnt missing (issue 21, point 1), on each database: the table of
what was refused, the sender learning a 48001 against the emulator playing a
smaller account than the settings say (an unverified subscription account while
wxops thinks it a verified service account), a refused publication failing with
the reason, and `wxops capabilities` showing and resetting them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot import worker as worker_module
from bot.emulator.server import start_in_thread
from bot.emulator.state import EmulatorConfig
from bot.worker import Jobs
from handlers import texts
from storage import capabilities as learnt_log
from tests.integration.clirun import Wxops
from tests.integration.conftest import APP_ID, make_account
from tests.integration.test_commands import Team
from tests.integration.test_gateway import calls_to, follower_writes
from tests.integration.test_outbox import interacted, queue_notify, staff_member, status_of
from tests.integration.test_publish_cycle import Desk, moved
from workflow.capabilities import (
    UNVERIFIED_SUBSCRIPTION,
    VERIFIED_SERVICE,
    Capabilities,
    Capability,
    LearntMissing,
)
from workflow.states import State

AT = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def missing(engine: Engine) -> dict[Capability, LearntMissing]:
    with engine.connect() as conn:
        return learnt_log.missing(conn)


def test_the_first_time_learnt_is_kept_and_a_reset_forgets(engine: Engine) -> None:
    with engine.begin() as conn:
        learnt_log.learn(conn, Capability.FREE_PUBLISH, AT, 48001, "publish_submit")
    with engine.begin() as conn:  # learnt again later: the first time stays
        learnt_log.learn(conn, Capability.FREE_PUBLISH, AT + timedelta(hours=1), 48001,
                         "publish_get")
    assert missing(engine) == {Capability.FREE_PUBLISH: LearntMissing(AT, 48001,
                                                                     "publish_submit")}
    with engine.begin() as conn:
        assert learnt_log.forget(conn, Capability.FREE_PUBLISH)
        assert not learnt_log.forget(conn, Capability.FREE_PUBLISH)
    assert missing(engine) == {}


@pytest.fixture
def small_account() -> Iterator[str]:
    """The emulator as an unverified subscription account (wxops is not told)."""
    url, stop = start_in_thread(EmulatorConfig(app_id=APP_ID, app_secret="secret",
                                               kind=UNVERIFIED_SUBSCRIPTION, push_delay=0))
    yield url
    stop()


@pytest.fixture
def desk(engine: Engine, small_account: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    monkeypatch.setattr(worker_module, "CAPABILITIES_TTL", 0.0)  # each delivery re-reads
    account = make_account(engine, WXOPS_WECHAT_API_BASE=small_account,
                           WXOPS_TEMPLATE_ID_NOTIFY="TPL-1")
    assert account.app.settings.kind.name == "verified-service"
    jobs = Jobs(account.app, "test-worker")
    yield Desk(Team(account), jobs, small_account)
    jobs.leader.release()


def test_a_refused_notice_is_learnt_and_the_next_one_goes_another_way(desk: Desk) -> None:
    engine, wechat = desk.engine, desk.wechat
    now = datetime.now(UTC)
    staff_id = staff_member(engine, "o_member")
    interacted(engine, "o_member", now - timedelta(minutes=5))
    follower_writes(wechat, "o_member")
    queue_notify(engine, staff_id, key="first")
    desk.worker.send()
    [(status, error)] = status_of(engine)
    assert status == "dead" and "48001" in error
    assert texts.phrase("wechat", "lacks_capability", capability="customer_service") in error
    learnt = missing(engine)
    assert set(learnt) == {Capability.CUSTOMER_SERVICE}
    assert (learnt[Capability.CUSTOMER_SERVICE].errcode,
            learnt[Capability.CUSTOMER_SERVICE].call) == (48001, "send_text")
    # The next notice skips customer-service messages: a template message (refused
    # too on this account, and learnt), then the third is held without a call.
    queue_notify(engine, staff_id, key="second")
    desk.worker.send()
    assert set(missing(engine)) == {Capability.CUSTOMER_SERVICE, Capability.TEMPLATE_MESSAGE}
    queue_notify(engine, staff_id, key="third")
    desk.worker.send()
    assert status_of(engine)[-1][0] == "held"
    assert calls_to(wechat, "/cgi-bin/message/custom/send") == 1
    assert calls_to(wechat, "/cgi-bin/message/template/send") == 1


def test_a_publication_refused_48001_fails_with_the_permission_and_is_learnt(
        desk: Desk) -> None:
    item_id = desk.team.approved()
    assert moved(desk.publish(item_id), State.APPROVED, State.PUBLISHING)
    desk.work()
    assert desk.item(item_id).state == State.PUBLISH_FAILED.value
    # The approval's draft sync met 48001 on the cover's upload (the team's notices
    # on the way met it too): the submission then asked first and made no call.
    [(_row, status, error)] = desk.outbox("sync_draft")
    assert status == "dead" and texts.phrase(
        "wechat", "lacks_capability", capability="materials") in error
    lacking = texts.phrase("wechat", "not_called", capability="materials", call="add_material",
                           kind="verified-service", learnt=True)
    [(_row, status, error)] = desk.outbox("submit_publish")
    assert status == "dead" and lacking in error
    event, _actor, comment = desk.last_audit(item_id)
    assert event == "publish_failed" and lacking in comment
    learnt = missing(desk.engine)
    assert learnt[Capability.MATERIALS].call == "add_material"
    assert Capability.FREE_PUBLISH not in learnt
    assert calls_to(desk.wechat, "/cgi-bin/freepublish/submit") == 0


def test_wxops_capabilities_shows_and_resets_what_was_learnt(
        engine: Engine, engine_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    del engine
    wxops = Wxops(monkeypatch, capsys, tmp_path, WXOPS_DATABASE_URL=engine_url)
    assert wxops("db", "upgrade").status == 0
    assert wxops("capabilities", "reset", "preview").status == 0
    from storage.db import make_engine

    eng = make_engine(engine_url)
    with eng.begin() as conn:
        learnt_log.learn(conn, Capability.PREVIEW, AT, 48001, "preview")
    shown = wxops("capabilities")
    assert shown.status == 0
    preview_line = [line for line in shown.out.splitlines() if line.startswith("✗ preview")]
    assert len(preview_line) == 1 and "48001" in preview_line[0]
    assert wxops("capabilities", "reset", "preview").status == 0
    assert missing(eng) == {}
    assert not any(line.startswith("✗") for line in wxops("capabilities").out.splitlines())
    refused = wxops("capabilities", "reset", "nope")
    assert refused.status == 2 and refused.code == "unknown_capability"
    eng.dispose()


def test_a_staff_command_asks_what_was_learnt_as_it_is_now(engine: Engine) -> None:
    """Read afresh for each command that asks (two web hosts must agree at once),
    and never for a push that does not ask."""
    from bot.handling import Contexts

    account = make_account(engine)
    contexts = Contexts(account.app.settings)
    now = datetime.now(UTC)

    def asked() -> Capabilities:
        with engine.begin() as conn:  # as a handler asks: in the push's transaction
            ctx = contexts(conn, now)
            assert ctx.capabilities == Capabilities(VERIFIED_SERVICE)  # no query for this
            return ctx.account_capabilities()

    assert asked().allows(Capability.CUSTOMER_SERVICE)
    with engine.begin() as conn:
        learnt_log.learn(conn, Capability.CUSTOMER_SERVICE, AT, 48001, "send_text")
    caps = asked()
    assert not caps.allows(Capability.CUSTOMER_SERVICE)
    assert caps.missing == {Capability.CUSTOMER_SERVICE: AT}



def test_a_poll_the_platform_refuses_is_one_log_line_not_a_traceback(
        desk: Desk, caplog: pytest.LogCaptureFixture) -> None:
    """wxops takes the account for a verified service account, so the poll runs;
    the platform refuses it (48001): a warning, and the job returns."""
    from sqlalchemy import update

    from storage.models import ContentItemRow

    item_id = desk.team.approved()
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    with desk.engine.begin() as conn:
        conn.execute(update(ContentItemRow).where(ContentItemRow.id == item_id).values(
            state=State.PUBLISHING.value, publish_id="P1", updated_at=long_ago))
    with caplog.at_level("WARNING", logger="wxops.worker"):
        desk.worker.poll_publishing()
    [line] = [r.getMessage() for r in caplog.records if r.name == "wxops.worker"]
    assert "P1" in line and "48001" in line
    assert calls_to(desk.wechat, "/cgi-bin/freepublish/get") == 1
