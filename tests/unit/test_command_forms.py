"""A command with forms (grammar.Spec.forms): 稿件 [状态] lists items, and
稿件 12 草稿 [编号], the same word with a number first, is the draft-box form,
its own command with its own roles and help."""

from __future__ import annotations

import pytest

from handlers import texts
from handlers.commands.grammar import CommandError, parse
from handlers.commands.table import TABLE
from workflow.roles import Role


@pytest.mark.parametrize(("text", "name", "args"), [
    ("稿件", "items", {"state": None}),
    ("稿件 初审中", "items", {"state": "in_review"}),
    ("稿件 12 草稿", "item_drafts", {"item": 12, "drafts": "drafts", "draft": None}),
    ("稿件 12 草稿 2", "item_drafts", {"item": 12, "drafts": "drafts", "draft": 2}),
    ("稿件12 草稿 2", "item_drafts", {"item": 12, "drafts": "drafts", "draft": 2}),
    ("items 12 drafts", "item_drafts", {"item": 12, "drafts": "drafts", "draft": None}),
    ("复查", "rechecks", {}),
    ("复查 12 正常", "recheck", {"item": 12, "verdict": "ok", "note": ""}),
    ("复查12 删除 活动取消", "recheck", {"item": 12, "verdict": "delete", "note": "活动取消"}),
    ("recheck 12 ok", "recheck", {"item": 12, "verdict": "ok", "note": ""}),
])
def test_the_first_argument_picks_the_form(text: str, name: str, args: dict[str, object]) -> None:
    command = parse(text, TABLE)
    assert (command.spec.name, command.args) == (name, args)


@pytest.mark.parametrize(("text", "code"), [
    ("稿件 12", "missing"), ("稿件 12 草", "not_a_choice"), ("稿件 12 草稿 二", "not_a"),
    ("稿件 初审", "not_a_choice"),
    # 复查 takes nothing: what is typed goes to 复查 12 …, which says what it takes
    ("复查 abc", "not_a"), ("复查 12", "missing"), ("复查 12 好", "not_a_choice"),
])
def test_a_form_refuses_with_its_own_usage(text: str, code: str) -> None:
    with pytest.raises(CommandError) as refused:
        parse(text, TABLE)
    assert refused.value.code == code


def test_the_form_changes_something_and_needs_a_writer() -> None:
    items = next(s for s in TABLE if s.name == "items")
    form = items.forms[0]
    assert (items.changes, form.changes) == (False, True)
    assert items.allowed_for(frozenset({Role.REVIEWER}))
    assert not form.allowed_for(frozenset({Role.REVIEWER}))
    assert form.allowed_for(frozenset({Role.CREATOR}))


def test_help_on_the_command_names_its_form() -> None:
    items = next(s for s in TABLE if s.name == "items")
    shown = texts.render("cmd/me_help_topic", spec=items, roles=[], allowed=True)
    assert "稿件 稿件编号 草稿 [草稿编号]" in shown
