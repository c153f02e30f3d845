"""The report as one web page (workflow/report.py computes it).

The charts are pygal's SVG, inline, with nothing that runs: pygal's config
script and comments are taken out, so the page shows the same with scripts off
(the pages' Content-Security-Policy allows none) and opened from disk. Fonts are
the reader's own, so the file needs no network. Every word a chart shows comes
from templates/web/report_labels.j2; the rest of the page is templates/web/report.j2.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import tzinfo
from functools import cache
from typing import Any

import pygal
from lxml import etree
from markupsafe import Markup
from pygal.graph.graph import Graph
from pygal.style import Style

from bot.pages.render import environment
from workflow.report import RESPONSE_BUCKETS, Report, Slot

#: Articles the reads chart shows (the table below it lists all).
CHART_ARTICLES = 20
#: A chart's drawing width: the page's column on a phone is ~360 CSS px; the SVG
#: scales to it, so this sets how large its words read (≈ 14px at 360).
WIDTH = 420
BAR_HEIGHT = 26
#: A column chart names at most this many columns (every second or third hour
#: of 24), and a name of at most this many characters (周一, 07时); longer
#: names make the bars run across.
NAMED_COLUMNS = 8
COLUMN_NAME = 4
SCALE_STEPS = 6
FONTS = ('-apple-system, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", '
         '"Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif')
#: Greys that read on the light and the dark page alike; WeChat's green and blue.
STYLE = Style(
    font_family=FONTS, background="transparent", plot_background="transparent",
    foreground="#888", foreground_strong="#888", foreground_subtle="rgba(136,136,136,.3)",
    colors=("#07c160", "#576b95", "#fa9d3b", "#e64340"), opacity=".9", opacity_hover=".9",
    label_font_size=13, major_label_font_size=13, value_font_size=12, legend_font_size=13,
    title_font_size=15, no_data_font_size=14, transition="none")


@cache
def _labels() -> Any:
    return environment().get_template("report_labels.j2").module


def label(name: str, *args: object) -> str:
    """One word a chart shows (a macro of report_labels.j2)."""
    return str(getattr(_labels(), name)(*args))


def svg(chart: Graph) -> Markup:
    """The chart as inline SVG, without pygal's script and comments."""
    tree = chart.render_tree()
    for node in list(tree.iter(etree.Comment, "{*}script", "script")):
        parent = node.getparent()
        if parent is not None:
            parent.remove(node)
    return Markup(etree.tostring(tree, encoding="unicode"))


def _chart(kind: Callable[..., Graph], height: int, **config: Any) -> Graph:
    # At most SCALE_STEPS round values on the value axis (pygal's own choice of
    # major labels drops a horizontal chart's names and picks uneven steps).
    settings: dict[str, Any] = {"show_legend": False, "print_values": False,
                                "max_scale": SCALE_STEPS, **config}
    return kind(style=STYLE, js=[], disable_xml_declaration=True, explicit_size=False,
                width=WIDTH, height=height, margin=8, spacing=8, truncate_label=-1,
                **settings)


def bars(slots: Sequence[Slot], name: Callable[[Slot], str], series: str,
         horizontal: bool = False) -> Markup | None:
    """A bar per slot (None when there is none, or all are zero). Names longer
    than a column holds make the bars run across; under many columns, every
    few is named (names are never slanted: a slanted name runs off the chart)."""
    if not any(s.value for s in slots):
        return None
    names = [name(s) for s in slots]
    if horizontal or max(map(len, names)) > COLUMN_NAME:
        chart = _chart(pygal.HorizontalBar, 40 + BAR_HEIGHT * len(slots),
                       print_values=True, value_formatter=_number,
                       margin_left=_wide_margin(names))
        chart.x_labels = list(reversed(names))
        chart.add(label("series", series), [s.value for s in reversed(slots)])
    else:
        chart = _chart(pygal.Bar, 260, value_formatter=_number,
                       x_labels_major_every=math.ceil(len(slots) / NAMED_COLUMNS),
                       show_minor_x_labels=False)
        chart.x_labels = names
        chart.add(label("series", series), [s.value for s in slots])
    return svg(chart)


