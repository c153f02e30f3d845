"""`wxops ARGV` in this process, for tests that read how a command failed by its
code and data (``bot.cli.Failure``) rather than by its words.

It runs what the ``wxops`` entry point runs (``bot.cli.run``) and prints a
failure the way ``bot.cli.main`` does, so ``err`` holds the same one line; a
process each costs half a second, and a process cannot hand back the code.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.cli import Failure, one_line, run


@dataclass(frozen=True)
class Ran:
    """What `wxops` did: its exit status, what it printed, and how it failed (None
    when it did its work)."""

    status: int
    out: str
    err: str
    failure: Failure | None

    @property
    def code(self) -> str | None:
        return self.failure.code if self.failure else None

    @property
    def data(self) -> Mapping[str, Any]:
        return self.failure.data if self.failure else {}


class Wxops:
    """`wxops` with the given ``WXOPS_*`` settings (no others) in folder ``cwd``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                 cwd: Path | None = None, **env: str) -> None:
        self.capsys = capsys
        for name in [name for name in os.environ if name.startswith("WXOPS_")]:
            monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        if cwd is not None:
            monkeypatch.chdir(cwd)

    def __call__(self, *argv: str) -> Ran:
        self.capsys.readouterr()
        failed = run(list(argv))
        out, err = self.capsys.readouterr()
        if failed is not None and failed.line:
            err += one_line(failed) + "\n"
        return Ran(failed.status if failed else 0, out, err, failed)
