"""Start-up as an operator meets it: a bad setting, an unmigrated database and a
typo in a variable's name each get one line; /healthz tells the schema's state."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, QueuePool, text

from bot.cli_text import say
from bot.config import ConfigError, load_settings
from bot.startup import require_current_schema
from bot.web import create_app
from bot.wiring import App
from storage import migrate
from storage.db import make_engine, sqlite_file
from tests.integration.clirun import Ran, Wxops
from tests.integration.test_cli import WXOPS

ROOT = Path(__file__).resolve().parents[2]
REAL = {"WXOPS_APP_ID": "wx5823bf96d3bd56c7", "WXOPS_APP_SECRET": "real-secret",
        "WXOPS_TOKEN": "wxopsStartToken"}


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return bounded([*WXOPS, *args], cwd, **env)


def bounded(command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """A process in a session of its own: a start-up that is not refused (a
    regression) is stopped with everything it started, and leaves no server behind."""
    process = subprocess.Popen(command, cwd=cwd, text=True, start_new_session=True,
                               env=_clean_env(**env, PYTHONPATH=str(ROOT)),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        stdout, stderr = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def _clean_env(**extra: str) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("WXOPS_")}, **extra}


def free_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


def start_up_commands() -> list[list[str]]:
    return [["config", "check"], ["serve", "--port", free_port()], ["worker"],
            ["worker", "--once"],
            ["run", "--port", free_port(), "--emulator-port", free_port()]]


def config_refusal(refused: ConfigError) -> str:
    """The line a start-up refused by a setting prints (the catalogue's words for it)."""
    return "wxops: " + say("errors", "config", detail=str(refused))


def schema_refusal(status: str, revision: str | None = None, head: str | None = None) -> str:
    """What a start-up on a database not at the head says (SchemaState.refusal)."""
    return say("errors", f"schema_{status}", revision=revision, head=head)


def head_of(url: str) -> str | None:
    """The migration head this code knows."""
    engine = make_engine(url)
    try:
        return migrate.head_revision(engine)
    finally:
        engine.dispose()


def one_line(result: subprocess.CompletedProcess[str] | Ran) -> str:
    err = result.err if isinstance(result, Ran) else result.stderr
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
         capsys: pytest.CaptureFixture[str]) -> Callable[..., Wxops]:
    """`wxops` in this process with the given settings, for the commands that start
    nothing (db upgrade, config check); those that start a server or a worker run
    as processes above, so a start-up that is not refused cannot hang the test."""
    return lambda **env: Wxops(monkeypatch, capsys, tmp_path, **env)


# --- a bad configuration stops every start-up, in one line, exit 2 ------------------------------


def test_a_config_file_that_is_not_utf8_stops_every_start_up(tmp_path: Path) -> None:
    config = tmp_path / "gbk.toml"
    config.write_bytes('complaint_words = "投诉,骗"\n'.encode("gbk"))
    env = {"WXOPS_CONFIG": str(config), "WXOPS_DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}"}
    for args in start_up_commands():
        result = run(args, tmp_path, **env)
        line = one_line(result)
        assert result.returncode == 2, args
        assert line == config_refusal(ConfigError("WXOPS_CONFIG", "config_not_utf8",
                                                  path=str(config), line=1)), args


@pytest.mark.parametrize(("env", "refused", "command"), [
    ({"WXOPS_APP_ID": "wx5823bf96d3bd56c7", "WXOPS_TOKEN": "wxopsStartToken"},
     ConfigError("WXOPS_APP_SECRET", "account_half", given="WXOPS_APP_ID"), "run"),
    ({"WXOPS_APP_SECRET": "real-secret", "WXOPS_TOKEN": "wxopsStartToken"},
     ConfigError("WXOPS_APP_ID", "account_half", given="WXOPS_APP_SECRET"), "run"),
    ({**REAL, "WXOPS_TOKEN": "wxops-demo-token"},
     ConfigError("WXOPS_TOKEN", "token_demo", token="wxops-demo-token"), "serve"),
    ({**REAL, "WXOPS_TOKEN": ""}, ConfigError("WXOPS_TOKEN", "token_missing"), "worker"),
    ({**REAL, "WXOPS_TOKEN": "my token"}, ConfigError("WXOPS_TOKEN", "token_chars"), "run"),
    ({"WXOPS_OUTBOX_BACKOFF_SECONDS": "nan"},
     ConfigError("WXOPS_OUTBOX_BACKOFF_SECONDS", "finite_number"), "worker"),
])
def test_an_unsafe_or_half_configured_account_is_refused(tmp_path: Path, env: dict[str, str],
                                                         refused: ConfigError,
                                                         command: str) -> None:
    """`wxops run` would otherwise start the emulator and demo data against what the
    operator takes for production, or serve pushes signed with a public Token."""
    env = {**env, "WXOPS_DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"}
    args = next(a for a in start_up_commands() if a[0] == command)
    result = run(args, tmp_path, **env)
    assert result.returncode == 2
    assert one_line(result) == config_refusal(refused)
    assert not (tmp_path / "a.db").exists()  # refused before anything was migrated or seeded


