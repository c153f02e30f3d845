"""`wxops rules` run as a user runs it (a process, exit codes, output), and in this
process where a test reads a refusal's code and data. Output is compared with
the catalogue's words (bot.cli_text.say) for the rules the commands made."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from datetime import time
from pathlib import Path

import pytest

from bot.cli_text import say
from tests.integration.clirun import Wxops
from workflow.autoreply import Article, MatchType, ReplyKind, Rule

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


DONATE = Rule(1, MatchType.CONTAINS, "捐款", 5, True, None, None, ReplyKind.TEXT,
              "感谢支持！捐款方式见菜单。", ())
NIGHT = Rule(2, MatchType.CONTAINS, "捐款", 9, True, time(22), time(6), ReplyKind.TEXT,
             "夜间请留言", ())


def answered(at: time, rule: Rule | None) -> str:
    """What `rules test` prints: the rule that answers at that time, and its reply."""
    lines = [say("rules", "tested", when=at, rule=rule)]
    if rule is not None:
        lines.append(say("rules", "reply", rule=rule, news=rule.reply_kind is ReplyKind.NEWS))
    return "\n".join(lines) + "\n"


def test_rules_at_the_command_line(engine_url: str, tmp_path: Path) -> None:
    env = {"WXOPS_DATABASE_URL": engine_url}
    assert run(["db", "upgrade"], tmp_path, **env).returncode == 0
    assert run(["rules", "list"], tmp_path, **env).stdout == say("rules", "empty") + "\n"
    added = run(["rules", "add", "--contains", "捐款", "--reply", "感谢支持！捐款方式见菜单。",
                 "--priority", "5"], tmp_path, **env)
    assert added.returncode == 0 and added.stdout == say("rules", "added", rule=DONATE) + "\n"
    night = run(["rules", "add", "--contains", "捐款", "--reply", "夜间请留言", "--priority", "9",
                 "--hours", "22:00-06:00"], tmp_path, **env)
    assert night.stdout == say("rules", "added", rule=NIGHT) + "\n"
    assert "22:00-06:00" in night.stdout  # the hours are shown

    hit = run(["rules", "test", "我想捐款", "--at", "12:00"], tmp_path, **env)
    assert hit.returncode == 0 and hit.stdout == answered(time(12), DONATE)
    assert run(["rules", "test", "我想捐款", "--at", "23:30"], tmp_path,
               **env).stdout == answered(time(23, 30), NIGHT)
    miss = run(["rules", "test", "你好", "--at", "12:00"], tmp_path, **env)
    assert miss.returncode == 0 and miss.stdout == answered(time(12), None)

    listed = run(["rules", "list"], tmp_path, **env).stdout.splitlines()
    assert [line.split()[0] for line in listed] == ["2", "1"]  # the order they are tried
    # `test` counts no hits
    assert listed[1] == say("rules", "row", rule=DONATE, summary="感谢支持！捐款方式见菜单。")
    removed = run(["rules", "remove", "1"], tmp_path, **env)
    assert removed.returncode == 0 and removed.stdout == say("rules", "removed", rule=DONATE) + "\n"
    assert run(["rules", "test", "我想捐款", "--at", "12:00"], tmp_path,
               **env).stdout == answered(time(12), None)


NEWS = Rule(1, MatchType.CLICK, "MENU_NEWS", 0, True, None, None, ReplyKind.NEWS, "", (
    Article("冬季助学", "为山区孩子送去冬衣", "https://example.org/a", "https://e.org/p"),
    Article("志愿者招募", "", "https://example.org/v", "")))


def test_menu_click_news_reply(tmp_path: Path) -> None:
    env = {"WXOPS_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}
    run(["db", "upgrade"], tmp_path, **env)
    added = run(["rules", "add", "--click", "MENU_NEWS",
                 "--article", "冬季助学|为山区孩子送去冬衣|https://example.org/a|https://e.org/p",
                 "--article", "志愿者招募||https://example.org/v"], tmp_path, **env)
    assert added.returncode == 0, added.stderr
    shown = run(["rules", "test", "--click", "MENU_NEWS", "--at", "12:00"], tmp_path, **env)
    assert shown.stdout == answered(time(12), NEWS)  # both articles, with their links
    assert run(["rules", "test", "MENU_NEWS", "--at", "12:00"], tmp_path,
               **env).stdout == answered(time(12), None)  # a click key is not a keyword
    assert run(["rules", "disable", "1"], tmp_path, **env).returncode == 0
    [line] = run(["rules", "list"], tmp_path, **env).stdout.splitlines()
    assert line == say("rules", "row", rule=replace(NEWS, active=False),
                       summary=say("rules", "news_summary", articles=NEWS.articles))


def test_a_rule_and_its_reply_read_as_the_catalogue_words_them() -> None:
    assert say("rules", "added", rule=NIGHT) == (
        "已添加规则 2：包含「捐款」 优先级 9 时段 22:00-06:00")
    assert answered(time(12), NEWS) == (
        "12:00 命中规则 1：菜单点击「MENU_NEWS」 优先级 0\n回复图文 2 篇：\n"
        "  1. 冬季助学  https://example.org/a\n     为山区孩子送去冬衣\n"
        "  2. 志愿者招募  https://example.org/v\n")
    assert answered(time(9), None) == "09:00 没有规则匹配：这条消息会进入人工回复队列\n"


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One migrated SQLite file for the refusals, which change nothing."""
    path = tmp_path_factory.mktemp("refusals")
    env = {"WXOPS_DATABASE_URL": f"sqlite:///{path / 'e.db'}"}
    assert run(["db", "upgrade"], path, **env).returncode == 0
    return env


@pytest.mark.parametrize(("args", "code", "data"), [
    (["add", "--regex", "(a", "--reply", "x"], "rule_refused",
     {"problem": "regex", "text": "missing )"}),
    (["add", "--regex", "a" * 201, "--reply", "x"], "rule_refused",
     {"problem": "pattern_long", "limit": 200}),
    (["add", "--exact", "a", "--contains", "b", "--reply", "x"], "one_pattern", {}),
    (["add", "--exact", "a"], "reply_or_articles", {}),
    (["add", "--exact", "a", "--reply", "x", "--hours", "9点到18点"], "rule_refused",
     {"problem": "hours_format", "text": "9点到18点"}),
    (["add", "--click", "K", "--article", "标题|描述|ftp://x"], "rule_refused",
     {"problem": "article_url", "number": 1}),
    (["add", "--click", "K", *["--article", "t|d|https://e.org"] * 9], "rule_refused",
     {"problem": "articles_count", "limit": 8}),
    (["remove", "42"], "rule_not_found", {"rule_id": 42}),
    (["test"], "test_text_or_click", {}),
    (["test", "hi", "--at", "25:00"], "rule_refused", {"problem": "clock_range", "text": "25:00"}),
])
def test_bad_input_is_one_line_and_non_zero(upgraded: dict[str, str], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str], args: list[str],
                                            code: str, data: dict[str, object]) -> None:
    ran = Wxops(monkeypatch, capsys, tmp_path, **upgraded)("rules", *args)
    assert ran.status == 1 and ran.code == code and data.items() <= ran.data.items(), ran
    assert len(ran.err.strip().splitlines()) == 1 and "Traceback" not in ran.err
    assert ran.out == ""  # nothing added
