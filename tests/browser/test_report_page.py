"""The report page in headless Chromium, served by a real ``wxops serve``: a
database filled by bench/report_data.py (60 articles over 120 days, enough
that every chart has data), the weekly report and one of the whole range made
by real ``wxops report`` processes, opened at their links at a phone's width
(375) and a desktop's (1280), and from the saved file. Every chart is drawn,
nothing is wider than the phone, no script is on the page and nothing is
fetched but the page itself; a revoked link is gone (410), a tampered one
unknown (404).

With ``WXOPS_TEST_WRITE_SCREENSHOTS=1`` the screenshots (report-phone.png, the
whole weekly report on a phone; report-desktop.png) are written to
docs/screenshots/ (palette-reduced PNGs); otherwise to the test's temporary
folder.
"""

from __future__ import annotations

import base64
import io
import os
import re
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bench.report_data import CHINA, seed
from bot import reports
from bot.links import addresses_for_chat
from tests.browser.conftest import PHONE, PageServer
from tests.e2e.conftest import wxops
from workflow import link_cases
from workflow import report as rules
from workflow.model import Context
from workflow.roles import CONSOLE_ACTOR

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
DESKTOP = 1280
PHONE_WIDTH = int(PHONE["width"])
#: The charts of report.j2, each a section's ``data-chart``.
CHARTS = ("reads", "followers", "follower_total", "weekday", "hour", "sources", "responses",
          "response_hours")
_JS = (Path(__file__).parent / "page_checks.js").read_text(encoding="utf-8")
#: Per chart: its name, whether it has an SVG, how many bars or lines are drawn
#: (a visible box), the SVG's width and the labels sticking out of it.
_CHARTS = """
return [...document.querySelectorAll('[data-chart]')].map(c => {
  const svg = c.querySelector('svg');
  if (!svg) return [c.dataset.chart, false, 0, 0, []];
  const box = svg.getBoundingClientRect();
  const drawn = [...svg.querySelectorAll('.series rect, .series path.line')].filter(m => {
    const b = m.getBoundingClientRect();
    return b.width > 0 && (b.height > 0 || m.tagName === 'path');
  }).length;
  const out = [...svg.querySelectorAll('text')].filter(t => {
    const b = t.getBoundingClientRect();
    return t.textContent.trim() && b.width > 0 && getComputedStyle(t).display !== 'none'
      && (b.left < box.left - 1 || b.right > box.right + 1
          || b.top < box.top - 1 || b.bottom > box.bottom + 1);
  }).map(t => t.textContent.trim());
  return [c.dataset.chart, true, drawn, Math.round(box.width), out];
});
"""


@dataclass(frozen=True)
class Made:
    url: str
    path: Path


@dataclass(frozen=True)
class Reports:
    week: Made
    whole: Made  # the seeded range, 120 days


def _report(server: PageServer, out: Path, *args: str) -> Made:
    done = subprocess.run(wxops("report", *args, "--out", str(out)), env=server.env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    found = re.search(rf"{re.escape(server.url)}/report/\S+", done.stdout)
    assert found is not None, done.stdout
    assert out.is_file()
    return Made(found.group(0), out)


@pytest.fixture(scope="module")
def made(page_server: PageServer, tmp_path_factory: pytest.TempPathFactory) -> Reports:
    yesterday = datetime.now(CHINA).date() - timedelta(days=1)
    data = seed(page_server.app.engine, yesterday, articles=60, days=120, tickets=700,
                complaints=12)
    folder = tmp_path_factory.mktemp("reports")
    return Reports(_report(page_server, folder / "week.html", "--week"),
                   _report(page_server, folder / "whole.html", "--since", f"{data.first}",
                           "--until", f"{data.last}"))


def _at_desktop(browser: Any, url: str) -> None:
    """Open ``url`` at a desktop's width. The browser plays a phone
    (tests/browser/conftest.py) and its driver sets the phone's screen again on
    every navigation, so the desktop's is set after it: the page lays itself
    out again without loading anything."""
    browser.get(url)
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": DESKTOP, "height": 900, "deviceScaleFactor": 1, "mobile": False})


@pytest.fixture
def desktop(browser: Any) -> Iterator[Any]:
    """The browser, a phone's screen again after the test."""
    try:
        yield browser
    finally:
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": PHONE["width"], "height": PHONE["height"],
            "deviceScaleFactor": PHONE["pixelRatio"], "mobile": True})


def _charts(browser: Any) -> dict[str, tuple[bool, int, int, list[str]]]:
    return {name: (has_svg, drawn, width, out)
            for name, has_svg, drawn, width, out in browser.execute_script(_CHARTS)}


