"""Command parsing is a pure function: text -> Command, or a hint."""

from __future__ import annotations

import pytest

from handlers.commands.grammar import Arg, CommandError, Spec, parse
from workflow.roles import Role


def nothing(*_args: object) -> None:
    return None


TABLE = (
    Spec("approve", ("通过", "approve"), (Arg("item", "item"), Arg("note", "rest",
                                                                   required=False)),
         nothing, frozenset({Role.REVIEWER})),
    Spec("schedule", ("排期", "schedule"), (Arg("item", "item"), Arg("when", "rest", "时间")),
         nothing),
    Spec("unschedule", ("取消排期", "unschedule"), (Arg("item", "item"),), nothing),
    Spec("staff", ("成员", "staff"), (), nothing),
    Spec("invite", ("成员 邀请", "staff invite"),
         (Arg("role", "choice", "角色", True, {"审核": "reviewer", "reviewer": "reviewer"}),),
         nothing),
    Spec("reply", ("回", "reply"), (Arg("ticket", "ticket"), Arg("text", "rest", "回复内容")),
         nothing),
    Spec("confirm", ("确认", "confirm"), (Arg("code", "code"),), nothing),
)


@pytest.mark.parametrize(("text", "name", "args"), [
    ("通过 12", "approve", {"item": 12, "note": ""}),
    ("通过 12 写得很好，可以发", "approve", {"item": 12, "note": "写得很好，可以发"}),
    ("通过12", "approve", {"item": 12, "note": ""}),
    ("通过 #12", "approve", {"item": 12, "note": ""}),
    ("ＡＰＰＲＯＶＥ　１２", "approve", {"item": 12, "note": ""}),
    ("  approve   12  ", "approve", {"item": 12, "note": ""}),
    ("排期 12 明天 9:00", "schedule", {"item": 12, "when": "明天 9:00"}),
    ("取消排期 12", "unschedule", {"item": 12}),
    ("成员", "staff", {}),
    ("成员 邀请 审核", "invite", {"role": "reviewer"}),
    ("staff invite reviewer", "invite", {"role": "reviewer"}),
    ("回 T5 周六见", "reply", {"ticket": 5, "text": "周六见"}),
    ("回 t5 周六见", "reply", {"ticket": 5, "text": "周六见"}),
    ("确认 abc123", "confirm", {"code": "ABC123"}),
    ("确认abc123", "confirm", {"code": "ABC123"}),  # a code typed on like a number
    # The largest id a row can have, as the CLI takes it (ten digits).
    ("通过 2147483647", "approve", {"item": 2147483647, "note": ""}),
    ("回 T2147483647 好的", "reply", {"ticket": 2147483647, "text": "好的"}),
])
def test_parses(text: str, name: str, args: dict[str, object]) -> None:
    command = parse(text, TABLE)
    assert (command.spec.name, command.args) == (name, args)


