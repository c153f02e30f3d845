"""The quarterly evaluation's page in headless Chromium, served by the real
``wxops serve`` of tests/browser/conftest.py: the crafted history of
tests/integration/evaluation_history.py (every chart has data), the evaluation
made and opened at its link at a phone's width (375) and from the saved file.
Every chart is drawn, nothing is wider than the phone, no script is on the page
and nothing is fetched but the page itself."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot import evaluation
from tests.browser.conftest import PHONE, PageServer
from tests.browser.test_report_page import _charts, _fits, _self_contained
from tests.integration.evaluation_history import QUARTER, seed

PHONE_WIDTH = int(PHONE["width"])
CHARTS = ("stages", "reasons", "publishes", "ratings")


@pytest.fixture(scope="module")
def made(page_server: PageServer, tmp_path_factory: pytest.TempPathFactory
         ) -> evaluation.Made:
    seed(page_server.app.engine)
    out = tmp_path_factory.mktemp("evaluation") / "evaluation.html"
    # Made now (the link's lifetime runs from now); the quarter is long over, so
    # its figures are those of the crafted history.
    found = evaluation.make(page_server.app, QUARTER, datetime.now(UTC), out)
    assert found.url.startswith(f"{page_server.url}/report/")
    return found


def _every_chart_drawn(browser: Any, width: int) -> None:
    charts = _charts(browser)
    assert sorted(charts) == sorted(CHARTS)
    for name, (has_svg, drawn, svg_width, _) in charts.items():
        assert has_svg and drawn > 0, name
        assert 0 < svg_width <= width, (name, svg_width)
    assert {name: out for name, (_, _, _, out) in charts.items() if out} == {}


def _figure(browser: Any, key: str) -> tuple[str, str]:
    row = browser.find_element("css selector", f'[data-figure="{key}"]')
    return (row.find_element("css selector", "[data-now]").text,
            row.find_element("css selector", "[data-before]").text)


def test_the_evaluation_reads_on_a_phone_with_every_chart(browser: Any,
                                                        made: evaluation.Made) -> None:
    browser.get(made.url)
    assert "季度流程评估" in browser.find_element("id", "title").text
    _every_chart_drawn(browser, PHONE_WIDTH)
    _fits(browser, PHONE_WIDTH)
    _self_contained(browser)
    assert _figure(browser, "send_backs") == ("3", "1")
    assert _figure(browser, "first_response_median") == ("90.0", "10.0")
    assert _figure(browser, "survey_mean") == ("4.00", "2.50")
    assert browser.find_element("id", "no-follower-surveys").is_displayed()


def test_the_saved_evaluation_draws_its_charts_with_no_network(
        browser: Any, made: evaluation.Made) -> None:
    browser.get(Path(made.path).as_uri())
    _every_chart_drawn(browser, PHONE_WIDTH)
    _fits(browser, PHONE_WIDTH)
    _self_contained(browser)
