"""Fuzz the staff command channel: the grammar alone (text -> Command, or a typed
refusal that can be worded), then whole commands run by an admin on a database of
each engine, as the endpoint runs them. Any text at all (command words with odd
arguments, huge numbers, full-width and other unicode digits, control characters,
NUL) gets a reply or a typed refusal; nothing else is raised."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from handlers import refusals
from handlers.commands import dispatch
from handlers.commands.grammar import Arg, CommandError, parse
from handlers.commands.table import TABLE
from tests.fuzz.profiles import budget
from tests.integration.commanding import Team, command_context, make_team, open_ticket, say
from workflow.roles import Actor, Role

COMMAND_WORDS = sorted({w for spec in TABLE for form in (spec, *spec.forms) for w in form.words})
CHOICE_WORDS = sorted({w for spec in TABLE for arg in spec.args for w in arg.choices})
ODD_NUMBERS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["0", "-1", "#1", "T1", "t1", "T", "１２", "²", "٣", "𝟙", "❶", "፩", "1e9",
                     "1.5", "999999999", "1000000000", "2147483648", "9223372036854775808",
                     "99:99", "24:00", "2026-02-30", "2026-13-01", "明天", "下周一 9:00",
                     "30天", "本月", "0天", "-3天", "1000000天",
                     "99999999999999999999小时", "99999999999999999999天后"]))
#: Free text with control characters (NUL too) among letters, as nothing but a
#: test could type: the database must never be the one to refuse it.
CONTROL = st.text(st.sampled_from("\x00\x01\x1b\x7f\u200b\ufeffa中"), min_size=1, max_size=4)
TOKENS = st.one_of(ODD_NUMBERS, st.sampled_from(CHOICE_WORDS), st.sampled_from(COMMAND_WORDS),
                   st.text(max_size=12), CONTROL)


SPECS = [form for spec in TABLE for form in (spec, *spec.forms)]


def argument(arg: Arg) -> st.SearchStrategy[str]:
    """A value for ``arg``: one that fits its kind (so the handler runs), or odd."""
    fitting: dict[str, st.SearchStrategy[str]] = {
        "item": st.sampled_from(["1", "#1", "2", "１"]),
        "int": st.sampled_from(["1", "2", "0"]),
        "ticket": st.sampled_from(["T1", "t1", "1", "T2"]),
        "choice": st.sampled_from(sorted(arg.choices) or ["x"]),
        "rest": st.lists(st.one_of(CONTROL, st.text(min_size=1, max_size=12), ODD_NUMBERS),
                         min_size=1, max_size=3).map(" ".join),
    }
    return st.one_of(fitting.get(arg.kind, st.text(min_size=1, max_size=12)), TOKENS)


@st.composite
def command_texts(draw: st.DrawFn) -> str:
    """A command's words and an argument for each of its arguments (or fewer, or
    more), the first glued to the words or not, spaced by any kind of space."""
    spec = draw(st.sampled_from(SPECS))
    tokens = [draw(argument(arg)) for arg in spec.args]
    tokens = tokens[:draw(st.integers(0, len(tokens)))] if draw(st.booleans()) else tokens
    tokens += draw(st.lists(TOKENS, max_size=1))
    word = draw(st.sampled_from(spec.words))
    glue = draw(st.booleans()) and bool(tokens)
    head = word + tokens.pop(0) if glue else word
    separator = draw(st.sampled_from([" ", "　", "\t", "  ", "\n"]))
    return separator.join([head, *tokens])


TEXTS = st.one_of(command_texts(), st.text(max_size=80))


@budget(1000)
@given(text=TEXTS)
def test_the_grammar_parses_or_refuses_with_a_worded_reason(text: str) -> None:
    try:
        parse(text, TABLE)
    except CommandError as refusal:
        assert refusals.say(refusal)


@pytest.fixture
def team(engine: Engine) -> Iterator[tuple[Engine, Actor]]:
    """An admin, a content item, and a follower's ticket, for commands to act on."""
    made: Team = make_team(engine)
    assert say(engine, made.admin, "选题 模糊测试的稿件")
    open_ticket(engine, "o_fuzz_fan", None)
    yield engine, Actor(made.admin, "张敏", frozenset({Role.ADMIN}))


@budget(300)
@given(text=TEXTS)
def test_any_command_text_gets_a_reply_or_a_typed_refusal(
        team: tuple[Engine, Actor], text: str) -> None:
    """Run as the endpoint runs it (dispatch.run, which words a refusal), in a
    transaction rolled back after each text so each meets the same world."""
    engine, admin = team
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            reply = dispatch.run(command_context(conn, admin, "o_staff0", text), trusted=True)
        finally:
            transaction.rollback()
    assert isinstance(reply, str) and reply.strip()
