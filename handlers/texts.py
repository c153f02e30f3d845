"""Reply texts: Jinja2 templates shipped in handlers/templates, editable by admins.

An admin's edit is stored in ``account_texts`` and rendered in a sandbox, so
an edited template can use the same variables but cannot reach into Python.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, Template
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from storage.models import AccountText

#: Texts an admin may override, with what each is for.
EDITABLE = {
    "welcome": "关注后的欢迎语",
    "ack": "收到留言后的确认（工作时间）",
    "ack_away": "收到留言后的确认（非工作时间）",
}

_shipped = Environment(loader=PackageLoader("handlers", "templates"), autoescape=False,
                       undefined=StrictUndefined, keep_trailing_newline=False)
_sandbox = SandboxedEnvironment(autoescape=False)


def render(name: str, conn: Connection | Session | None = None, /, **context: Any) -> str:
    """Render a shipped template, or the admin's version of it when there is one."""
    override = _override(conn, name) if conn is not None and name in EDITABLE else None
    template = _compiled(override) if override else _shipped.get_template(f"{name}.j2")
    return template.render(**context).strip()


def phrase(name: str, key: str, /, **context: Any) -> str:
    """One macro ``key`` of the shipped template ``name``: a catalogue of short texts."""
    macro = getattr(_shipped.get_template(f"{name}.j2").module, key)
    return str(macro(**context)).strip()


def shipped_source(name: str) -> str:
    loader = _shipped.loader
    assert loader is not None
    return loader.get_source(_shipped, f"{name}.j2")[0].strip()


def check_template(body: str) -> None:
    """Raise ValueError (Chinese) if an admin's template cannot compile."""
    try:
        _compiled(body)
    except Exception as exc:  # jinja2 raises several types; all mean "bad template"
        raise ValueError(f"模板有误：{exc}") from None


@lru_cache(maxsize=64)
def _compiled(body: str) -> Template:
    return _sandbox.from_string(body)


_OVERRIDE = select(AccountText.body).where(AccountText.key == bindparam("p_key"))


def _override(conn: Connection | Session, name: str) -> str | None:
    return conn.execute(_OVERRIDE, {"p_key": name}).scalar()
