"""The quarterly evaluation as one web page (workflow/evaluation.py computes it),
drawn as the weekly report is (bot/report_page.py: pygal's inline SVG, no
script, the reader's fonts). Every word a chart shows comes from
templates/web/evaluation_labels.j2; the rest of the page is
templates/web/evaluation.j2."""

from __future__ import annotations

from datetime import tzinfo
from functools import cache
from typing import Any

from markupsafe import Markup

from bot.pages.render import environment
from bot.report_page import paired_bars
from workflow.evaluation import (
    ON_TIME_MINUTES,
    OTHER,
    REASON_GROUPS,
    Evaluation,
    Measures,
    Stage,
)
from workflow.staff_survey import RATINGS


@cache
def _labels() -> Any:
    return environment().get_template("evaluation_labels.j2").module


def label(name: str, *args: object) -> str:
    """One word a chart shows (a macro of evaluation_labels.j2)."""
    return str(getattr(_labels(), name)(*args))


def _series(found: Evaluation) -> tuple[str, str]:
    return (label("quarter", found.quarter.name), label("quarter", found.quarter.previous().name))


def _pair(found: Evaluation, values: Any) -> list[tuple[str, list[float | None]]]:
    """Each quarter's values (a zero drawn as no bar, not as a "0" beside none)."""
    now, before = _series(found)
    return [(title, [v or None for v in values(m)])
            for title, m in ((now, found.current), (before, found.previous))]


def charts(found: Evaluation) -> dict[str, Markup | None]:
    """Every chart of the page by name (None: no data for it)."""
    stages = list(Stage)
    reasons = [name for name, _ in REASON_GROUPS] + [OTHER]

    def reason_counts(m: Measures) -> list[float | None]:
        counts = dict(m.send_backs.reasons)
        return [float(counts.get(r, 0)) for r in reasons]

    used = [r for r in reasons if any(dict(m.send_backs.reasons).get(r)
                                      for m in (found.current, found.previous))]
    outcomes = ("on_time", "late", "failed")
    return {
        "stages": paired_bars([label("stage", s.key) for s in stages],
                              _pair(found, lambda m: [m.stages[s].median for s in stages])),
        "reasons": paired_bars(
            [label("reason", r) for r in used],
            _pair(found, lambda m: [v for r, v in zip(reasons, reason_counts(m), strict=True)
                                    if r in used])),
        "publishes": paired_bars(
            [label("outcome", o) for o in outcomes],
            _pair(found, lambda m: [float(getattr(m.publishes, o)) for o in outcomes])),
        "ratings": paired_bars(
            [label("rating", r) for r in RATINGS],
            _pair(found, lambda m: [float(n) for _, n in m.survey.ratings]), horizontal=False),
    }


def render(found: Evaluation, account_name: str, tz: tzinfo) -> str:
    """The whole page, one self-contained HTML document."""
    return environment().get_template("evaluation.j2").render(
        ev=found, now=found.current, before=found.previous, charts=charts(found),
        stages=list(Stage), account_name=account_name, made=found.made_at.astimezone(tz),
        on_time_minutes=ON_TIME_MINUTES)
