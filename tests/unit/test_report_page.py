"""bot/report_page.py's charts: a bar chart's names are drawn (on a chart whose
bars run across too), none slanted, and the value axis has a few round steps."""

from __future__ import annotations

from lxml import etree

from bot import report_page
from workflow.report import Slot

SVG = "{http://www.w3.org/2000/svg}"


def _axis_texts(markup: str, axis: str) -> list[str]:
    tree = etree.fromstring(markup.encode())
    return [t.text or "" for g in tree.iter(f"{SVG}g")
            if (g.get("class") or "").split()[:2] == ["axis", axis]
            for t in g.iter(f"{SVG}text")]


def _rotated(markup: str) -> bool:
    return "rotate(" in markup


def test_a_chart_of_bars_across_names_every_bar_and_steps_its_values_roundly() -> None:
    slots = [Slot(n, v, 1) for n, v in enumerate((2896.0, 1550.0, 24.0, 3.0))]
    names = ["冬季助学", "河岸清扫", "一封来信", "月度账目"]
    markup = report_page.bars(slots, lambda s: names[s.key], "reads", horizontal=True)
    assert markup is not None
    assert sorted(_axis_texts(markup, "y")) == sorted(names)
    assert _axis_texts(markup, "x") == ["0", "800", "1,600", "2,400"]


def test_long_names_turn_the_bars_across_instead_of_slanting() -> None:
    slots = [Slot(n, float(n + 1), 1) for n in range(6)]
    markup = report_page.bars(slots, lambda s: f"{s.key} 小时至{s.key + 1} 小时", "tickets")
    assert markup is not None
    assert len(_axis_texts(markup, "y")) == 6 and not _rotated(markup)


def test_many_columns_are_named_every_few_and_upright() -> None:
    slots = [Slot(h, float(h + 1), 1) for h in range(24)]
    markup = report_page.bars(slots, lambda s: f"{s.key:02d}时", "median_minutes")
    assert markup is not None
    named = [t for t in _axis_texts(markup, "x") if t.endswith("时")]
    assert named == [f"{h:02d}时" for h in range(0, 24, 3)]
    assert not _rotated(markup)


def test_no_chart_without_a_value() -> None:
    assert report_page.bars([Slot(0, 0.0, 0)], lambda s: "周一", "reads") is None
