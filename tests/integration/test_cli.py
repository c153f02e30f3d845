"""The `wxops` command line, run as a user runs it: a process, exit codes, output."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from storage.models import ContentItemRow

WXOPS = [sys.executable, "-c", "from bot.cli import main; main()"]


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("WXOPS_")}
    full_env.update(env)
    full_env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return subprocess.run([*WXOPS, *args], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=60, check=False)


def test_a_session_at_the_command_line(engine_url: str, tmp_path: Path) -> None:
    env = {"WXOPS_DATABASE_URL": engine_url}
    assert run(["db", "upgrade"], tmp_path, **env).returncode == 0
    added = run(["staff", "add", "李雷", "--role", "creator"], tmp_path, **env)
    assert "已添加成员" in added.stdout
    invite = run(["staff", "invite", "--role", "reviewer", "--name", "王芳"], tmp_path, **env)
    assert invite.returncode == 0 and len(invite.stdout.strip()) == 8
    assert "绑定" in invite.stderr
    planned = run(["item", "plan", "冬季助学", "--as", "李雷"], tmp_path, **env)
    assert planned.returncode == 0 and "已创建选题 1" in planned.stdout
    assert "冬季助学" in run(["item", "list", "--state", "planned"], tmp_path, **env).stdout
    assert "冬季助学" in run(["item", "list", "--state", "选题"], tmp_path, **env).stdout
    assert "冬季助学" not in run(["item", "list", "--state", "已发布"], tmp_path, **env).stdout
    shown = run(["item", "show", "1"], tmp_path, **env).stdout
    assert "选题" in shown and "wxops item edit 1" in shown  # no text yet: how to add it
    (tmp_path / "body.txt").write_text("第一段：义诊时间。\n\n第二段 <报名>\n请带身份证", "utf-8")
    edited = run(["item", "edit", "1", "--as", "李雷", "--title", "冬季助学计划",
                  "--body-file", "body.txt"], tmp_path, **env)
    assert "已修改稿件 1《冬季助学计划》：版本 r2，状态 选题" in edited.stdout, edited.stderr
    assert stored_body(engine_url, 1) == ("<p>第一段：义诊时间。</p>"
                                          "<p>第二段 &lt;报名&gt;<br/>请带身份证</p>")
    shown = run(["item", "show", "1"], tmp_path, **env).stdout
    assert "21 字" in shown  # what a reader sees: no tags, no blanks
    assert "第一段：义诊时间。 第二段 <报名> 请带身份证" in shown  # the opening, one line
    assert "item show 1 --full" in shown and "预览 1" in shown  # how to read it all
    full = run(["item", "show", "1", "--full"], tmp_path, **env).stdout
    assert "第一段：义诊时间。\n第二段 <报名>\n请带身份证" in full
    too_long = run(["item", "edit", "1", "--as", "李雷", "--digest", "摘" * 129], tmp_path, **env)
    assert too_long.returncode != 0 and "摘要太长（129 字）" in too_long.stderr
    assert "李雷  新建选题" in run(["item", "history", "1"], tmp_path, **env).stdout
    listed = run(["staff", "list"], tmp_path, **env).stdout
    assert "李雷" in listed and "creator" in listed
    assert run(["staff", "remove", "李雷"], tmp_path, **env).returncode == 0
    assert "李雷" not in run(["staff", "list"], tmp_path, **env).stdout


def stored_body(engine_url: str, item_id: int) -> str:
    engine = create_engine(engine_url)
    with engine.connect() as conn:
        body = conn.scalar(select(ContentItemRow.body).where(ContentItemRow.id == item_id))
    engine.dispose()
    return str(body)


@pytest.mark.parametrize(("args", "env", "fragment"), [
    (["item", "show", "99"], {}, "找不到稿件 99"),
    (["staff", "add", "x", "--role", "boss"], {}, "未知角色"),
    (["staff", "add", "x", "--role", "admin", "--openid", "o x"], {}, "不含空白"),
    # The chat's rule (成员 邀请) holds at the console too: one use case for both.
    (["staff", "invite", "--role", "admin", "--name", "名" * 65], {}, "不能超过 64 个字符"),
    (["item", "plan", "标题", "--as", "nobody"], {}, "找不到成员"),
    (["config", "check"], {"WXOPS_TIMEZONE": "Mars/Base"}, "WXOPS_TIMEZONE"),
    (["config", "check"], {"WXOPS_ENCODING_AES_KEY": "x" * 42}, "43"),
    (["texts", "set", "ack", "收到 T{{ tiket_id }}"], {}, "可用的变量：ticket_id"),
    (["texts", "set", "welcome", "{{ 1/0 }}"], {}, "模板有误"),
    (["texts", "set", "welcome", "{{ '' }}"], {}, "不能为空"),
    (["db", "downgrade", "nonsense"], {}, "无法迁移到版本 nonsense"),
    (["db", "upgrade", "--revision", "zzz"], {}, "无法迁移到版本 zzz"),
    (["emulator", "--state", "/proc/wxops/state.pickle"], {}, "无法创建目录 /proc/wxops"),
])
def test_errors_are_one_line_and_non_zero(tmp_path: Path, args: list[str],
                                          env: dict[str, str], fragment: str) -> None:
    db = {"WXOPS_DATABASE_URL": f"sqlite:///{tmp_path / 'e.db'}"}
    run(["db", "upgrade"], tmp_path, **db)
    result = run(args, tmp_path, **(db | env))
    assert result.returncode != 0
    assert fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_a_body_file_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    db = {"WXOPS_DATABASE_URL": f"sqlite:///{tmp_path / 'e.db'}"}
    run(["db", "upgrade"], tmp_path, **db)
    run(["staff", "add", "李雷", "--role", "creator"], tmp_path, **db)
    run(["item", "plan", "冬季助学", "--as", "李雷"], tmp_path, **db)
    (tmp_path / "gbk.txt").write_bytes("义诊时间".encode("gbk"))
    result = run(["item", "edit", "1", "--as", "李雷", "--body-file", "gbk.txt"], tmp_path, **db)
    assert result.returncode != 0 and "不是 UTF-8 编码的文本" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_unreachable_database_is_one_line(tmp_path: Path) -> None:
    result = run(["item", "list"], tmp_path,
                 WXOPS_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:1/none")
    assert result.returncode == 1 and "无法连接数据库" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_help_works_even_with_a_broken_config(tmp_path: Path) -> None:
    for args in (["--help"], ["db", "upgrade", "--help"], ["staff", "invite", "--help"]):
        result = run(args, tmp_path, WXOPS_TIMEZONE="Nowhere")
        assert result.returncode == 0 and "Usage" in result.stdout


def test_config_check_masks_secrets(tmp_path: Path) -> None:
    result = run(["config", "check"], tmp_path, WXOPS_APP_SECRET="topsecret123456",
                 WXOPS_APP_ID="wxabc", WXOPS_TOKEN="secretToken2024")
    assert result.returncode == 0
    assert "topsecret123456" not in result.stdout and "WXOPS_APP_ID=wxabc" in result.stdout
    assert "secretToken2024" not in result.stdout


def test_a_taken_port_is_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken, socket.socket() as spare:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        spare.bind(("127.0.0.1", 0))
        port, free = str(taken.getsockname()[1]), str(spare.getsockname()[1])
        spare.close()
        for args in (["serve", "--port", port], ["emulator", "--port", port],
                     ["run", "--port", free, "--emulator-port", port]):
            result = run(args, tmp_path, WXOPS_DATABASE_URL=f"sqlite:///{tmp_path / 'p.db'}")
            assert result.returncode == 1, args
            assert result.stderr.count("\n") == 1 and f"127.0.0.1:{port}" in result.stderr


def test_topics_are_planned_given_and_dated_at_the_command_line(tmp_path: Path) -> None:
    db = {"WXOPS_DATABASE_URL": f"sqlite:///{tmp_path / 'e.db'}"}
    run(["db", "upgrade"], tmp_path, **db)
    for name, role in (("张敏", "admin"), ("李雷", "creator"), ("王芳", "reviewer")):
        run(["staff", "add", name, "--role", role], tmp_path, **db)
    planned = run(["item", "plan", "冬季助学", "--as", "张敏", "--due", "2030-12-20"], tmp_path,
                  **db)
    assert planned.returncode == 0, planned.stderr
    assert stored(db, 1) == (1, date(2030, 12, 20))
    assert run(["item", "assign", "1", "李雷", "--as", "张敏"], tmp_path, **db).returncode == 0
    assert stored(db, 1) == (2, date(2030, 12, 20))
    assert run(["item", "due", "1", "无", "--as", "李雷"], tmp_path, **db).returncode == 0
    assert stored(db, 1) == (2, None)
    refused = [run(["item", "assign", "1", "王芳", "--as", "张敏"], tmp_path, **db),  # no writer
               run(["item", "assign", "1", "张敏", "--as", "李雷"], tmp_path, **db),  # no admin
               run(["item", "due", "1", "2020-01-01", "--as", "李雷"], tmp_path, **db),
               run(["item", "due", "1", "周五 9:00", "--as", "李雷"], tmp_path, **db),
               run(["item", "plan", "x", "--as", "张敏", "--due", "下辈子"], tmp_path, **db)]
    for result in refused:
        assert result.returncode != 0 and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert stored(db, 1) == (2, None)


def stored(db: dict[str, str], item_id: int) -> tuple[int, date | None]:
    engine = create_engine(db["WXOPS_DATABASE_URL"])
    with engine.connect() as conn:
        row = conn.execute(select(ContentItemRow.author_id, ContentItemRow.due_on)
                           .where(ContentItemRow.id == item_id)).one()
    engine.dispose()
    return row.author_id, row.due_on
