"""``wxops doctor``: is this installation ready? One line per check, ✓ ✗ ! or –,
with what to do; ``--json`` for scripts. Exit status 0 only when everything the
account can use works (bot/doctor.py makes the checks, bot/diagnosis.py decides)."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from bot.cli import warn_about_environment
from bot.cli_text import CliBadParameter, helptext, say

if TYPE_CHECKING:  # the checks load with the command (wechatpy with them), not at start-up
    from bot.diagnosis import Check

#: The terminal the report must fit.
WIDTH = 80
_HANG = "    "


def _url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.startswith(("http://", "https://")):
        raise CliBadParameter("not_http", param=param, ctx=ctx)
    return value


@click.command("doctor")
@click.option("--url", default=None, metavar="URL", callback=_url, help=helptext("doctor_url"))
@click.option("--json", "as_json", is_flag=True, help=helptext("doctor_json"))
def doctor(url: str | None, as_json: bool) -> None:
    """检查安装：配置、令牌、服务器地址、密钥、数据库、worker、待发消息、接口权限
    (check the installation against the real account, or the emulator)."""
    from bot.diagnosis import verdict
    from bot.doctor import diagnose

    warn_about_environment()
    checks = diagnose(url=url)
    status = verdict(checks)
    click.echo(report_json(checks, status) if as_json else report(checks))
    if status:
        raise click.exceptions.Exit(status)


def report(checks: Sequence[Check]) -> str:
    """The checks as people read them, each line fitted to WIDTH columns."""
    from bot.diagnosis import Status

    lines = [say("doctor", c.macro, status=c.status.value, problem=c.problem, d=c.data)
             for c in checks]
    failed = sum(1 for c in checks if c.status is Status.FAIL)
    warned = sum(1 for c in checks if c.status is Status.WARN)
    lines.append(say("doctor", "summary", failed=failed, warned=warned))
    return "\n".join(fit(line) for text in lines for line in text.splitlines())


def report_json(checks: Sequence[Check], status: int) -> str:
    return json.dumps({"ok": status == 0, "exit_status": status,
                       "checks": [c.as_json() for c in checks]}, ensure_ascii=False, indent=2)


def columns(text: str) -> int:
    """How many terminal columns ``text`` takes (a CJK character takes two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def fit(line: str, width: int = WIDTH) -> str:
    """``line`` broken where it would pass ``width`` columns, the rest indented."""
    parts, current, used = [], "", 0
    for ch in line:
        wide = columns(ch)
        if used + wide > width:
            parts.append(current)
            current, used = _HANG, len(_HANG)
        current, used = current + ch, used + wide
    return "\n".join([*parts, current])


def register(cli: click.Group) -> None:
    if doctor.name not in cli.commands:
        cli.add_command(doctor)
