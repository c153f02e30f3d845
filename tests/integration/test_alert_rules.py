"""deploy/prometheus/alerts.yml: every rule names only metrics wxops exports, every
metric wxops exports has a rule, and, where Debian's promtool is installed
(package ``prometheus``), the rules are valid PromQL and fire as
deploy/prometheus/alerts_test.yml expects."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from bot import metrics
from bot.metrics_page import MetricsPage
from storage import heartbeats
from storage.uow import utcnow
from tests.integration.conftest import make_account
from tests.integration.test_metrics import SCRAPE_TOKEN

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
METRIC = re.compile(r"\b(wxops_[a-z0-9_]+)\b")
SUFFIXES = ("", "_total", "_bucket", "_count", "_sum")


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load((RULES / "alerts.yml").read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def exported(engine: Engine) -> set[str]:
    """The families a web server's and a worker's /metrics show (a worker's gauge
    and the counters' families appear once this process has used them)."""
    account = make_account(engine, WXOPS_METRICS_TOKEN=SCRAPE_TOKEN)
    with engine.begin() as conn:  # the heartbeats' ages show once a worker has beaten
        heartbeats.beat(conn, "host:1", utcnow(), leading=True)
    metrics.leading(False)
    metrics.api_call("send_text", "0")
    text = MetricsPage(account.app.settings, account.app.engine).render().decode()
    return {f.name for f in text_string_to_metric_families(text) if f.name.startswith("wxops_")}


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_every_rule_names_exported_metrics_and_every_metric_has_a_rule(engine: Engine) -> None:
    families = exported(engine)
    names = {family + suffix for family in families for suffix in SUFFIXES}
    covered: set[str] = set()
    for rule in rules():
        assert {"alert", "expr", "for", "labels", "annotations"} <= set(rule), rule
        assert rule["labels"]["severity"] in ("page", "ticket")
        assert rule["annotations"]["summary"] and rule["annotations"]["action"]
        named = set(METRIC.findall(rule["expr"]))
        assert named and named <= names, (rule["alert"], named - names)
        covered |= {family for family in families
                    if any(name in (family + s for s in SUFFIXES) for name in named)}
    assert families - covered == set()


@pytest.mark.skipif(shutil.which("promtool") is None,
                    reason="promtool not installed (Debian package prometheus)")
def test_promtool_checks_and_tests_the_rules() -> None:
    for command in (["check", "rules", str(RULES / "alerts.yml")],
                    ["test", "rules", str(RULES / "alerts_test.yml")]):
        done = subprocess.run(["promtool", *command], capture_output=True, text=True,
                              timeout=60, check=False)
        assert done.returncode == 0, done.stdout + done.stderr


def test_the_operations_guide_lists_each_rule_as_it_is() -> None:
    guide = (RULES.parents[1] / "docs" / "operations.md").read_text()
    for rule in rules():
        row = next((line for line in guide.splitlines()
                    if line.startswith(f"| {rule['alert']} (")), None)
        assert row is not None, rule["alert"]
        assert f"`{rule['expr'].replace('|', chr(92) + '|')}`" in row, rule["alert"]
        assert f"| {rule['for']} |" in row and f"({rule['labels']['severity']})" in row
