"""A command line loads only its command's modules (bot.cli.COMMAND_MODULES): the
table must name, for every command, each module that adds it or a subcommand of
it, or that command would be missing (or lack a subcommand) when typed alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: In a fresh interpreter (this one may have registered everything already): each
#: module registered in turn, and which commands and subcommands it added.
_ADDED_BY_EACH = """
import json
from importlib import import_module
from bot.cli import ALL_MODULES, cli

def tree():
    return {(name, sub) for name, command in cli.commands.items()
            for sub in ("", *getattr(command, "commands", {}))}

added, seen = {}, tree()
for module in ALL_MODULES:
    import_module(f"bot.{module}").register(cli)
    now = tree()
    added[module] = sorted(now - seen)
    seen = now
print(json.dumps(added))
"""


def _added_by_each() -> dict[str, list[list[str]]]:
    done = subprocess.run([sys.executable, "-c", _ADDED_BY_EACH], cwd=ROOT, check=True,
                          capture_output=True, text=True, timeout=60)
    return dict(json.loads(done.stdout))


def test_every_command_names_each_module_that_adds_to_it() -> None:
    from bot.cli import ALL_MODULES, COMMAND_MODULES

    added = _added_by_each()
    assert set(added) == set(ALL_MODULES)
    for module, paths in added.items():
        assert paths, f"bot.{module} adds nothing"
        for name, _sub in paths:
            assert module in COMMAND_MODULES.get(name, ()), (module, name, _sub)
    named = {module for modules in COMMAND_MODULES.values() for module in modules}
    assert named == set(ALL_MODULES)


def test_a_command_typed_alone_has_all_its_subcommands() -> None:
    """As a person types it, in a process of its own: ``wxops item --help``
    lists the subcommands other modules add to ``item``."""
    done = subprocess.run([sys.executable, "-c", "from bot.cli import main; main()",
                           "item", "--help"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    listed = {line.split()[0] for line in done.stdout.splitlines()
              if line.startswith("  ") and line.strip()}
    assert {"import", "attach", "preview", "show", "plan"} <= listed


def test_the_emulator_starts_without_storage() -> None:
    """`wxops emulator` plays WeChat and uses no database: neither the wiring of
    storage nor SQLAlchemy's ORM is imported for it (about 0.4 s of every start)."""
    code = ("import sys; from bot.cli import _commands, _obj; _commands(['emulator']); "
            "import bot.emulator.server; _obj('emulator').settings; "
            "print(sorted(m for m in ('bot.wiring', 'sqlalchemy.orm', 'storage.models') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True,
                          capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "WXOPS_DATABASE_URL": "sqlite://"})
    assert done.stdout.strip() == "[]"
