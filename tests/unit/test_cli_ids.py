"""Every command that takes an id refuses one that cannot be a row's, as a usage error.

The commands are found from click's command tree, so one added later that takes
an id with the shared types is fed the same values without a change here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from bot.cli import _commands, cli, main
from bot.cli_types import MemberRef, RowId, TicketRef, row_id
from workflow.model import MAX_ID as MAX_ROW_ID

IdParam = tuple[list[str], click.Command, click.Parameter]

NOT_IDS = ["0", "-1", str(MAX_ROW_ID + 1), str(2**63), str(10**30), "abc", "T", "²", "５"]
NOT_MEMBER_IDS = ["0", str(MAX_ROW_ID + 1), str(2**63)]  # other text may be a name


def id_params() -> Iterator[IdParam]:
    _commands()

    def walk(path: list[str], command: click.Command) -> Iterator[IdParam]:
        if isinstance(command, click.Group):
            for name, sub in sorted(command.commands.items()):
                yield from walk([*path, name], sub)
            return
        for param in command.params:
            if isinstance(param.type, RowId | MemberRef):
                yield path, command, param

    yield from walk([], cli)


def argv(path: list[str], command: click.Command, given: click.Parameter, value: str
         ) -> list[str]:
    """The command with ``value`` for ``given`` and a stand-in for every other
    required parameter (an id where one is taken: refused first, it would hide
    the refusal under test); "--" so that "-1" reaches the parameter, not the
    option parser."""
    options: list[str] = []
    arguments: list[str] = []
    for param in command.params:
        if param is not given and not param.required:
            continue
        stand_in = "1" if isinstance(param.type, RowId) else "x"
        text = value if param is given else stand_in
        if isinstance(param, click.Option):
            options += [param.opts[0], text]
        else:
            arguments.append(text)
    return [*path, *options, "--", *arguments]


def cases() -> list[tuple[list[str], str]]:
    found = []
    for path, command, param in id_params():
        values = NOT_MEMBER_IDS if isinstance(param.type, MemberRef) else NOT_IDS
        found += [(argv(path, command, param, v), v) for v in values]
    return found


def test_every_command_that_takes_an_id_uses_the_id_types() -> None:
    taken = {(" ".join(path), param.name) for path, _, param in id_params()}
    assert {("item show", "item_id"), ("item history", "item_id"), ("item edit", "item_id"),
            ("item edit", "as_"), ("item plan", "as_"), ("outbox show", "row_id"),
            ("outbox retry", "row_id"), ("queue show", "ticket_id"),
            ("queue reply", "ticket_id"), ("queue reply", "as_"), ("staff remove", "ref"),
            ("rules remove", "rule_id"), ("rules enable", "rule_id"),
            ("rules disable", "rule_id"), ("inbound show", "inbound_id"),
            ("inbound replay", "inbound_id"), ("item assign", "item_id"),
            ("item assign", "member"), ("item due", "item_id")} <= taken


def case_id(value: object) -> str:
    return " ".join(value) if isinstance(value, list) else repr(value)


@pytest.mark.parametrize(("args", "value"), cases(), ids=case_id)
def test_an_id_out_of_range_is_one_usage_line(args: list[str], value: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("WXOPS_DATABASE_URL", f"sqlite:///{tmp_path / 'never-opened.db'}")
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("wxops: ") and value in err
    assert not (tmp_path / "never-opened.db").exists()  # refused before the database


@pytest.mark.parametrize(("text", "taken"), [
    ("1", 1), (" 42 ", 42), (str(MAX_ROW_ID), MAX_ROW_ID), (str(MAX_ROW_ID + 1), None),
    ("0", None), ("-3", None), ("+3", None), ("3.0", None), ("²", None), ("", None),
])
def test_a_row_id_is_a_whole_number_a_row_can_have(text: str, taken: int | None) -> None:
    assert row_id(text) == taken


def test_a_ticket_is_taken_as_the_queue_shows_it() -> None:
    ticket = TicketRef()
    assert [ticket.convert(v, None, None) for v in ("T5", "t5", "5", 7)] == [5, 5, 5, 7]
    with pytest.raises(click.BadParameter):
        ticket.convert("T0", None, None)
    assert MemberRef().convert("李雷", None, None) == "李雷"
