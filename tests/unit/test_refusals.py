"""Every refusal a command raises (``refused(...)`` in handlers/commands, a
``WhenError(...)`` of the time words in handlers/when.py) is a macro in
templates/cmd/refused.j2, called with exactly the macro's arguments, and every
macro there is used."""

from __future__ import annotations

import ast
from pathlib import Path

from jinja2.runtime import Macro

from handlers import texts

HANDLERS = Path(__file__).resolve().parents[2] / "handlers"
RAISERS = {"refused", "WhenError"}


def _calls() -> list[tuple[str, str, frozenset[str]]]:
    """(file, macro, keyword names) of each ``refused("macro", ...)`` and
    ``WhenError("macro", ...)`` call."""
    found = []
    for path in [*sorted((HANDLERS / "commands").glob("*.py")), HANDLERS / "when.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _name(node.func) in RAISERS:
                first = node.args[0]
                assert isinstance(first, ast.Constant), f"{path.name}: name the refusal literally"
                keywords = frozenset(k.arg for k in node.keywords if k.arg is not None)
                found.append((path.name, str(first.value), keywords))
    return found


def _name(func: ast.expr) -> str | None:
    """``refused`` for ``refused(...)`` and for ``grammar.refused(...)``."""
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def _macros() -> dict[str, Macro]:
    module = texts._shipped.get_template("cmd/refused.j2").module
    return {name: value for name, value in vars(module).items() if isinstance(value, Macro)}


def test_each_refusal_names_a_macro_with_its_arguments() -> None:
    macros = _macros()
    calls = _calls()
    assert len(calls) >= 30
    for file, name, keywords in calls:
        assert name in macros, f"{file}: no macro {name!r} in cmd/refused.j2"
        assert keywords == set(macros[name].arguments), f"{file}: {name} arguments"


def test_no_macro_is_left_unused() -> None:
    used = {name for _, name, _ in _calls()}
    assert set(_macros()) - used == set()


def test_a_refusal_reads_as_one_sentence() -> None:
    assert texts.phrase("cmd/refused", "canned_body_invalid", limit=600) == \
        "快捷回复的内容不能为空，且不超过 600 字"


def test_a_command_refusal_is_worded_when_shown() -> None:
    from handlers import refusals
    from handlers.commands.grammar import CommandError

    refusal = CommandError("canned_body_invalid", limit=600)
    assert (refusal.code, refusal.data) == ("canned_body_invalid", {"limit": 600})
    assert refusals.say(refusal) == refusal.message == str(refusal) == \
        "快捷回复的内容不能为空，且不超过 600 字"


def test_a_refusal_repeats_only_the_start_of_what_was_typed() -> None:
    """Repeated whole, a long word would take the reply past what WeChat shows."""
    from handlers import refusals
    from workflow.errors import NotAnArticleLink, UnknownRole, WriterUnknown

    assert "找不到成员“" + "长" * 19 + "…”" in refusals.say(WriterUnknown("长" * 3000))
    assert "未知角色“" + "长" * 19 + "…”" in refusals.say(UnknownRole("长" * 3000))
    link = refusals.say(NotAnArticleLink("https://example.org/" + "a" * 3000))
    assert len(link) < 250 and "a…」" in link
