"""click's usage errors, as the CLI says them to Chinese-speaking staff."""

from __future__ import annotations

import click
import pytest

from bot.cli import cli, main
from bot.cli_usage import in_chinese
from workflow.errors import InvalidInput


@pytest.mark.parametrize(("argv", "said"), [
    (["item", "plan", "标题"], "缺少选项 --as"),
    (["item", "plan"], "缺少参数 TITLE"),
    (["item", "nope"], "没有“nope”这个命令"),
    (["queue", "lst"], "没有“lst”这个命令，是不是 list？"),
    (["item", "list", "--limt", "3"], "没有选项 --limt，是不是 --limit？"),
    (["item", "list", "--limit", "0"], "--limit 的值无效：0 不在允许的范围（1<=x<=1000）内"),
    (["item", "list", "--limit", "abc"], "--limit 的值无效：“abc”不是整数"),
    (["staff", "list", "多余"], "多余的参数：多余"),
    (["item", "list", "--state"], "选项 --state 后面要跟一个值"),
    (["item", "edit", "1", "--as", "x", "--body-file", "/没有这个文件"],
     "--body-file 的值无效：文件“/没有这个文件”不存在"),
])
def test_usage_errors_are_said_in_chinese(argv: list[str], said: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"wxops: {said}") and len(err.strip().splitlines()) == 1


def test_a_message_without_a_translation_keeps_clicks_words() -> None:
    assert in_chinese("Something click says one day.") == "Something click says one day."


def test_a_refusal_on_two_lines_is_said_on_one(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    @click.command()
    def refuses() -> None:
        raise InvalidInput("用法：回 工单编号 回复内容\n例如：回 T5 周六见")

    monkeypatch.setitem(cli.commands, "refuses", refuses)
    with pytest.raises(SystemExit) as exited:
        main(["refuses"])
    assert exited.value.code == 1
    assert capsys.readouterr().err == "wxops: 用法：回 工单编号 回复内容 例如：回 T5 周六见\n"
