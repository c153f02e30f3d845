"""The direction of dependency: bot -> handlers -> workflow <- storage.

workflow/ is pure: it imports no framework, driver or sibling package.
handlers/ decide what a push or a command means through workflow's use cases
and ports: no storage, no SQLAlchemy, nothing of bot/. storage/ implements
workflow's ports and knows nothing of handlers or bot. In bot/, only the
composition root and the storage-specific commands meet storage.

layout/ (Markdown and Word to WeChat HTML, images) is pure too: it knows no
package of wxops and no driver or network library; bot/ wires it in (uploads
reach it as a callable). workflow/ and handlers/ do not import it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {"sqlalchemy", "werobot", "wechatpy", "apscheduler", "requests", "alembic",
             "psycopg", "redis", "jinja2", "bot", "handlers", "storage", "layout"}
LAYOUT_FORBIDDEN = {"bot", "handlers", "storage", "workflow", "sqlalchemy", "requests",
                    "werobot", "wechatpy", "apscheduler", "psycopg", "redis", "alembic"}
WORKFLOW_FILES = sorted((ROOT / "workflow").rglob("*.py"))


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_there_are_workflow_modules_to_check() -> None:
    assert len(WORKFLOW_FILES) >= 5


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_workflow_module_imports_nothing_impure(path: Path) -> None:
    assert _imported_roots(path) & FORBIDDEN == set()


def _files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", _files("handlers"), ids=lambda p: str(p.relative_to(ROOT)))
def test_handlers_reach_storage_only_through_workflow_ports(path: Path) -> None:
    assert _imported_roots(path) & {"storage", "sqlalchemy", "bot", "layout"} == set()


def test_there_are_layout_modules_to_check() -> None:
    assert len(_files("layout")) >= 5


@pytest.mark.parametrize("path", _files("layout"), ids=lambda p: str(p.relative_to(ROOT)))
def test_layout_knows_no_package_of_wxops_and_no_driver(path: Path) -> None:
    assert _imported_roots(path) & LAYOUT_FORBIDDEN == set()


@pytest.mark.parametrize("path", _files("storage"), ids=lambda p: str(p.relative_to(ROOT)))
def test_storage_knows_nothing_of_handlers_or_bot(path: Path) -> None:
    assert _imported_roots(path) & {"handlers", "bot"} == set()


#: bot/ modules allowed to import storage: the composition root and the
#: storage-specific commands (db upgrade, the schema check at start-up, backup
#: and restore). Every other bot module takes storage from bot/wiring.py, by the
#: contracts in bot/seams.py.
BOT_STORAGE_ALLOWED = {"wiring.py", "cli.py", "startup.py", "cli_backup.py"}


@pytest.mark.parametrize("path", _files("bot"), ids=lambda p: str(p.relative_to(ROOT)))
def test_only_the_composition_root_and_the_storage_commands_import_storage(path: Path) -> None:
    if path.relative_to(ROOT / "bot").as_posix() in BOT_STORAGE_ALLOWED:
        return
    assert "storage" not in _imported_roots(path)


def test_the_allowed_bot_modules_exist() -> None:
    assert {p.relative_to(ROOT / "bot").as_posix() for p in _files("bot")} >= BOT_STORAGE_ALLOWED


def test_the_checker_catches_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import sqlalchemy.orm\nfrom storage.models import Base\n", encoding="utf-8")
    assert _imported_roots(bad) & FORBIDDEN == {"sqlalchemy", "storage"}
