"""docs/workflow.md holds the transition diagram generated from the table.

Regenerate after changing the table: ``WXOPS_REGENERATE_DOCS=1 make test``.
"""

from __future__ import annotations

import os
from pathlib import Path

from workflow.states import STATE_LABELS, mermaid

DOC = Path(__file__).resolve().parents[2] / "docs" / "workflow.md"


def render() -> str:
    labels = "\n".join(f"| `{s.value}` | {label} |" for s, label in STATE_LABELS.items())
    return (
        "# Content workflow\n\n"
        "Generated from `workflow/states.py` by `tests/unit/test_docs.py`; do not edit by hand.\n"
        "Regenerate with `WXOPS_REGENERATE_DOCS=1 make test`.\n\n"
        f"```mermaid\n{mermaid()}```\n\n"
        f"| state | 中文 |\n|---|---|\n{labels}\n"
    )


def test_committed_diagram_matches_the_transition_table() -> None:
    if os.environ.get("WXOPS_REGENERATE_DOCS") == "1":
        DOC.write_text(render(), encoding="utf-8")
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/workflow.md is out of date: run WXOPS_REGENERATE_DOCS=1 make test"
    )
