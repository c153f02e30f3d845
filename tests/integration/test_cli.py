"""The `wxops` command line as a user runs it (exit codes, output, database
effects), in this process (tests.integration.clirun), which also reads how a
command failed by its code and data; a process each costs half a second or more.
What needs the process boundary runs as one: the entry point (--help) and a taken
port. Output is compared with the catalogue's words for the same data
(bot.cli_text.say), so a rewording does not ripple through here."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from bot.cli import Failure
from bot.cli_text import say
from handlers import texts
from storage.models import ContentItemRow
from tests.conftest import PgServer
from tests.integration.clirun import Ran, Wxops
from workflow.states import Event, State

WXOPS = [sys.executable, "-c", "from bot.cli import main; main()"]


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("WXOPS_")}
    full_env.update(env)
    full_env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return subprocess.run([*WXOPS, *args], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=60, check=False)


def test_a_session_at_the_command_line(engine_url: str, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    wxops = Wxops(monkeypatch, capsys, tmp_path, WXOPS_DATABASE_URL=engine_url)
    assert wxops("db", "upgrade").status == 0
    added = wxops("staff", "add", "李雷", "--role", "creator")
    assert added.out.startswith(say("staff", "added", member={"id": 1, "name": "李雷"},
                                    roles="creator"))
    invite = wxops("staff", "invite", "--role", "reviewer", "--name", "王芳")
    assert invite.status == 0 and len(code := invite.out.strip()) == 8
    assert f"绑定 {code}" in invite.err  # what the new member sends (the command word)
    planned = wxops("item", "plan", "冬季助学", "--as", "李雷")
    assert planned.status == 0
    assert planned.out == say("items", "planned", item_id=1, title="冬季助学",
                              due_on=None) + "\n"
    assert "冬季助学" in wxops("item", "list", "--state", "planned").out
    assert "冬季助学" in wxops("item", "list", "--state", "选题").out
    assert "冬季助学" not in wxops("item", "list", "--state", "已发布").out
    shown = wxops("item", "show", "1").out
    assert say("items", "body_length", item_id=1, length=0) in shown  # no text: how to add it
    assert "wxops item edit 1" in shown
    (tmp_path / "body.txt").write_text("第一段：义诊时间。\n\n第二段 <报名>\n请带身份证", "utf-8")
    edited = wxops("item", "edit", "1", "--as", "李雷", "--title", "冬季助学计划",
                   "--body-file", "body.txt")
    assert say("items", "edited", item_id=1, title="冬季助学计划", revision=2,
               state=State.PLANNED) in edited.out, edited.err
    assert stored_body(engine_url, 1) == ("<p>第一段：义诊时间。</p>"
                                          "<p>第二段 &lt;报名&gt;<br/>请带身份证</p>")
    shown = wxops("item", "show", "1").out
    assert say("items", "body_length", item_id=1, length=21) in shown  # no tags, no blanks
    opening = say("items", "opening", item_id=1,
                  opening="第一段：义诊时间。 第二段 <报名> 请带身份证")
    assert opening in shown  # the opening in one line, and how to read it all
    assert "item show 1 --full" in shown and "预览 1" in shown
    small = Wxops(monkeypatch, capsys, tmp_path, WXOPS_DATABASE_URL=engine_url,
                  WXOPS_ACCOUNT_KIND="subscription", WXOPS_ACCOUNT_VERIFIED="0")
    small_shown = small("item", "show", "1").out  # no phone preview on this kind: the link
    assert "「预览 1」得到预览网页的链接（本公众号不能发微信预览）" in small_shown
    assert "发到手机" not in small_shown
    wxops = Wxops(monkeypatch, capsys, tmp_path, WXOPS_DATABASE_URL=engine_url)
    full = wxops("item", "show", "1", "--full").out
    assert "第一段：义诊时间。\n第二段 <报名>\n请带身份证" in full
    too_long = wxops("item", "edit", "1", "--as", "李雷", "--digest", "摘" * 129)
    too_long_words = texts.phrase("errors", "too_long", field="digest", length=129, limit=128)
    assert too_long.status != 0 and too_long_words in too_long.err
    history = wxops("item", "history", "1").out
    assert f"李雷  {Event.PLAN.label}" in history
    listed = wxops("staff", "list").out
    assert "李雷" in listed and "creator" in listed
    assert wxops("staff", "remove", "李雷").status == 0
    assert "李雷" not in wxops("staff", "list").out


def stored_body(engine_url: str, item_id: int) -> str:
    engine = create_engine(engine_url)
    with engine.connect() as conn:
        body = conn.scalar(select(ContentItemRow.body).where(ContentItemRow.id == item_id))
    engine.dispose()
    return str(body)


@pytest.fixture
def wxops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
          capsys: pytest.CaptureFixture[str]) -> Wxops:
    """`wxops` in this process on a database of its own, upgraded."""
    cli = Wxops(monkeypatch, capsys, tmp_path, WXOPS_DATABASE_URL=f"sqlite:///{tmp_path / 'e.db'}")
    assert cli("db", "upgrade").status == 0
    return cli


def one_line_failure(ran: Ran) -> Failure:
    """A failure said in one line on stderr, with a non-zero status."""
    assert ran.failure is not None and ran.status == ran.failure.status != 0, ran.err
    assert len(ran.err.strip().splitlines()) == 1 and "Traceback" not in ran.err
    return ran.failure


@pytest.mark.parametrize(("args", "env", "code", "data"), [
    (["item", "show", "99"], {}, "item_not_found", {"item_id": 99}),
    (["staff", "add", "x", "--role", "boss"], {}, "unknown_role", {"name": "boss"}),
    (["staff", "add", "x", "--role", "admin", "--openid", "o x"], {}, "bad_openid",
     {"option": "--openid"}),
    # The chat's rule (成员 邀请) holds at the console too: one use case for both.
    (["staff", "invite", "--role", "admin", "--name", "名" * 65], {}, "name_too_long",
     {"limit": 64}),
    (["item", "plan", "标题", "--as", "nobody"], {}, "member_not_found", {"member": "nobody"}),
    (["config", "check"], {"WXOPS_TIMEZONE": "Mars/Base"}, "timezone_unknown",
     {"setting": "WXOPS_TIMEZONE", "name": "Mars/Base"}),
    (["config", "check"], {"WXOPS_ENCODING_AES_KEY": "x" * 42}, "aes_key_length",
     {"setting": "WXOPS_ENCODING_AES_KEY", "length": 42}),
    (["db", "downgrade", "nonsense"], {}, "revision_refused", {"revision": "nonsense"}),
    (["db", "upgrade", "--revision", "zzz"], {}, "revision_refused", {"revision": "zzz"}),
    (["emulator", "--state", "/proc/wxops/state.pickle"], {}, "no_folder",
     {"option": "--state", "folder": Path("/proc/wxops")}),
])
def test_errors_are_one_line_and_non_zero(wxops: Wxops, monkeypatch: pytest.MonkeyPatch,
                                          args: list[str], env: dict[str, str], code: str,
                                          data: dict[str, object]) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    failure = one_line_failure(wxops(*args))
    assert failure.code == code and data.items() <= failure.data.items(), failure


@pytest.mark.parametrize(("body", "fragment"), [
    ("收到 T{{ tiket_id }}", "tiket_id"),  # the unknown variable is named
    ("{{ 1/0 }}", "division by zero"),
    ("{{ '' }}", "600"),  # empty: the limit is given
])
def test_an_edited_text_that_cannot_be_saved_is_one_line(wxops: Wxops, body: str,
                                                          fragment: str) -> None:
    failure = one_line_failure(wxops("texts", "set", "ack", body))
    assert failure.code == "text_refused" and fragment in failure.data["detail"]


def test_a_refusal_is_printed_as_the_catalogue_words_it(wxops: Wxops) -> None:
    ran = wxops("item", "show", "99")
    assert ran.err == "wxops: 找不到稿件 99\n"
    ran = wxops("db", "downgrade", "nonsense")
    assert ran.err.startswith("wxops: 无法迁移到版本 nonsense：")


def test_a_body_file_that_is_not_utf8_is_one_line(wxops: Wxops, tmp_path: Path) -> None:
    wxops("staff", "add", "李雷", "--role", "creator")
    wxops("item", "plan", "冬季助学", "--as", "李雷")
    (tmp_path / "gbk.txt").write_bytes("义诊时间".encode("gbk"))
    failure = one_line_failure(wxops("item", "edit", "1", "--as", "李雷", "--body-file", "gbk.txt"))
    assert (failure.code, failure.data, failure.status) == (
        "body_not_utf8", {"option": "--body-file"}, 2)


def test_unreachable_database_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    wxops = Wxops(monkeypatch, capsys, tmp_path,
                  WXOPS_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:1/none")
    failure = one_line_failure(wxops("item", "list"))
    assert (failure.code, failure.status) == ("database_unreachable", 1)


def test_a_sqlite_file_that_is_not_there_is_named_and_not_made(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A mistyped path leaves no empty database (nor folder) behind; `db upgrade`
    still makes the file, and then the same commands work."""
    file = tmp_path / "typo" / "wxops.db"
    wxops = Wxops(monkeypatch, capsys, tmp_path, WXOPS_DATABASE_URL=f"sqlite:///{file}")
    for args in (("item", "list"), ("db", "current"), ("staff", "list")):
        failure = one_line_failure(wxops(*args))
        assert (failure.code, failure.data, failure.status) == (
            "database_file_missing", {"detail": str(file)}, 1), args
    assert not (tmp_path / "typo").exists()
    assert wxops("db", "upgrade").status == 0 and file.exists()
    assert wxops("item", "list").status == 0