def _every_chart_drawn(browser: Any, width: int) -> None:
    charts = _charts(browser)
    assert sorted(charts) == sorted(CHARTS)
    for name, (has_svg, drawn, svg_width, _) in charts.items():
        assert has_svg and drawn > 0, name
        assert 0 < svg_width <= width, (name, svg_width)
    # No label clipped at its chart's edge.
    assert {name: out for name, (_, _, _, out) in charts.items() if out} == {}


def _self_contained(browser: Any) -> None:
    """No script anywhere (SVGs included), and nothing fetched but the page (the
    browser's own asking for the site's icon aside, which never leaves its host)."""
    assert browser.execute_script("return document.querySelectorAll('script').length") == 0
    assert "<script" not in browser.page_source
    fetched = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    origin = browser.execute_script("return location.origin")
    assert [url for url in fetched if url != f"{origin}/favicon.ico"] == []


def _fits(browser: Any, width: int) -> None:
    assert browser.execute_script("return window.innerWidth") == width
    assert browser.execute_script("return document.scrollingElement.scrollWidth") <= width
    assert browser.execute_script(_JS + "\nreturn tooWide();") == []


def _shot(browser: Any, name: str, width: int, tmp_path: Path) -> None:
    """The whole page, ``width`` pixels wide."""
    height = browser.execute_script("return document.scrollingElement.scrollHeight")
    shot = browser.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
    png = Image.open(io.BytesIO(base64.b64decode(shot["data"]))).convert("RGB")
    png = png.resize((width, round(png.height * width / png.width)), Image.Resampling.LANCZOS)
    folder = SHOTS if os.environ.get("WXOPS_TEST_WRITE_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    png.quantize(96).save(folder / f"{name}.png", optimize=True)


def _headers(url: str) -> tuple[int, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status), dict(response.headers)
    except urllib.error.HTTPError as refused:
        return refused.code, dict(refused.headers)


def test_the_weekly_report_reads_on_a_phone_with_every_chart(
        browser: Any, made: Reports, tmp_path: Path) -> None:
    status, headers = _headers(made.week.url)
    assert status == 200
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "script-src" not in headers["Content-Security-Policy"]
    browser.get(made.week.url)
    _shot(browser, "report-phone", PHONE_WIDTH, tmp_path)  # to look at when it fails too
    assert browser.find_element("id", "title").text
    _every_chart_drawn(browser, PHONE_WIDTH)
    _fits(browser, PHONE_WIDTH)
    _self_contained(browser)


def test_the_whole_range_reads_on_a_phone(browser: Any, made: Reports) -> None:
    browser.get(made.whole.url)
    _every_chart_drawn(browser, PHONE_WIDTH)
    _fits(browser, PHONE_WIDTH)
    _self_contained(browser)


def test_the_reports_on_a_desktop(desktop: Any, made: Reports, tmp_path: Path) -> None:
    _at_desktop(desktop, made.whole.url)
    _every_chart_drawn(desktop, DESKTOP)
    _fits(desktop, DESKTOP)
    _self_contained(desktop)
    _at_desktop(desktop, made.week.url)
    _shot(desktop, "report-desktop", DESKTOP, tmp_path)
    _every_chart_drawn(desktop, DESKTOP)
    _fits(desktop, DESKTOP)


def test_the_saved_file_draws_its_charts_with_no_network(browser: Any, made: Reports) -> None:
    for kept in (made.week.path, made.whole.path):
        browser.get(kept.as_uri())
        _every_chart_drawn(browser, PHONE_WIDTH)
        _fits(browser, PHONE_WIDTH)
        _self_contained(browser)


def test_a_revoked_report_link_is_gone_and_a_tampered_one_unknown(
        page_server: PageServer, made: Reports, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    app = page_server.app
    found = reports.make(app, rules.last_week(now.astimezone(CHINA).date()), now,
                         tmp_path / "week.html")
    addresses = addresses_for_chat(app.settings)
    assert addresses is not None
    revoked, fine = (link_cases.report_link(app.uow(), found.id, None, now, timedelta(days=1))
                     for _ in range(2))
    assert link_cases.revoke(app.uow(), CONSOLE_ACTOR, revoked.id, Context(now=now))
    fine_url = addresses.url(fine)
    tampered = fine_url[:-3] + ("xyz" if not fine_url.endswith("xyz") else "abc")
    assert [_headers(url)[0] for url in (addresses.url(revoked), tampered, fine_url)] == [
        410, 404, 200]
