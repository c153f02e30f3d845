"""The worker's side of the metrics: its own /metrics (calls to the API by errcode,
its leadership), and the heartbeat that tells every host which worker leads."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select

from bot import worker
from bot.gateway import errcode_label
from bot.metrics_page import serve_in_thread
from bot.wechat_errors import NotCalled, OutcomeUnknown, PlatformBusy, TransportError
from bot.worker import Jobs
from storage import capabilities as learnt_log
from storage.models import WorkerHeartbeat
from tests.integration.conftest import make_account
from tests.integration.test_metrics import SCRAPE_TOKEN, Samples, parse, value
from workflow.capabilities import Capability


@pytest.fixture
def jobs(engine: Engine) -> Iterator[Jobs]:
    account = make_account(engine, WXOPS_METRICS_TOKEN=SCRAPE_TOKEN)
    jobs = Jobs(account.app, "metered-worker")
    yield jobs
    jobs.leader.release()


def scrape(port: int, token: str = SCRAPE_TOKEN) -> Samples:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return parse(response.read().decode())


def test_the_worker_serves_its_calls_and_its_leadership(jobs: Jobs, engine: Engine) -> None:
    server = serve_in_thread(jobs.app.settings, "127.0.0.1", 0)
    port = server.server_port
    try:
        before = scrape(port)
        with engine.begin() as conn:  # the platform refused it once: not called again
            learnt_log.learn(conn, Capability.FREE_PUBLISH, datetime.now(UTC), 48001,
                             "publish_submit")
        with pytest.raises(NotCalled):
            jobs.sender.gateway.publish_get("P1")
        assert jobs._leading("prune")
        after = scrape(port)
        with pytest.raises(urllib.error.HTTPError) as refused:
            scrape(port, token="not-the-scrape-token")
        assert refused.value.code == 403
    finally:
        server.shutdown()
        server.server_close()
    calls = ("wxops_wechat_api_calls_total", {"api": "publish_get", "errcode": "not_called"})
    assert value(after, calls[0], **calls[1]) - value(before, calls[0], **calls[1]) == 1
    assert value(after, "wxops_scheduler_leader") == 1
    assert value(after, "process_resident_memory_bytes") > 0
    assert ("wxops_tickets_waiting", ()) not in after  # the state is the web's to read
    with engine.connect() as conn:  # said at once, not at the next beat
        assert conn.execute(select(WorkerHeartbeat.leading)).scalar_one() is True


def test_a_call_is_labelled_by_errcode_or_by_what_happened() -> None:
    assert errcode_label(PlatformBusy(-1, "system busy")) == "-1"
    assert errcode_label(OutcomeUnknown(None, "read timed out", cause="timeout")) == "timeout"
    assert errcode_label(TransportError(None, "refused")) == "unreachable"
    assert errcode_label(TransportError(None, "HTTP 503", cause="http", status=503)) == \
        "http_503"
    assert errcode_label(ValueError("a bug")) == "error"


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_port_already_taken_is_one_line_and_the_worker_runs_on(
        engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        account = make_account(engine, WXOPS_METRICS_TOKEN=SCRAPE_TOKEN,
                               WXOPS_METRICS_PORT=str(port))
        worker._serve_metrics(account.app)
    [line] = [r for r in caplog.records if r.name == "wxops.worker"]
    assert line.levelname == "ERROR" and str(port) in line.getMessage()
