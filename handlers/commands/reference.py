"""The command reference in the README, generated from the routing table."""

from __future__ import annotations

from collections.abc import Sequence

from handlers import texts
from handlers.commands.grammar import Spec
from workflow.roles import ROLE_LABELS, Role

START, END = "<!-- commands:start -->", "<!-- commands:end -->"


def markdown(table: Sequence[Spec]) -> str:
    lines = [texts.phrase("reference", "header"), "|---|---|---|---|---|"]
    needs_confirm = texts.phrase("reference", "needs_confirm")
    for spec in (form for command in table for form in command.every()):
        english = " / ".join(f"`{w}`" for w in spec.words[1:])
        text = texts.command_text(spec.name)
        confirm = spec.confirm and needs_confirm not in text.summary
        note = text.summary + (f"（{needs_confirm}）" if confirm else "")
        cells = (f"`{spec.usage}`", english, _roles(spec.roles), note, f"`{text.example}`")
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """A table cell: a ``|`` (in a regex, say) would end the cell, also inside a
    code span, unless escaped (GitHub's tables)."""
    return text.replace("|", "\\|")


def _roles(roles: frozenset[Role]) -> str:
    if not roles:
        return texts.phrase("reference", "everyone")
    return "、".join(ROLE_LABELS[r] for r in sorted(roles | {Role.ADMIN}))


def replace_section(readme: str, table: Sequence[Spec]) -> str:
    head, _, rest = readme.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{markdown(table)}{END}{tail}"
