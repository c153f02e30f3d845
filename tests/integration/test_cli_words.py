"""`wxops words` and what the checks make of the list: run in this process on
both engines, read by codes and data (tests.integration.clirun), and 查看 / 提交
in chat on the same database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from bot.cli_text import say
from storage.db import make_engine
from storage.uow import SqlUnitOfWork
from tests.integration import commanding
from tests.integration.clirun import Wxops
from workflow.checks import Code, WordEntry


def test_add_import_list_and_remove(wxops: Wxops, tmp_path: Path) -> None:
    added = wxops("words", "add", "募捐", "--category", "募捐")
    assert added.out.strip() == say("words", "added", entry=WordEntry("募捐", "募捐"))
    assert wxops("words", "add", "募捐", "--category", "其他").out.strip() == say(
        "words", "present", entry=WordEntry("募捐", "其他"))
    (tmp_path / "list.txt").write_text("医疗\t偏方\n根治\n\n# 注释\nre:包治.{0,2}病\n"
                                       "医疗\tre:([\n募捐\n", "utf-8")
    imported = wxops("words", "import", "list.txt", "--category", "医疗")
    assert imported.status == 0, imported.err
    listed = wxops("words", "list").out
    assert say("words", "row", entry=WordEntry("包治.{0,2}病", "医疗", True)) in listed
    assert say("words", "row", entry=WordEntry("根治", "医疗")) in listed
    assert "([" not in listed  # the line that does not compile was named, not kept
    assert wxops("words", "remove", "根治").status == 0
    assert "根治" not in wxops("words", "list").out
    assert wxops("words", "remove", "根治").failure.code == "word_unknown"  # type: ignore[union-attr]


def test_a_bad_pattern_is_refused_when_added(wxops: Wxops) -> None:
    refused = wxops("words", "add", "([", "--category", "x", "--pattern")
    assert refused.failure is not None and refused.failure.code == "word_invalid"
    assert refused.failure.data == {"word": "([", "reason": "pattern"}


def test_an_edit_with_a_listed_word_is_marked_and_shown(wxops: Wxops, engine_url: str,
                                                         tmp_path: Path) -> None:
    engine = make_engine(engine_url)
    team = commanding.make_team(engine)
    assert wxops("words", "add", "募捐", "--category", "募捐").status == 0
    assert wxops("item", "plan", "冬季助学", "--as", "王芳").status == 0
    (tmp_path / "body.txt").write_text("本周末街头募捐。\n\n报名见 https://example.org/a", "utf-8")
    assert wxops("item", "edit", "1", "--as", "王芳", "--body-file", "body.txt").status == 0
    with SqlUnitOfWork(engine) as uow:
        item = uow.items.get(1)
        assert item is not None and item.sensitive
    shown = commanding.ask(engine, team.li, "查看 1").context["checks"]
    assert [f.code for f in shown.sensitive] == [Code.SENSITIVE_WORD]
    assert shown.facts.references == 1
    cli_shown = wxops("item", "show", "1").out
    assert "募捐" in cli_shown
    _submit_refused_on_an_error(engine, team.wang, tmp_path, wxops)


def _submit_refused_on_an_error(engine: Engine, writer: int, tmp_path: Path,
                                wxops: Wxops) -> None:
    (tmp_path / "bad.html").write_text('<p>见 <a href="https://example.org/a">这里</a></p>',
                                       "utf-8")
    assert wxops("item", "edit", "1", "--as", "王芳", "--body-file", "bad.html").status == 0
    commanding.say(engine, writer, "开始 1")
    refused = commanding.refusal(engine, writer, "提交 1")
    assert refused.code == "checks_failed"
    assert vars(refused)["finding"] == "external_link"