def paired_bars(names: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]],
                horizontal: bool = True) -> Markup | None:
    """Bars of a few series side by side under one name each (a quarter and the
    one before it; bot/evaluation_page.py), with a legend: None when every value
    is zero or missing."""
    if not any(v for _, values in series for v in values):
        return None
    if horizontal:
        chart = _chart(pygal.HorizontalBar, 70 + BAR_HEIGHT * len(names) * len(series),
                       show_legend=True, legend_at_bottom=True, print_values=True,
                       value_formatter=_number, margin_left=_wide_margin(names))
        chart.x_labels = list(reversed(names))
        for title, values in series:
            chart.add(title, list(reversed(values)))
    else:
        chart = _chart(pygal.Bar, 280, show_legend=True, legend_at_bottom=True,
                       value_formatter=_number)
        chart.x_labels = list(names)
        for title, values in series:
            chart.add(title, list(values))
    return svg(chart)


def _wide_margin(names: Sequence[str]) -> int:
    """What pygal's margin misses: it measures a label as Latin letters, and a
    Chinese character is nearly twice as wide."""
    return 8 + int(0.5 * STYLE.label_font_size * max(map(len, names)))


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}" if value >= 10 else f"{value:g}"


def reads_chart(report: Report) -> Markup | None:
    shown = [a for a in report.articles if a.reads][:CHART_ARTICLES]
    slots = [Slot(n, float(a.reads), 1) for n, a in enumerate(shown)]
    titles = [a.title or label("untitled", a.msgid) for a in shown]
    return bars(slots, lambda s: _short(titles[s.key]), "reads", horizontal=True)


def _short(title: str, most: int = 9) -> str:
    return title if len(title) <= most else title[:most - 1] + "…"


def followers_charts(report: Report) -> tuple[Markup | None, Markup | None]:
    """New and lost followers a day; and the total, where the platform gave it."""
    days = report.followers
    if not days:
        return None, None
    labels = [f"{d.day.month}/{d.day.day}" for d in days]
    every = max(1, len(days) // 7)
    daily = _chart(pygal.Line, 260, show_legend=True, legend_at_bottom=True,
                   show_dots=len(days) <= 31, x_labels_major_every=every,
                   show_minor_x_labels=False, fill=False)
    daily.x_labels = labels
    daily.add(label("series", "new"), [d.new for d in days])
    daily.add(label("series", "lost"), [d.lost for d in days])
    totals = [d.total for d in days]
    if not any(totals):
        return svg(daily), None
    total = _chart(pygal.Line, 220, show_dots=len(days) <= 31, x_labels_major_every=every,
                   show_minor_x_labels=False, value_formatter=_number)
    total.x_labels = labels
    total.add(label("series", "total"), [t or None for t in totals])
    return svg(daily), svg(total)


def charts(report: Report) -> dict[str, Markup | None]:
    """Every chart of the page by name (None: no data for it)."""
    growth, total = followers_charts(report)
    uppers: list[int | None] = [*RESPONSE_BUCKETS[1:], None]
    return {
        "reads": reads_chart(report),
        "followers": growth,
        "follower_total": total,
        "weekday": bars(report.by_weekday, lambda s: label("weekday", s.key), "median_day7"),
        "hour": bars(report.by_hour, lambda s: label("hour", s.key), "median_day7"),
        "sources": bars(report.sources, lambda s: label("source", s.key), "readers",
                        horizontal=True),
        "responses": bars(report.responses, lambda s: label(
            "bucket", s.key, uppers[RESPONSE_BUCKETS.index(s.key)]), "tickets"),
        "response_hours": bars(report.response_hours, lambda s: label("hour", s.key),
                               "median_minutes"),
    }


def render(report: Report, account_name: str, tz: tzinfo) -> str:
    """The whole page, one self-contained HTML document."""
    return environment().get_template("report.j2").render(
        report=report, summary=report.summary, charts=charts(report),
        account_name=account_name, made=report.made_at.astimezone(tz),
        bucket_uppers=[*RESPONSE_BUCKETS[1:], None])
