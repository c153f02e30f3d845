"""`wxops rules` as a user runs it (exit codes, output), in this process
(tests.integration.clirun), which also reads a refusal's code and data. Output is
compared with the catalogue's words (bot.cli_text.say) for the rules the commands
made."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time
from pathlib import Path

import pytest
from sqlalchemy import insert

from bot.cli import run
from bot.cli_text import say
from storage.db import make_engine
from storage.models import AutoReplyRule
from tests.integration.clirun import Wxops
from workflow.autoreply import Article, MatchType, ReplyKind, Rule


@pytest.fixture
def wxops(engine_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
          capsys: pytest.CaptureFixture[str]) -> Wxops:
    """`wxops` in this process on a fresh database of each engine."""
    return Wxops(monkeypatch, capsys, tmp_path, WXOPS_DATABASE_URL=engine_url)


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


def test_rules_at_the_command_line(wxops: Wxops) -> None:
    assert wxops("db", "upgrade").status == 0
    assert wxops("rules", "list").out == say("rules", "empty") + "\n"
    added = wxops("rules", "add", "--contains", "捐款", "--reply", "感谢支持！捐款方式见菜单。",
                  "--priority", "5")
    assert added.status == 0 and added.out == say("rules", "added", rule=DONATE) + "\n"
    night = wxops("rules", "add", "--contains", "捐款", "--reply", "夜间请留言", "--priority", "9",
                  "--hours", "22:00-06:00")
    assert night.out == say("rules", "added", rule=NIGHT) + "\n"
    assert "22:00-06:00" in night.out  # the hours are shown

    hit = wxops("rules", "test", "我想捐款", "--at", "12:00")
    assert hit.status == 0 and hit.out == answered(time(12), DONATE)
    assert wxops("rules", "test", "我想捐款", "--at", "23:30").out == answered(time(23, 30), NIGHT)
    miss = wxops("rules", "test", "你好", "--at", "12:00")
    assert miss.status == 0 and miss.out == answered(time(12), None)

    listed = wxops("rules", "list").out.splitlines()
    assert [line.split()[0] for line in listed] == ["2", "1"]  # the order they are tried
    # `test` counts no hits
    assert listed[1] == say("rules", "row", rule=DONATE, summary="感谢支持！捐款方式见菜单。")
    removed = wxops("rules", "remove", "1")
    assert removed.status == 0 and removed.out == say("rules", "removed", rule=DONATE) + "\n"
    assert wxops("rules", "test", "我想捐款", "--at", "12:00").out == answered(time(12), None)


def test_a_rule_saved_with_a_reply_wechat_would_not_show_is_marked_and_answers_nobody(
        wxops: Wxops, engine_url: str) -> None:
    """Saved while the limit counted characters (700 汉字: 2,100 bytes): the list
    says why it is not used, and a message it would have answered goes to the queue."""
    assert wxops("db", "upgrade").status == 0
    engine = make_engine(engine_url)
    with engine.begin() as conn:
        conn.execute(insert(AutoReplyRule).values(
            match_type="contains", pattern="活动", reply_type="text", reply_text="长" * 700,
            created_at=datetime.now(UTC)))
    engine.dispose()
    (line,) = wxops("rules", "list").out.splitlines()
    assert "2000 字节" in line
    assert wxops("rules", "test", "活动安排", "--at", "12:00").out == answered(time(12), None)


NEWS = Rule(1, MatchType.CLICK, "MENU_NEWS", 0, True, None, None, ReplyKind.NEWS, "", (
    Article("冬季助学", "为山区孩子送去冬衣", "https://example.org/a", "https://e.org/p"),
    Article("志愿者招募", "", "https://example.org/v", "")))


def test_menu_click_news_reply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    wxops = Wxops(monkeypatch, capsys, tmp_path,
                  WXOPS_DATABASE_URL=f"sqlite:///{tmp_path / 'c.db'}")
    assert wxops("db", "upgrade").status == 0
    added = wxops("rules", "add", "--click", "MENU_NEWS",
                  "--article", "冬季助学|为山区孩子送去冬衣|https://example.org/a|https://e.org/p",
                  "--article", "志愿者招募||https://example.org/v")
    assert added.status == 0, added.err
    shown = wxops("rules", "test", "--click", "MENU_NEWS", "--at", "12:00")
    assert shown.out == answered(time(12), NEWS)  # both articles, with their links
    assert wxops("rules", "test", "MENU_NEWS", "--at", "12:00").out == answered(
        time(12), None)  # a click key is not a keyword
    assert wxops("rules", "disable", "1").status == 0
    [line] = wxops("rules", "list").out.splitlines()
    assert line == say("rules", "row", rule=replace(NEWS, active=False),
                       summary=say("rules", "news_summary", articles=NEWS.articles))


def test_a_click_rule_on_an_account_without_menus_says_it_cannot_fire(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Kept (the account may get menus), but the admin reads that no follower
    can click it now, and what to use instead; a keyword rule says nothing."""
    wxops = Wxops(monkeypatch, capsys, tmp_path,
                  WXOPS_DATABASE_URL=f"sqlite:///{tmp_path / 'c.db'}",
                  WXOPS_ACCOUNT_KIND="subscription", WXOPS_ACCOUNT_VERIFIED="0")
    assert wxops("db", "upgrade").status == 0
    added = wxops("rules", "add", "--click", "CONTACT", "--reply", "电话 010-12345678")
    assert added.status == 0, added.err
    first, warning = added.out.splitlines()
    assert first.startswith("已添加规则 1：")
    assert warning.startswith("注意：本公众号（未认证的订阅号）没有「自定义菜单」接口")
    assert "不会被触发" in warning and "规则 添加" in warning
    keyword = wxops("rules", "add", "--exact", "地址", "--reply", "幸福路 8 号")
    assert len(keyword.out.splitlines()) == 1


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
    url = f"sqlite:///{path / 'e.db'}"
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("WXOPS_DATABASE_URL", url)
        assert run(["db", "upgrade"]) is None
    return {"WXOPS_DATABASE_URL": url}


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
    usage = code in {"one_pattern", "reply_or_articles", "test_text_or_click"}  # options amiss
    assert ran.status == (2 if usage else 1), ran
    assert ran.code == code and data.items() <= ran.data.items(), ran
    assert len(ran.err.strip().splitlines()) == 1 and "Traceback" not in ran.err
    assert ran.out == ""  # nothing added
