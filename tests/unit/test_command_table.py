"""Promises the routing table makes that no single command's test would catch."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from handlers import texts
from handlers.commands.confirm import CONFIRMED
from handlers.commands.table import TABLE
from handlers.replies import TEXT_REPLY_BYTES
from handlers.when import parse_when
from workflow.roles import (
    ACTION_ROLES,
    EVENT_ROLES,
    SYSTEM_EVENTS,
    Action,
    command_roles,
    roles_for,
)
from workflow.states import Event


def test_every_item_move_that_asks_for_confirmation_can_be_confirmed() -> None:
    """``ask_to_confirm(event)`` issues a code for the event; ``确认 CODE`` must
    know how to carry it out, or the code is useless."""
    asked = [spec.handler.__name__.removeprefix("confirm_") for spec in TABLE
             if spec.confirm and spec.handler.__name__.startswith("confirm_")]
    assert {"publish", "withdraw", "cancel"} <= set(asked)
    assert [action for action in asked if action not in CONFIRMED] == []


def test_help_for_schedule_says_how_the_time_words_read() -> None:
    """帮助 排期 states the reading of 周X, 本周X and 下周X, and what happens to a
    day or time already gone; its worked example is what the parser does."""
    spec = next(s for s in TABLE if s.name == "schedule")
    shown = texts.render("cmd/me_help_topic", spec=spec, roles=[], allowed=True)
    for words in ("一周从周一开始", "本周五", "下周五", "周日说「下周一」就是明天",
                  "不会自动改成明年", "不会自动改成明天",
                  "比如今天是周三：周五 = 后天，下周五 = 9天后，下周一 = 5天后"):
        assert words in shown, words
    assert len(shown.encode()) <= TEXT_REPLY_BYTES
    wednesday = datetime(2026, 11, 25, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    sunday = wednesday + timedelta(days=4)
    days = [(parse_when(text, now).date() - now.date()).days
            for text, now in (("周五 9:00", wednesday), ("下周五 9:00", wednesday),
                              ("下周一 9:00", wednesday), ("下周一 9:00", sunday))]
    assert days == [2, 9, 5, 1]


def test_help_for_other_commands_has_no_details() -> None:
    spec = next(s for s in TABLE if s.name == "approve")
    shown = texts.render("cmd/me_help_topic", spec=spec, roles=[], allowed=True)
    text = texts.command_text("approve")
    assert shown.splitlines()[1:3] == [text.summary, f"例如：{text.example}"]
    assert (text.summary, text.example) == ("初审通过", "通过 12 写得很好")


def test_every_command_has_its_words_in_the_catalogue() -> None:
    """What 帮助 and the README say about a command is found by its name: one
    entry for each command of the table, none for a command that is gone."""
    every = [form for spec in TABLE for form in spec.every()]
    assert set(texts.command_texts()) == {spec.name for spec in every}
    for spec in every:
        text = texts.command_text(spec.name)
        assert text.summary and text.example.startswith(spec.words[0]), spec.name


def test_a_command_that_confirms_only_sometimes_says_when() -> None:
    """复查 asks for 确认 only when the verdict is 删除; commands that always ask
    need no such note."""
    every = [form for spec in TABLE for form in spec.every()]
    sometimes = {s.name for s in every if texts.command_text(s.name).confirm_when}
    assert sometimes == {"recheck"}
    assert not next(s for s in every if s.name == "recheck").confirm


def test_every_command_takes_its_roles_from_the_workflow() -> None:
    """One authorisation source: each command names what it does (an Event or an
    Action) and its roles are workflow's for that, never written in the table."""
    for spec in (form for command in TABLE for form in command.every()):
        assert isinstance(spec.does, Event | Action), spec.name
        assert spec.roles == command_roles(spec.does), spec.name
        if isinstance(spec.does, Action):
            assert spec.does in ACTION_ROLES, spec.name
        else:
            assert spec.does in EVENT_ROLES and spec.does not in SYSTEM_EVENTS, spec.name
    assert set(ACTION_ROLES) == set(Action)
    assert {s.does for s in TABLE} >= set(Action)  # no role kept for nothing


def test_a_command_that_fires_an_event_says_so() -> None:
    """``transition(event)`` and ``ask_to_confirm(event)`` name their handler after
    the event: the command must say it does that event, so the roles the table
    shows are the ones the workflow enforces."""
    made_for_an_event = ("transition.<locals>", "ask_to_confirm.<locals>")
    fired = [s for s in TABLE if s.handler.__qualname__.startswith(made_for_an_event)]
    assert len(fired) > 10
    for spec in fired:
        assert spec.does is Event(spec.handler.__name__.removeprefix("confirm_")), spec.name


def test_every_event_a_person_fires_agrees_with_its_command() -> None:
    """Walk every event: a system event has no command; any other is fired by a
    command with the same roles, or is done elsewhere for the reason given."""
    elsewhere = {Event.EDIT: "wxops item edit (text is written on a computer)",
                 Event.FLAG_OUTDATED: "复查 … 更新: the recheck command (RECHECK_OK)"}
    by_event = {s.does: s for c in TABLE for s in c.every() if isinstance(s.does, Event)}
    for event in Event:
        if event in SYSTEM_EVENTS:
            assert event not in by_event, event
        elif event in elsewhere:
            assert roles_for(event) == roles_for(Event.RECHECK_OK) or event is Event.EDIT
        else:
            assert by_event[event].roles == command_roles(event), event


def test_a_confirmed_action_is_authorised_by_the_command_that_asked() -> None:
    """确认 is open to every member; what it performs is checked again (the asker
    may have lost the role): the action's roles are the asking command's."""
    asking = {s.does.value: s for s in TABLE if s.confirm and s.does is not None}
    for action in CONFIRMED:
        assert action in asking, action
        kind = Event(action) if action in set(Event) else Action(action)
        assert asking[action].roles == command_roles(kind), action