# --- the database must be at the migration head -------------------------------------------------


def test_serve_and_worker_refuse_a_database_that_was_never_migrated(
        engine_url: str, tmp_path: Path, here: Callable[..., Wxops]) -> None:
    env = {"WXOPS_DATABASE_URL": engine_url}
    file = sqlite_file(engine_url)
    if file is not None:  # not there yet: named, and not made
        result = run(["worker", "--once"], tmp_path, **env)
        assert result.returncode == 1 and not file.exists()
        assert one_line(result) == "wxops: " + say("errors", "database_file_missing",
                                                   detail=str(file))
    blank = make_engine(engine_url)  # there (a SQLite file made), never migrated
    blank.connect().close()
    blank.dispose()
    for args in (["serve", "--port", free_port()], ["worker"], ["worker", "--once"]):
        result = run(args, tmp_path, **env)
        assert result.returncode == 1, args
        assert one_line(result) == "wxops: " + schema_refusal("not_migrated"), args
    assert here(**env)("db", "upgrade").status == 0
    done = run(["worker", "--once"], tmp_path, **env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == say("outbox", "handled", count=0)


def test_serve_refuses_a_database_an_upgrade_behind(tmp_path: Path,
                                                    here: Callable[..., Wxops]) -> None:
    env = {"WXOPS_DATABASE_URL": f"sqlite:///{tmp_path / 'old.db'}"}
    assert here(**env)("db", "upgrade", "--revision", "0005").status == 0
    result = run(["serve", "--port", free_port()], tmp_path, **env)
    assert result.returncode == 1
    assert one_line(result) == "wxops: " + schema_refusal(
        "outdated", "0005", head_of(env["WXOPS_DATABASE_URL"]))
    assert "wxops db upgrade" in result.stderr  # what to do


def test_run_refuses_a_database_a_newer_wxops_upgraded_in_one_line(
        tmp_path: Path, here: Callable[..., Wxops]) -> None:
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    assert here(WXOPS_DATABASE_URL=url)("db", "upgrade").status == 0
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999x'"))
    engine.dispose()
    result = run(["run", "--port", free_port(), "--emulator-port", free_port()], tmp_path,
                 WXOPS_DATABASE_URL=url)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "9999x" in one_line(result)  # the revision it does not know
    refused = "wxops: " + say("errors", "revision_refused", revision="head", detail="")
    assert one_line(result).startswith(refused)  # an upgrade cannot go to it


def test_gunicorn_refuses_to_load_the_app_on_a_database_never_migrated(tmp_path: Path) -> None:
    result = bounded([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{free_port()}",
                      "--workers", "1", "bot.wsgi:app"],
                     tmp_path, WXOPS_DATABASE_URL=f"sqlite:///{tmp_path / 'w.db'}")
    assert result.returncode != 0
    refusals = [line for line in result.stderr.splitlines() if "CRITICAL wxops.wsgi" in line]
    assert len(refusals) == 1, result.stderr
    assert refusals[0].endswith(schema_refusal("not_migrated")), result.stderr
    assert "App failed to load" in result.stderr and "Traceback" not in result.stderr


# --- WXOPS_* variables that are not settings ----------------------------------------------------


def test_a_misspelled_variable_is_one_warning_with_a_suggestion(
        tmp_path: Path, here: Callable[..., Wxops]) -> None:
    env = {"WXOPS_MAX_CLOCKSKEW": "5", "WXOPS_DATABASE_URL": f"sqlite:///{tmp_path / 't.db'}"}
    checked = here(**env)("config", "check")
    assert checked.status == 0
    warning = say("config", "warning", line=say("settings", "unknown_variable",
                                                name="WXOPS_MAX_CLOCKSKEW",
                                                close="WXOPS_MAX_CLOCK_SKEW"))
    assert one_line(checked) == warning
    assert "WXOPS_MAX_CLOCK_SKEW=300" in checked.out  # ignored, as it says
    for args in (["serve", "--port", free_port()], ["worker", "--once"]):
        lines = run(args, tmp_path, **env).stderr.strip().splitlines()
        assert lines[0] == warning and "wxops db upgrade" in lines[1], args


def test_test_only_variables_are_not_warned_about(here: Callable[..., Wxops]) -> None:
    env = {"WXOPS_TEST_DATABASE_URL": "x", "WXOPS_TEST_REQUIRE_POSTGRES": "1",
           "WXOPS_BENCH_SEPARATE_DB": "1", "WXOPS_REGENERATE_DOCS": "1",
           "WXOPS_TEST_CRASH_AFTER_SEND": "custom_text"}
    result = here(**env)("config", "check")
    assert result.status == 0 and result.err == ""


# --- `wxops config check` shows what the demo really runs with ----------------------------------


def shown(stdout: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in stdout.splitlines() if not line.startswith("#"))


def test_config_check_shows_the_values_the_demo_runs_with(here: Callable[..., Wxops]) -> None:
    result = here()("config", "check")
    assert result.status == 0, result.err
    values = shown(result.out)
    marked = say("config", "setting", name="X", value="", by_demo=True).removeprefix("X=")
    assert values["WXOPS_WECHAT_API_BASE"] == "http://127.0.0.1:9090" + marked
    assert values["WXOPS_ENCODING_AES_KEY"].endswith(marked)
    assert len(values["WXOPS_ENCODING_AES_KEY"].removesuffix(marked)) == 43  # masked, not empty
    assert values["WXOPS_APP_ID"] == "wx0000000000demo" + marked
    assert result.out.splitlines()[-1] == say("config", "valid", demo=True)


def test_config_check_beside_a_running_demo_marks_what_it_runs_with(
        here: Callable[..., Wxops]) -> None:
    """`wxops run --port 8181 --emulator-port 9191` running on this database: the
    demo's values on those ports, marked, and the demo named (it read as a real
    account's settings, nothing marked, before)."""
    from bot import demo

    check = here()
    demo.record_run("sqlite:///var/wxops.db", demo.DemoRun("127.0.0.1", 8181, 9191))
    result = check("config", "check")
    assert result.status == 0, result.err
    values = shown(result.out)
    marked = say("config", "setting", name="X", value="", by_demo=True).removeprefix("X=")
    assert values["WXOPS_WECHAT_API_BASE"] == "http://127.0.0.1:9191" + marked
    assert values["WXOPS_PUBLIC_URL"] == "http://127.0.0.1:8181" + marked
    assert values["WXOPS_APP_ID"] == "wx0000000000demo" + marked
    assert result.out.splitlines()[-1] == say("config", "valid", demo=True)


def test_config_check_of_a_real_account_marks_nothing(here: Callable[..., Wxops]) -> None:
    result = here(**REAL)("config", "check")
    assert result.status == 0, result.err
    marked = say("config", "setting", name="X", value="", by_demo=True).removeprefix("X=")
    assert marked not in result.out and "wxopsStartToken" not in result.out
    assert shown(result.out)["WXOPS_WECHAT_API_BASE"] == "https://api.weixin.qq.com"
    assert result.out.splitlines()[-1] == say("config", "valid", demo=False)


# --- /healthz -----------------------------------------------------------------------------------


def healthz(database_url: str) -> tuple[str, dict[str, Any]]:
    engine = make_engine(database_url)
    app = create_app(App(settings=load_settings({"WXOPS_DATABASE_URL": database_url}),
                         engine=engine))
    statuses: list[str] = []
    body = b"".join(app({"PATH_INFO": "/healthz", "REQUEST_METHOD": "GET"},
                        lambda status, headers: statuses.append(status)))
    engine.dispose()
    return statuses[0], json.loads(body)


def test_healthz_reports_the_schema_state(empty_database_url: str) -> None:
    status, report = healthz(empty_database_url)
    assert status.startswith("503") and report["schema"] == "not_migrated"
    assert report["database"] == "ok" and "wxops db upgrade" in report["hint"]
    engine = make_engine(empty_database_url)
    migrate.upgrade(engine, "0005")
    status, report = healthz(empty_database_url)
    assert status.startswith("503")
    assert (report["schema"], report["schema_revision"]) == ("outdated", "0005")
    migrate.upgrade(engine)
    head = migrate.head_revision(engine)
    status, report = healthz(empty_database_url)
    assert status == "200 OK" and report == {"status": "ok", "database": "ok", "schema": "ok",
                                             "schema_revision": head, "schema_head": head,
                                             "inbound_failed": 0, "inbound_retrying": 0}
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    engine.dispose()
    status, report = healthz(empty_database_url)
    assert status.startswith("503") and report["schema"] == "unrecognised"


def test_healthz_reports_an_unreachable_database() -> None:
    status, report = healthz("postgresql+psycopg://postgres@127.0.0.1:1/none")
    assert status.startswith("503")
    assert (report["database"], report["schema"]) == ("unreachable", "unchecked")


def test_the_start_up_check_keeps_no_connection_for_gunicorns_workers(engine: Engine) -> None:
    """`wxops serve` checks in the gunicorn master, which then forks the workers: a
    pooled connection would be shared by all of them (pushes then failed with 503)."""
    with engine.connect() as conn:  # a connection in the pool, as the check leaves one
        conn.execute(text("SELECT 1"))
    require_current_schema(engine)
    pool = engine.pool
    assert isinstance(pool, QueuePool) and pool.checkedin() == 0
