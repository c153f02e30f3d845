"""`wxops rules` run as a user runs it: a process, exit codes, output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Registers the group itself, so the test does not depend on bot/cli.py doing it;
# register() is idempotent, so it also works once main() registers it too.
WXOPS = [sys.executable, "-c",
         "from bot.cli import cli, main; from bot.cli_rules import register; register(cli); main()"]


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("WXOPS_")}
    full_env.update(env)
    full_env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return subprocess.run([*WXOPS, *args], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=60, check=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cli.db'}"
    return str(request.getfixturevalue("pg_server").create())


def test_rules_at_the_command_line(engine_url: str, tmp_path: Path) -> None:
    env = {"WXOPS_DATABASE_URL": engine_url}
    assert run(["db", "upgrade"], tmp_path, **env).returncode == 0
    assert "还没有自动回复规则" in run(["rules", "list"], tmp_path, **env).stdout
    added = run(["rules", "add", "--contains", "捐款", "--reply", "感谢支持！捐款方式见菜单。",
                 "--priority", "5"], tmp_path, **env)
    assert added.returncode == 0 and "已添加规则 1" in added.stdout
    night = run(["rules", "add", "--contains", "捐款", "--reply", "夜间请留言", "--priority", "9",
                 "--hours", "22:00-06:00"], tmp_path, **env)
    assert "已添加规则 2" in night.stdout and "22:00-06:00" in night.stdout

    hit = run(["rules", "test", "我想捐款", "--at", "12:00"], tmp_path, **env)
    assert hit.returncode == 0 and "命中规则 1" in hit.stdout and "感谢支持" in hit.stdout
    assert "命中规则 2" in run(["rules", "test", "我想捐款", "--at", "23:30"], tmp_path,
                              **env).stdout
    miss = run(["rules", "test", "你好"], tmp_path, **env)
    assert miss.returncode == 0 and "人工回复队列" in miss.stdout

    listed = run(["rules", "list"], tmp_path, **env).stdout.splitlines()
    assert [line.split()[0] for line in listed] == ["2", "1"]  # the order they are tried
    assert "包含「捐款」" in listed[1] and "命中 0 次" in listed[1]  # `test` counts no hits
    removed = run(["rules", "remove", "1"], tmp_path, **env)
    assert removed.returncode == 0 and "已删除规则 1" in removed.stdout
    assert "人工回复队列" in run(["rules", "test", "我想捐款", "--at", "12:00"], tmp_path,
                               **env).stdout


def test_menu_click_news_reply(tmp_path: Path) -> None:
    env = {"WXOPS_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}
    run(["db", "upgrade"], tmp_path, **env)
    added = run(["rules", "add", "--click", "MENU_NEWS",
                 "--article", "冬季助学|为山区孩子送去冬衣|https://example.org/a|https://e.org/p",
                 "--article", "志愿者招募||https://example.org/v"], tmp_path, **env)
    assert added.returncode == 0, added.stderr
    tested = run(["rules", "test", "--click", "MENU_NEWS"], tmp_path, **env).stdout
    assert "图文 2 篇" in tested and "https://example.org/v" in tested
    assert "人工回复队列" in run(["rules", "test", "MENU_NEWS"], tmp_path, **env).stdout
    assert run(["rules", "disable", "1"], tmp_path, **env).returncode == 0
    assert "[已停用]" in run(["rules", "list"], tmp_path, **env).stdout


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One migrated SQLite file for the refusals, which change nothing."""
    path = tmp_path_factory.mktemp("refusals")
    env = {"WXOPS_DATABASE_URL": f"sqlite:///{path / 'e.db'}"}
    assert run(["db", "upgrade"], path, **env).returncode == 0
    return env


@pytest.mark.parametrize(("args", "fragment"), [
    (["add", "--regex", "(a", "--reply", "x"], "正则表达式无效"),
    (["add", "--regex", "a" * 201, "--reply", "x"], "200"),
    (["add", "--exact", "a", "--contains", "b", "--reply", "x"], "恰好选一个"),
    (["add", "--exact", "a"], "二选一"),
    (["add", "--exact", "a", "--reply", "x", "--hours", "9点到18点"], "09:00-18:00"),
    (["add", "--click", "K", "--article", "标题|描述|ftp://x"], "http"),
    (["add", "--click", "K", *["--article", "t|d|https://e.org"] * 9], "1 到 8"),
    (["remove", "42"], "找不到规则 42"),
    (["test"], "二选一"),
    (["test", "hi", "--at", "25:00"], "超出范围"),
])
def test_bad_input_is_one_line_and_non_zero(upgraded: dict[str, str], tmp_path: Path,
                                            args: list[str], fragment: str) -> None:
    result = run(["rules", *args], tmp_path, **upgraded)
    assert result.returncode == 1
    assert fragment in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert "已添加" not in result.stdout
