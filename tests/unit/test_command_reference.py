"""The README's command reference is generated from the routing table."""

from __future__ import annotations

import os
from pathlib import Path

from handlers.commands.reference import END, START, replace_section
from handlers.commands.table import TABLE

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_command_reference_matches_the_routing_table() -> None:
    text = README.read_text(encoding="utf-8")
    assert START in text and END in text
    expected = replace_section(text, TABLE)
    if os.environ.get("WXOPS_REGENERATE_DOCS") == "1":
        README.write_text(expected, encoding="utf-8")
        text = expected
    assert text == expected, "README command reference is stale: WXOPS_REGENERATE_DOCS=1 make test"


def test_every_command_word_is_unique() -> None:
    words = [w.lower() for spec in TABLE for w in spec.words]
    assert len(words) == len(set(words))
