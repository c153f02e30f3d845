"""How the CLI takes a row id: one type for every command that names a row.

Ids are INTEGER columns, so 1 <= id <= MAX_ROW_ID (2**31 - 1, PostgreSQL's
limit). A number outside that range reached the database driver before and
ended in a traceback (SQLite's OverflowError from 2**63, PostgreSQL's "integer
out of range" from 2**31); refusing it here makes it a usage error, one Chinese
line with exit status 2, like every other bad argument.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import click

from bot.cli_text import CliBadParameter
from workflow.model import MAX_ID as MAX_ROW_ID

if TYPE_CHECKING:  # generic from click 8.4; the pin allows 8.1, where it cannot be subscripted
    _IdBase = click.ParamType[int]
    _RefBase = click.ParamType[str]
else:
    _IdBase = _RefBase = click.ParamType

_DIGITS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() also takes "²" and "５"


def row_id(text: str) -> int | None:
    """``text`` as a row id, or None when it is not one (not a number, or out of range)."""
    text = text.strip()
    if not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ROW_ID else None


class RowId(_IdBase):
    """A row id: a whole number from 1 to MAX_ROW_ID."""

    name = "id"
    code = "not_a_row_id"  # why a value is refused, in templates/cli/errors.j2

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ROW_ID:
            return value  # a default, or a value converted already
        found = self.parse(str(value))
        if found is None:
            raise CliBadParameter(self.code, param=param, ctx=ctx, value=str(value),
                                  limit=MAX_ROW_ID)
        return found

    def parse(self, text: str) -> int | None:
        return row_id(text)


class TicketRef(RowId):
    """A ticket, as the queue shows it (T5) or as its bare id (5)."""

    name = "ticket"
    code = "not_a_ticket"

    def parse(self, text: str) -> int | None:
        text = text.strip()
        return row_id(text[1:] if text[:1] in "tT" else text)


ROW_ID = RowId()
TICKET = TicketRef()


class MemberRef(_RefBase):
    """A staff member by id, openid or name. A name or openid is never all digits,
    so a number is an id and must be one."""

    name = "member"

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        text = str(value).strip()
        if _DIGITS.fullmatch(text) and row_id(text) is None:
            raise CliBadParameter("not_a_member", param=param, ctx=ctx, value=str(value),
                                  limit=MAX_ROW_ID)
        return text


MEMBER = MemberRef()
