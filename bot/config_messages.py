"""pydantic's validation errors as the one line a bad setting gets: a problem's
code (a macro of templates/cli/settings.j2) and its data.

pydantic words its errors in English ("Input should be a valid boolean"); a
setting's refusal names the setting and says in Chinese what it must be. Every
error type a setting can produce (a string from the environment, any TOML value
from the file) has its own macro; the validators in ``bot.config`` raise a
:class:`SettingProblem` with theirs.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

#: pydantic's error types that templates/cli/settings.j2 words.
PYDANTIC_TYPES = frozenset({
    "bool_parsing", "bool_type", "int_parsing", "int_type", "int_from_float",
    "int_parsing_size", "float_parsing", "float_type", "finite_number", "greater_than",
    "greater_than_equal", "less_than", "less_than_equal", "string_type", "string_too_short",
    "string_too_long", "string_pattern_mismatch", "string_unicode", "missing", "extra_forbidden",
})
#: The bounds pydantic's context gives, which the words show.
_BOUNDS = ("gt", "ge", "lt", "le", "min_length", "max_length")


class SettingProblem(ValueError):
    """A validator's refusal: ``code`` (a macro of templates/cli/settings.j2) and its ``data``."""

    def __init__(self, code: str, /, **data: Any) -> None:
        super().__init__(code)
        self.code, self.data = code, data


def first_error(exc: ValidationError) -> tuple[str, str, dict[str, Any]]:
    """The field pydantic found wrong first, and its problem: a code and its data."""
    err = exc.errors()[0]
    name = str(err["loc"][0]) if err["loc"] else "?"
    return (name, *problem(err["type"], err.get("ctx") or {}))


def problem(error_type: str, ctx: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """pydantic's error type and context as a problem's code and data."""
    error = ctx.get("error")
    if error_type == "value_error" and isinstance(error, SettingProblem):
        return error.code, dict(error.data)
    if error_type == "value_error" and error is not None:
        return "value_error", {"detail": str(error)}  # a parser's own words (OfficeHours)
    if error_type not in PYDANTIC_TYPES:
        return "unknown_type", {"error_type": error_type}
    return error_type, {k: _number(ctx[k]) for k in _BOUNDS if k in ctx}


def _number(value: Any) -> Any:
    """``3600.0`` as ``3600``: a bound reads as it was written."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
