"""`wxops doctor` in this process, on each database, against an emulator in a
thread: an unmigrated database, an unreachable platform, the --json shape, a
48001 learnt and the kind setting found wrong, the worker's heartbeat and the
outbox; and the worker's start-up cross-check (tests/e2e/test_doctor.py runs
doctor against the processes)."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot import probe
from bot.config import load_settings
from bot.doctor import clock_check, settings_check
from bot.emulator.server import start_in_thread
from bot.emulator.state import EmulatorConfig
from bot.wiring import App
from bot.worker import Jobs, make_gateway, probing_gateway
from storage import capabilities as learnt_log
from storage import heartbeats, outbox
from storage.db import make_engine
from tests.e2e.conftest import free_port
from tests.integration.clirun import Ran, Wxops
from tests.integration.conftest import AES_KEY, APP_ID, TOKEN
from workflow.capabilities import UNVERIFIED_SUBSCRIPTION, VERIFIED_SERVICE, Capability

SECRET = "doctor-secret"
ORDER = ["settings", "access_token", "server_url", "aes_key", "database", "worker", "outbox",
         "clock"]


def emulator(**config: Any) -> tuple[str, Any]:
    return start_in_thread(EmulatorConfig(app_id=APP_ID, app_secret=SECRET, token=TOKEN,
                                          **config))


@pytest.fixture
def platform() -> Iterator[str]:
    url, stop = emulator()
    yield url
    stop()


def settings(database_url: str, api_base: str, **more: str) -> dict[str, str]:
    return {"WXOPS_DATABASE_URL": database_url, "WXOPS_APP_ID": APP_ID,
            "WXOPS_APP_SECRET": SECRET, "WXOPS_TOKEN": TOKEN,
            "WXOPS_ENCODING_AES_KEY": AES_KEY, "WXOPS_WECHAT_API_BASE": api_base, **more}


def doctor(wxops: Wxops, *args: str) -> tuple[Ran, dict[str, Any]]:
    ran = wxops("doctor", "--json", *args)
    report = json.loads(ran.out)
    return ran, report


def by_code(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["code"]: c for c in report["checks"]}


def beat(database_url: str, at: datetime) -> None:
    engine = make_engine(database_url)
    with engine.begin() as conn:
        heartbeats.beat(conn, "worker-1", at)
    engine.dispose()


def test_an_unmigrated_database_fails_with_db_upgrade_as_the_fix(
        engine_url: str, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    blank = make_engine(engine_url)  # there (a SQLite file made), never migrated
    blank.connect().close()
    blank.dispose()
    wxops = Wxops(monkeypatch, capsys, tmp_path, **settings(engine_url, platform))
    ran, report = doctor(wxops)
    assert ran.status == 1 and report["exit_status"] == 1 and report["ok"] is False
    checks = by_code(report)
    database = checks["database"]
    assert (database["status"], database["problem"]) == ("fail", "not_migrated")
    assert database["data"]["fix"] == "wxops db upgrade"
    assert checks["worker"]["problem"] == checks["outbox"]["problem"] == "no_database"
    assert checks["access_token"]["status"] == "ok"  # the platform is asked all the same
    text = wxops("doctor")
    assert text.status == 1 and "  → 运行 wxops db upgrade" in text.out.splitlines()


def test_a_sqlite_file_that_is_not_there_is_named_and_not_made(
        platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "typo" / "wxops.db"
    wxops = Wxops(monkeypatch, capsys, tmp_path, **settings(f"sqlite:///{file}", platform))
    ran, report = doctor(wxops)
    database = by_code(report)["database"]
    assert ran.status == 1 and (database["status"], database["problem"]) == ("fail", "no_file")
    assert database["data"] == {"path": str(file), "fix": "wxops db upgrade"}
    assert not (tmp_path / "typo").exists()


def test_an_unreachable_platform_is_its_own_failure_naming_the_address(
        engine_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    wxops = Wxops(monkeypatch, capsys, tmp_path, **settings(engine_url, nowhere))
    assert wxops("db", "upgrade").status == 0
    ran, report = doctor(wxops)
    checks = by_code(report)
    token = checks["access_token"]
    assert (token["status"], token["problem"]) == ("fail", "unreachable")
    assert token["data"]["address"] == nowhere and token["data"]["cause"] == "refused"
    assert checks["capabilities"] == {"code": "capabilities", "status": "skip",
                                      "problem": "no_token", "data": {}}
    assert ran.status == 1
    assert f"✗ access_token：连不上微信接口 {nowhere}（连接被拒绝）" in wxops("doctor").out


def test_bad_settings_are_a_line_not_a_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    wxops = Wxops(monkeypatch, capsys, tmp_path, WXOPS_APP_ID=APP_ID)  # no secret
    ran, report = doctor(wxops)
    first, *rest = report["checks"]
    assert (first["code"], first["status"], first["problem"]) == ("settings", "fail", "invalid")
    assert first["data"]["setting"] == "WXOPS_APP_SECRET"
    assert [c["problem"] for c in rest] == ["no_settings"] * len(rest)
    assert ran.status == 1 and "Traceback" not in ran.err


def test_the_json_report_has_a_code_a_status_a_problem_and_data_for_each_check(
        engine_url: str, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    wxops = Wxops(monkeypatch, capsys, tmp_path, **settings(engine_url, platform))
    assert wxops("db", "upgrade").status == 0
    beat(engine_url, datetime.now(UTC))
    ran, report = doctor(wxops)
    assert set(report) == {"ok", "exit_status", "checks"}
    codes = [c["code"] for c in report["checks"]]
    assert codes == [*ORDER, *(f"capability.{c.value}" for c in Capability), "account_kind"]
    for check in report["checks"]:
        assert set(check) == {"code", "status", "problem", "data"}
        assert check["status"] in {"ok", "fail", "warn", "skip"}
    # A verified service account, as the settings say; no public URL given: skipped.
    statuses = {c["code"]: c["status"] for c in report["checks"]}
    assert statuses.pop("server_url") == "skip"
    assert set(statuses.values()) == {"ok"}
    assert ran.status == 0 and report["ok"] is True


def test_48001s_are_learnt_and_the_kind_setting_is_said_wrong(
        engine_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    url, stop = emulator(kind=UNVERIFIED_SUBSCRIPTION)
    try:
        wxops = Wxops(monkeypatch, capsys, tmp_path, **settings(engine_url, url))
        assert wxops("db", "upgrade").status == 0
        beat(engine_url, datetime.now(UTC))
        ran, report = doctor(wxops)
        checks = by_code(report)
        kind = checks["account_kind"]
        assert (kind["status"], kind["problem"]) == ("fail", "kind_wrong")
        assert kind["data"]["fix"] == ("WXOPS_ACCOUNT_KIND=subscription "
                                       "WXOPS_ACCOUNT_VERIFIED=false")
        refused = checks["capability.customer_service"]
        assert (refused["status"], refused["problem"]) == ("warn", "refused")
        assert refused["data"]["errcode"] == 48001 and ran.status == 1
        engine = make_engine(engine_url)
        with engine.connect() as conn:
            learnt = learnt_log.missing(conn)
        engine.dispose()
        assert learnt[Capability.CUSTOMER_SERVICE].call == "kf_list"
        assert set(learnt) == {c for c, *_ in probe.PROBES}
        # Told the kind, the account is all it can be: what it lacks is no failure.
        wxops = Wxops(monkeypatch, capsys, tmp_path, **settings(
            engine_url, url, WXOPS_ACCOUNT_KIND="subscription", WXOPS_ACCOUNT_VERIFIED="0"))
        ran, report = doctor(wxops)
        checks = by_code(report)
        assert checks["account_kind"]["status"] == "ok"
        assert checks["capability.free_publish"]["problem"] == "not_granted"
        assert ran.status == 0
    finally:
        stop()


def test_a_worker_long_silent_or_a_stuck_outbox_fails_and_dead_rows_warn(
        engine_url: str, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    wxops = Wxops(monkeypatch, capsys, tmp_path, **settings(engine_url, platform))
    assert wxops("db", "upgrade").status == 0
    assert by_code(doctor(wxops)[1])["worker"]["problem"] == "no_heartbeat"
    now = datetime.now(UTC)
    beat(engine_url, now - timedelta(minutes=10))
    worker = by_code(doctor(wxops)[1])["worker"]
    assert (worker["status"], worker["problem"]) == ("fail", "stale")
    assert worker["data"]["age_seconds"] >= 600
    engine = make_engine(engine_url)
    with engine.begin() as conn:
        dead = outbox.add(conn, "notify", {}, "k1", now)
        assert dead is not None
        outbox.finish(conn, dead, "dead", now, "gone")
    checks = by_code(doctor(wxops)[1])
    assert (checks["outbox"]["status"], checks["outbox"]["data"]["dead"]) == ("warn", 1)
    assert checks["outbox"]["data"]["fix"] == "wxops outbox dead"
    with engine.begin() as conn:
        outbox.add(conn, "notify", {}, "k2", now - timedelta(minutes=30))
    engine.dispose()
    stuck = by_code(doctor(wxops)[1])["outbox"]
    assert (stuck["status"], stuck["problem"]) == ("fail", "stuck")
    assert stuck["data"]["oldest_pending_age_seconds"] >= 1800


def test_the_worker_beats_and_its_clean_stop_takes_the_beat_away(
        engine: Engine, platform: str) -> None:
    app = App(load_settings(settings("sqlite://", platform)), engine)
    jobs = Jobs(app, "beating")
    jobs.heartbeat()
    with engine.connect() as conn:
        first = heartbeats.latest(conn)
    assert first is not None and first.worker == "beating"
    jobs.heartbeat()
    with engine.connect() as conn:
        again = heartbeats.latest(conn)
    assert again is not None and again.started_at == first.started_at
    assert again.beat_at >= first.beat_at
    jobs.stopped()
    with engine.connect() as conn:
        assert heartbeats.latest(conn) is None


def test_the_start_up_cross_check_learns_and_warns_once(
        engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    url, stop = emulator(kind=UNVERIFIED_SUBSCRIPTION)
    try:
        app = App(load_settings(settings("sqlite://", url)), engine)
        with caplog.at_level(logging.INFO, logger="wxops.probe"):
            thread = probe.start_cross_check(app, probing_gateway)
            assert isinstance(thread, threading.Thread)
            thread.join(timeout=30)
    finally:
        stop()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "unverified-subscription" in warnings[0].getMessage()
    assert Capability.FREE_PUBLISH in app.learnt_capabilities().missing()


def test_the_start_up_cross_check_finds_a_kind_set_too_small(
        engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    """Set as an unverified subscription account, the account is a verified service
    one: the probe calls what the settings say it lacks, learns nothing missing,
    and says which kind fits."""
    url, stop = emulator()
    try:
        app = App(load_settings(settings("sqlite://", url, WXOPS_ACCOUNT_KIND="subscription",
                                         WXOPS_ACCOUNT_VERIFIED="0")), engine)
        fitting = probe.cross_check(app, probing_gateway(app))
    finally:
        stop()
    assert fitting is not None and VERIFIED_SERVICE in fitting
    assert app.learnt_capabilities().missing() == {}


def test_a_probe_through_a_gateway_that_asks_first_learns_nothing(engine: Engine) -> None:
    """Given the sender's gateway by mistake, the probe records no capability missing
    for a call it did not make."""
    url, stop = emulator()
    try:
        app = App(load_settings(settings("sqlite://", url, WXOPS_ACCOUNT_KIND="subscription",
                                         WXOPS_ACCOUNT_VERIFIED="0")), engine)
        probe.cross_check(app, make_gateway(app))
    finally:
        stop()
    assert app.learnt_capabilities().missing() == {}


def test_the_start_up_cross_check_never_stops_the_worker_when_wechat_is_away(
        engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    app = App(load_settings(settings("sqlite://", f"http://127.0.0.1:{free_port()}")), engine)
    thread = probe.start_cross_check(app, probing_gateway)
    assert thread is not None
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert any("capability probe at start-up skipped" in r.getMessage()
               for r in caplog.records)
    assert app.learnt_capabilities().missing() == {}


def test_beside_a_running_demo_its_server_is_the_one_checked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`wxops run --port 8181 --emulator-port 9191` on this database: doctor checks
    the emulator's account and the demo's server on those ports."""
    from bot import demo

    for name in [name for name in os.environ if name.startswith("WXOPS_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    demo.record_run("sqlite:///var/wxops.db", demo.DemoRun("127.0.0.1", 8181, 9191))
    settings, check = settings_check(load_settings)
    assert settings is not None and check.data["demo"]
    assert (settings.wechat_api_base, settings.public_url) == (
        "http://127.0.0.1:9191", "http://127.0.0.1:8181")


def test_the_demo_without_an_account_probes_nothing(engine: Engine) -> None:
    assert probe.start_cross_check(App(load_settings({}), engine), make_gateway) is None


@pytest.mark.parametrize(("ahead", "status", "problem"), [
    (0, "ok", "agrees"), (90, "warn", "off"), (-400, "fail", "far_off")])
def test_a_host_clock_off_from_the_database_servers_is_said(
        engine: Engine, ahead: int, status: str, problem: str) -> None:
    """This host's clock ``ahead`` seconds ahead of PostgreSQL's (the skew allowed:
    300 s by default); SQLite's clock is this host's."""
    url = engine.url.render_as_string(hide_password=False)
    app = App(load_settings({"WXOPS_DATABASE_URL": url}))
    check = clock_check(app, local=lambda: datetime.now(UTC) + timedelta(seconds=ahead))
    app.engine.dispose()
    if engine.dialect.name != "postgresql":
        assert (check.status.value, check.problem) == ("ok", "same_host")
        return
    assert (check.status.value, check.problem) == (status, problem)
    assert abs(check.data["offset_seconds"] + ahead) < 1
