"""A workflow refusal in words: the catalogue's (templates/errors.j2, a macro per
code, given the error's data), or, for a refusal from before the catalogue, the
message it carries."""

from __future__ import annotations

from functools import cache
from typing import Any

from handlers import texts
from workflow.errors import WorkflowError


def say(refusal: WorkflowError) -> str:
    if refusal.code in catalogued():
        return texts.phrase("errors", refusal.code, **data(refusal))
    return refusal.message


def data(refusal: WorkflowError) -> dict[str, Any]:
    """What the refusal is about: its ``data``, or else its attributes."""
    given = vars(refusal).get("data")
    if isinstance(given, dict):
        return dict(given)
    return {name: value for name, value in vars(refusal).items() if name != "message"}


@cache
def catalogued() -> frozenset[str]:
    """The codes errors.j2 words."""
    return texts.macros("errors")
