"""The CLI's words: handlers/templates/cli/*.j2, a macro per code.

Commands say what they did with :func:`say` / :func:`echo`; a command that
cannot go on raises :class:`CliError` (:class:`CliUsageError` for a call it
cannot take, :class:`CliBadParameter` for a bad value) with a code and its
data. ``bot.cli`` words the failure once, where it prints its one line and
exits non-zero.
"""

from __future__ import annotations

from typing import Any

import click

from handlers import texts


def say(catalogue: str, key: str, /, **data: Any) -> str:
    """Macro ``key`` of templates/cli/``catalogue``.j2, given ``data``: as the
    macro writes it, so a row of a table keeps its leading blanks."""
    return texts.verbatim(f"cli/{catalogue}", key, **data).strip("\n")


def echo(catalogue: str, key: str, /, *, err: bool = False, **data: Any) -> None:
    """Print one text of the catalogue (on stderr with ``err``)."""
    click.echo(say(catalogue, key, **data), err=err)


def helptext(key: str) -> str:
    """An option's help, from templates/cli/help.j2."""
    return say("help", key)


class CliError(click.ClickException):
    """A command that cannot go on: ``code`` (a macro of templates/cli/errors.j2)
    and its ``data``; exit status 1."""

    def __init__(self, code: str, /, **data: Any) -> None:
        super().__init__(code)
        self.code, self.data = code, data

    def format_message(self) -> str:
        return say("errors", self.code, **self.data)


class CliUsageError(click.UsageError):
    """A call the command cannot take (exit status 2, with a pointer to its
    ``--help``): ``code`` (a macro of templates/cli/errors.j2) and its ``data``."""

    def __init__(self, code: str, /, **data: Any) -> None:
        super().__init__(code)
        self.code, self.data = code, data

    def format_message(self) -> str:
        return say("errors", self.code, **self.data)


class CliBadParameter(click.BadParameter):
    """A value an option or argument cannot take: ``code`` (a macro of
    templates/cli/errors.j2, saying why) and its ``data``; exit status 2."""

    def __init__(self, code: str, /, *, param: click.Parameter | None = None,
                 param_hint: str | None = None, ctx: click.Context | None = None,
                 **data: Any) -> None:
        super().__init__(code, ctx=ctx, param=param, param_hint=param_hint)
        self.code, self.data = code, data

    def option(self) -> str:
        """The option or argument at fault, as the usage line names it."""
        if self.param_hint is not None:
            hint = self.param_hint
            return " / ".join(hint) if not isinstance(hint, str) else hint
        if self.param is not None:
            return self.param.get_error_hint(self.ctx).replace("'", "")
        return ""

    def why(self) -> str:
        return say("errors", self.code, **self.data)

    def format_message(self) -> str:
        return say("usage", "invalid_value", option=self.option(), why=self.why())
