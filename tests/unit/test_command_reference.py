"""The README's command reference is generated from the routing table."""

from __future__ import annotations

import os
import re
from pathlib import Path

from handlers.commands.reference import END, START, markdown, replace_section
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


def test_every_row_has_its_five_cells() -> None:
    """A ``|`` in a usage or an example (正常|更新|删除, a regex) is escaped, or
    GitHub would end the cell there and shift the rest of the row."""
    for row in markdown(TABLE).splitlines():
        assert len(re.split(r"(?<!\\)\|", row.strip("|"))) == 5, row
