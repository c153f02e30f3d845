"""workflow/ is pure: it imports no framework, driver or sibling package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {"sqlalchemy", "werobot", "wechatpy", "apscheduler", "requests", "alembic",
             "psycopg", "redis", "jinja2", "bot", "handlers", "storage"}
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


def test_the_checker_catches_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import sqlalchemy.orm\nfrom storage.models import Base\n", encoding="utf-8")
    assert _imported_roots(bad) & FORBIDDEN == {"sqlalchemy", "storage"}