@pytest.mark.parametrize(("text", "code", "data"), [  # data: "spec" by its name
    ("通过", "missing", {"spec": "approve", "label": "稿件编号"}),
    ("通过 abc", "not_a", {"spec": "approve", "token": "abc", "label": "稿件编号"}),
    ("排期 12", "missing", {"spec": "schedule", "label": "时间"}),
    ("回 X5 你好", "not_a_ticket", {"spec": "reply", "token": "X5"}),
    ("成员 邀请 厨师", "not_a_choice",
     {"spec": "invite", "token": "厨师", "choices": ["审核"], "meant": ""}),
    ("取消排期 12 13", "extra", {"spec": "unschedule", "text": "13"}),
    ("通畅 12", "unknown_command", {"word": "通畅", "spec": "approve"}),
    ("schedul 3", "unknown_command", {"word": "schedul", "spec": "schedule"}),
    ("今天天气不错", "unknown_command", {"word": "今天天气不错", "spec": None}),
    ("\u3000", "unknown_command", {"word": "", "spec": None}),  # a blank of full width alone
    # Digits str.isdigit() takes but int() does not (NFKC keeps them): a hint, not a crash.
    ("通过 ❶", "not_a", {"spec": "approve", "token": "❶", "label": "稿件编号"}),
    ("通过 ፩", "not_a", {"spec": "approve", "token": "፩", "label": "稿件编号"}),
    ("回 T⓵ 你好", "not_a_ticket", {"spec": "reply", "token": "T⓵"}),
    ("通过❶", "unknown_command", {"word": "通过❶", "spec": "approve"}),
    # One more than any row's id: no row, and no database, is asked.
    ("通过 2147483648", "not_a", {"spec": "approve", "token": "2147483648", "label": "稿件编号"}),
    ("回 T2147483648 好", "not_a_ticket", {"spec": "reply", "token": "T2147483648"}),
    # What no WeChat message carries, and PostgreSQL would not store (found by
    # tests/fuzz/test_commands.py): refused before any handler.
    ("回 T5 你\x00好", "control_characters", {"spec": None}),
    ("排期 12 明天\x1b9:00", "control_characters", {"spec": None}),
])
def test_refusals_carry_a_code_and_what_went_wrong(text: str, code: str,
                                                   data: dict[str, object]) -> None:
    with pytest.raises(CommandError) as refused:
        parse(text, TABLE)
    spec = refused.value.data.get("spec")
    shown = {**refused.value.data, "spec": spec.name if spec else None}
    assert (refused.value.code, shown) == (code, data)


@pytest.mark.parametrize(("text", "hint"), [
    ("通过", "缺少稿件编号"),
    ("成员 邀请 厨师", "“厨师”不是可选项"),
    ("通畅 12", "你是想用「通过」吗"),
    ("今天天气不错", "发送「帮助」"),
    ("\u3000", "这条消息是空的"),
])
def test_refusals_read_with_a_hint_and_the_usage(text: str, hint: str) -> None:
    """The catalogue's words (cmd/refused.j2), rendered when shown."""
    with pytest.raises(CommandError) as refused:
        parse(text, TABLE)
    assert hint in refused.value.message
    if "用法" in refused.value.message:
        assert "例如" in refused.value.message


@pytest.mark.parametrize("text", ["通过 " + "长" * 3000, "回 T" + "9" * 3000 + " 你好",
                                  "成员 邀请 " + "长" * 3000, "取消排期 12 " + "长" * 3000])
def test_a_refusal_repeats_only_the_start_of_a_long_word(text: str) -> None:
    """The whole of it would not fit in one passive reply: WeChat would show an error."""
    with pytest.raises(CommandError) as refused:
        parse(text, TABLE)
    said = refused.value.data.get("token") or refused.value.data["text"]
    assert len(said) == 21 and said.endswith("…")
    assert len(refused.value.message.encode()) < 500


def test_a_choice_refused_lists_the_choices_and_the_one_meant() -> None:
    from handlers.commands.table import TABLE as COMMANDS
    from workflow.states import STATE_LABELS

    with pytest.raises(CommandError) as refused:
        parse("稿件 初审", COMMANDS)
    assert refused.value.code == "not_a_choice"
    assert refused.value.data["meant"] == "初审中"
    assert set(refused.value.data["choices"]) == set(STATE_LABELS.values())
    with pytest.raises(CommandError) as unclear:
        parse("稿件 审", COMMANDS)
    assert unclear.value.data["meant"] == ""  # 初审中 or 终审中: both listed, neither guessed


def test_usage_is_rendered_from_the_arguments() -> None:
    assert TABLE[0].usage == "通过 稿件编号 [内容]"
    assert TABLE[4].usage == "成员 邀请 审核"


def test_roles_filter() -> None:
    assert TABLE[0].allowed_for(frozenset({Role.REVIEWER}))
    assert TABLE[0].allowed_for(frozenset({Role.ADMIN}))
    assert not TABLE[0].allowed_for(frozenset({Role.CREATOR}))
    assert TABLE[3].allowed_for(frozenset({Role.ANALYST}))