def test_a_postgresql_database_that_does_not_exist_says_to_create_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        pg_server: PgServer) -> None:
    """Not "run wxops db upgrade", which cannot make a database (not even `db upgrade`
    itself said otherwise before)."""
    url = pg_server.admin.url.set(database="wxops_no_such_database").render_as_string(
        hide_password=False)
    wxops = Wxops(monkeypatch, capsys, tmp_path, WXOPS_DATABASE_URL=url)
    for args in (("db", "upgrade"), ("item", "list"), ("backup", "--out", "bk")):
        ran = wxops(*args)
        failure = one_line_failure(ran)
        assert (failure.code, failure.status) == ("database_missing", 1), args
        assert ran.err.startswith("wxops: 数据库不存在：") and "createdb" in ran.err


def test_help_works_even_with_a_broken_config(tmp_path: Path) -> None:
    for args in (["--help"], ["db", "upgrade", "--help"], ["staff", "invite", "--help"]):
        result = run(args, tmp_path, WXOPS_TIMEZONE="Nowhere")
        assert result.returncode == 0 and "Usage" in result.stdout


def test_config_check_masks_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    result = Wxops(monkeypatch, capsys, tmp_path, WXOPS_APP_SECRET="topsecret123456",
                   WXOPS_APP_ID="wxabc", WXOPS_TOKEN="secretToken2024")("config", "check")
    assert result.status == 0
    assert "topsecret123456" not in result.out and "WXOPS_APP_ID=wxabc" in result.out
    assert "secretToken2024" not in result.out


