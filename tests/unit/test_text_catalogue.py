"""Text by code: user-facing Chinese lives in the template catalogue
(handlers/templates/), not in Python.

Not there yet (issue 20): the budget below is what each module still holds, as
string literals with Chinese in them (docstrings and comments not counted;
migrations, which match old stored text, left out). It may only shrink: a
module that gains one fails, and one that loses some must lower its budget, so
the next change cannot spend what this one saved. The command words and time
words of the grammar may stay in Python for good.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "workflow", "storage")
CHINESE = re.compile(r"[\u4e00-\u9fff]")

BUDGET: dict[str, int] = {
    "bot/cli_queue.py": 5,
    "bot/cli_worker.py": 14,
    "bot/config.py": 1,
    "bot/demo.py": 2,
    "bot/emulator/control.py": 1,
    "bot/emulator/push.py": 1,
    "handlers/commands/grammar.py": 8,
    "handlers/commands/me.py": 2,
    "handlers/commands/planning.py": 4,
    "handlers/commands/table.py": 83,
    "handlers/staff_channel.py": 1,
    "handlers/when.py": 74,
    "workflow/agenda.py": 3,
    "workflow/autoreply.py": 4,
    "workflow/roles.py": 10,
    "workflow/states.py": 38,
}


def chinese_literals(path: Path) -> int:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef
                                | ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    return sum(1 for node in ast.walk(tree)
               if isinstance(node, ast.Constant) and isinstance(node.value, str)
               and CHINESE.search(node.value) and id(node) not in docstrings)


def counts() -> dict[str, int]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            if n := chinese_literals(path):
                found[str(path.relative_to(ROOT))] = n
    return found


def test_no_module_gains_chinese_text_outside_the_catalogue() -> None:
    grown = {f: (n, BUDGET.get(f, 0)) for f, n in counts().items() if n > BUDGET.get(f, 0)}
    assert not grown, f"move the text to handlers/templates/ (found, budget): {grown}"


def test_the_budget_is_lowered_as_text_moves_out() -> None:
    found = counts()
    slack = {f: (found.get(f, 0), b) for f, b in BUDGET.items() if found.get(f, 0) < b}
    assert not slack, f"lower BUDGET to what is left (found, budget): {slack}"


def test_the_counter_sees_sentences_and_skips_docstrings(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text('"""文档。"""\nx = "你好"\ny = f"第 {x}"\nz = "plain"\n', encoding="utf-8")
    assert chinese_literals(module) == 2
