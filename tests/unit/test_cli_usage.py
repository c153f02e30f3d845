"""click's usage errors, as the CLI says them to Chinese-speaking staff: a code of
templates/cli/usage.j2 and the parts of click's message as its data."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from bot.cli import cli, main, run
from bot.cli_usage import classify, in_words
from handlers.commands.grammar import CommandError


@pytest.mark.parametrize(("argv", "code", "data"), [
    (["item", "plan", "标题"], "missing_option", {"name": "--as"}),
    (["item", "plan"], "missing_argument", {"name": "TITLE"}),
    (["item", "nope"], "no_such_command", {"name": "nope", "guess": None}),
    (["queue", "lst"], "no_such_command", {"name": "lst", "guess": "list"}),
    (["item", "list", "--limt", "3"], "no_such_option", {"name": "--limt", "guess": "--limit"}),
    (["item", "list", "--limit", "0"], "not_in_range",
     {"option": "--limit", "value": "0", "range": "1<=x<=1000"}),
    (["item", "list", "--limit", "abc"], "not_an_integer", {"option": "--limit", "value": "abc"}),
    (["staff", "list", "多余"], "extra_arguments", {"extra": "多余"}),
    (["item", "list", "--state"], "needs_a_value", {"name": "--state"}),
    (["item", "edit", "1", "--as", "x", "--body-file", "/没有这个文件"], "no_such_file",
     {"option": "--body-file", "value": "/没有这个文件"}),
])
def test_usage_errors_are_classified(argv: list[str], code: str, data: dict[str, str]) -> None:
    failed = run(argv)
    assert failed is not None and (failed.code, dict(failed.data), failed.status) == (code, data, 2)


@pytest.mark.parametrize(("argv", "said"), [
    (["queue", "lst"], "没有“lst”这个命令，是不是 list？"),
    (["item", "list", "--limt", "3"], "没有选项 --limt，是不是 --limit？"),
    (["item", "list", "--limit", "0"], "--limit 的值无效：0 不在允许的范围（1<=x<=1000）内"),
    (["item", "edit", "1", "--as", "x", "--body-file", "/没有这个文件"],
     "--body-file 的值无效：文件“/没有这个文件”不存在"),
    # the argument is named as the usage line names it (not {ack|ack_away|…})
    (["texts", "reset", "nokey"], "KEY 的值无效：“nokey”不是可选的值，"
     "可选：ack、ack_away、ack_follow_up、ack_follow_up_away、welcome"),
])
def test_usage_errors_are_said_in_chinese(argv: list[str], said: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"wxops: {said}") and len(err.strip().splitlines()) == 1


def test_a_choice_lists_what_may_be_chosen() -> None:
    code, data = classify("Invalid value for '--status': 'x' is not one of 'sent', 'dead'.")
    assert (code, data) == ("not_a_choice", {"option": "--status", "value": "x",
                                             "choices": "'sent', 'dead'"})
    assert in_words(code, data) == (
        "--status 的值无效：“x”不是可选的值，可选：sent、dead")


@pytest.mark.parametrize(("argv", "said"), [
    (["analytics", "backfill", "--since", "2026-13-40"],
     "--since 的值无效：“2026-13-40”不是日期，应写成 yyyy-mm-dd，例如 2026-12-20"),
    (["report", "--since", "2026-12-01", "--until", "下周"],
     "--until 的值无效：“下周”不是日期，应写成 yyyy-mm-dd，例如 2026-12-20"),
    (["item", "edit", "1", "--as", "x", "--body-file", "{tmp}"],
     "--body-file 的值无效：“{tmp}”是文件夹，这里要的是文件"),
    (["words", "import", "{tmp}"], "FILE 的值无效：“{tmp}”是文件夹，这里要的是文件"),
    (["assets", "add", "{tmp}", "--name", "x"], "FILE 的值无效：“{tmp}”是文件夹，这里要的是文件"),
    (["restore", "{tmp}/没有这个文件夹"], "SOURCE 的值无效：文件夹“{tmp}/没有这个文件夹”不存在"),
])
def test_bad_dates_and_paths_are_said_in_chinese(argv: list[str], said: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """click's words for a date and a path (a folder given for a file) were left in
    English (“'2026-13-40' does not match the format '%Y-%m-%d'.”)."""
    with pytest.raises(SystemExit) as exited:
        main([arg.format(tmp=tmp_path) for arg in argv])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"wxops: {said.format(tmp=tmp_path)}（")
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(("message", "said"), [  # what root cannot be shown by a test
    ("Invalid value for 'FILE': '/x': Permission denied", "FILE 的值无效：没有权限读取“/x”"),
    ("Invalid value for 'FILE': File '/x' is not readable.", "FILE 的值无效：没有权限读取“/x”"),
    ("Invalid value for '--state': File '/x' is not writable.",
     "--state 的值无效：没有权限写入“/x”"),
    ("Invalid value for 'FILE': '/x': Input/output error",
     "FILE 的值无效：打不开“/x”（Input/output error）"),
    ("Invalid value for '--since': '1' does not match the formats '%Y-%m-%d', '%Y%m%d'.",
     "--since 的值无效：“1”不是日期，应写成 yyyy-mm-dd 或 yyyymmdd，例如 2026-12-20"),
])
def test_files_that_cannot_be_opened_are_said_in_chinese(message: str, said: str) -> None:
    assert in_words(*classify(message)) == said


def test_a_message_without_a_translation_keeps_clicks_words() -> None:
    assert classify("Something click says one day.") == (
        "unknown", {"text": "Something click says one day."})
    assert in_words(*classify("Something click says one day.")) == "Something click says one day."


def test_a_refusal_on_two_lines_is_said_on_one(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    @click.command()
    def refuses() -> None:
        raise CommandError("canned_usage")  # its example on a second line

    monkeypatch.setitem(cli.commands, "refuses", refuses)
    with pytest.raises(SystemExit) as exited:
        main(["refuses"])
    assert exited.value.code == 1
    usage = "用法：快捷｜快捷 添加 代码 内容｜快捷 删除 代码"
    assert capsys.readouterr().err == f"wxops: {usage} 例如：快捷 添加 地址 社区中心在幸福路 8 号\n"