def test_a_taken_port_is_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken, socket.socket() as spare:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        spare.bind(("127.0.0.1", 0))
        port, free = str(taken.getsockname()[1]), str(spare.getsockname()[1])
        spare.close()
        for args, option in ((["serve", "--port", port], "--port"),
                             (["emulator", "--port", port], "--port"),
                             (["run", "--port", free, "--emulator-port", port], "--emulator-port")):
            result = run(args, tmp_path, WXOPS_DATABASE_URL=f"sqlite:///{tmp_path / 'p.db'}")
            assert result.returncode == 1, args
            assert result.stderr.count("\n") == 1 and f"127.0.0.1:{port}" in result.stderr
            assert option in result.stderr  # the option to change


def test_topics_are_planned_given_and_dated_at_the_command_line(wxops: Wxops,
                                                                tmp_path: Path) -> None:
    db = {"WXOPS_DATABASE_URL": f"sqlite:///{tmp_path / 'e.db'}"}
    for name, role in (("张敏", "admin"), ("李雷", "creator"), ("王芳", "reviewer")):
        wxops("staff", "add", name, "--role", role)
    planned = wxops("item", "plan", "冬季助学", "--as", "张敏", "--due", "2030-12-20")
    assert planned.status == 0, planned.err
    assert planned.out == say("items", "planned", item_id=1, title="冬季助学",
                              due_on=date(2030, 12, 20)) + "\n"
    assert stored(db, 1) == (1, date(2030, 12, 20))
    assert wxops("item", "assign", "1", "李雷", "--as", "张敏").status == 0
    assert stored(db, 1) == (2, date(2030, 12, 20))
    assert wxops("item", "due", "1", "无", "--as", "李雷").status == 0
    assert stored(db, 1) == (2, None)
    refused = {("item", "assign", "1", "王芳", "--as", "张敏"): "not_a_writer",
               ("item", "assign", "1", "张敏", "--as", "李雷"): "permission_denied",  # no admin
               ("item", "due", "1", "2020-01-01", "--as", "李雷"): "day_unknown",  # gone
               ("item", "due", "1", "周五 9:00", "--as", "李雷"): "day_unknown",  # a day, no time
               ("item", "plan", "x", "--as", "张敏", "--due", "下辈子"): "day_unknown"}
    for args, code in refused.items():
        assert one_line_failure(wxops(*args)).code == code, args
    assert stored(db, 1) == (2, None)
    unknown = wxops("item", "assign", "1", "没有这个人", "--as", "张敏")
    assert one_line_failure(unknown).code == "writer_unknown"
    assert "wxops staff list" in unknown.err  # at the command line, not only 「成员」


def stored(db: dict[str, str], item_id: int) -> tuple[int, date | None]:
    engine = create_engine(db["WXOPS_DATABASE_URL"])
    with engine.connect() as conn:
        row = conn.execute(select(ContentItemRow.author_id, ContentItemRow.due_on)
                           .where(ContentItemRow.id == item_id)).one()
    engine.dispose()
    return row.author_id, row.due_on
