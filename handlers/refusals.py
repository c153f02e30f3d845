"""A refusal in words: a workflow refusal from templates/errors.j2, a command's
from templates/cmd/refused.j2 (a macro per code, given the refusal's data)."""

from __future__ import annotations

from functools import cache
from typing import Any

from handlers import texts
from handlers.commands.grammar import CommandError
from workflow.errors import WorkflowError


def say(refusal: WorkflowError | CommandError) -> str:
    if isinstance(refusal, CommandError):
        return texts.phrase("cmd/refused", refusal.code, **refusal.data)
    return texts.phrase("errors", refusal.code, **data(refusal))


def data(refusal: WorkflowError) -> dict[str, Any]:
    """What the refusal is about: its ``data``, or else its attributes."""
    given = vars(refusal).get("data")
    if isinstance(given, dict):
        return dict(given)
    return dict(vars(refusal))


@cache
def catalogued() -> frozenset[str]:
    """The codes errors.j2 words."""
    return texts.macros("errors")
