"""``/metrics`` in-process on both engines: the state gauges read the database at
each scrape, the endpoint counts pushes by outcome, the page is guarded."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from storage import heartbeats, outbox
from storage.uow import utcnow
from tests.harness import wechat as wx
from tests.integration.conftest import Account, make_account
from tests.integration.test_inbound_faults import passing_fault

SCRAPE_TOKEN = "scrape-token-0123456789"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(account: Account, token: str | None = SCRAPE_TOKEN,
           address: str = "127.0.0.1") -> tuple[int, Samples]:
    environ: dict[str, Any] = {"REQUEST_METHOD": "GET", "PATH_INFO": "/metrics",
                               "QUERY_STRING": "", "REMOTE_ADDR": address,
                               "wsgi.input": io.BytesIO(b"")}
    if token is not None:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    status: list[str] = []
    body = b"".join(account.client.app(environ, lambda line, headers: status.append(line)))
    code = int(status[0].split()[0])
    if code != 200:
        return code, {}
    return code, parse(body.decode())


def parse(text: str) -> Samples:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def metered(engine: Engine, **settings: str) -> Account:
    return make_account(engine, WXOPS_METRICS_TOKEN=SCRAPE_TOKEN, **settings)


def test_state_gauges_read_the_database_at_each_scrape(engine: Engine) -> None:
    account = metered(engine)
    _, before = scrape(account)
    assert value(before, "wxops_database_up") == 1
    assert value(before, "wxops_tickets_waiting") == 0
    assert value(before, "wxops_outbox_rows", status="pending") == 0
    assert value(before, "wxops_workers_alive") == 0
    assert ("wxops_worker_heartbeat_age_seconds", ()) not in before  # no worker ever
    assert value(before, "wxops_scheduler_leaders") == 0

    assert account.client.push(wx.text("请问活动几点开始？")).status == 200  # opens a ticket
    now = utcnow()
    with engine.begin() as conn:
        outbox.add(conn, "notify", {"openid": "o1"}, "waiting", now - timedelta(minutes=10))
        given_up = outbox.add(conn, "notify", {"openid": "o2"}, "given-up", now)
        assert given_up is not None
        outbox.finish(conn, given_up, "dead", now, "refused", in_doubt=True)
        heartbeats.beat(conn, "host:1", now - timedelta(seconds=20), leading=True)
        heartbeats.beat(conn, "host:2", now - timedelta(seconds=30))
        heartbeats.beat(conn, "gone:3", now - timedelta(minutes=10), leading=True)  # died
    _, after = scrape(account)
    assert value(after, "wxops_tickets_waiting") == 1
    assert 0 <= value(after, "wxops_tickets_oldest_waiting_seconds") < 60
    # The push queued nothing: the ten-minute-old row is the one waiting.
    assert value(after, "wxops_outbox_rows", status="pending") == 1
    assert value(after, "wxops_outbox_oldest_pending_age_seconds") >= 600
    assert value(after, "wxops_outbox_due_lag_seconds") >= 600
    assert value(after, "wxops_outbox_rows", status="dead") == 1
    assert value(after, "wxops_outbox_dead_in_doubt_rows") == 1
    assert value(after, "wxops_workers_alive") == 2
    assert 20 <= value(after, "wxops_worker_heartbeat_age_seconds") < 80
    assert value(after, "wxops_scheduler_leaders") == 1  # the dead one's word is stale
    assert 20 <= value(after, "wxops_scheduler_leader_heartbeat_age_seconds") < 80
    assert value(after, "wxops_inbound_failed_pushes", state="for_a_person") == 0


def test_pushes_are_counted_by_outcome(engine: Engine) -> None:
    account = metered(engine)
    _, before = scrape(account)
    assert account.client.push(wx.text("你好", msg_id=11)).status == 200  # opens a ticket
    assert account.client.push(wx.text("还在吗", msg_id=12)).text == "success"  # appended
    assert account.client.push(wx.text("你好", msg_id=11)).status == 200  # WeChat's retry
    query, body = account.client.signer.build(wx.text("伪造", msg_id=13), "plain")
    forged = account.client.request("POST", {**query, "signature": "0" * 40}, body)
    assert forged.status == 403
    _, after = scrape(account)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("wxops_pushes_total", outcome="replied", reason="") == 1
    assert delta("wxops_pushes_total", outcome="success", reason="") == 1
    assert delta("wxops_pushes_total", outcome="duplicate", reason="") == 1
    assert delta("wxops_pushes_total", outcome="refused", reason="bad_signature") == 1
    assert delta("wxops_push_duration_seconds_count", outcome="replied") == 1
    assert delta("wxops_push_duration_seconds_bucket", outcome="replied", le="+Inf") == 1
    assert delta("wxops_push_duration_seconds_sum", outcome="replied") > 0


def test_pushes_kept_for_the_worker_or_for_a_person_are_counted(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    account = metered(engine)
    _, before = scrape(account)

    def broken(ctx: Any, msg: Any) -> Any:
        if msg.text("Content") == "故障":
            passing_fault(ctx)  # every try: kept for the worker
        raise ValueError("a handler's bug")  # kept for a person

    monkeypatch.setattr("bot.handling.route", lambda msg: broken)
    # The handlers' way (a follower's text skips it on PostgreSQL: bot.one_trip).
    monkeypatch.setattr("bot.one_trip.answer", lambda *args: None)
    assert account.client.push(wx.text("故障", msg_id=21)).text == "success"
    assert account.client.push(wx.text("错误", msg_id=22)).text == "success"
    _, after = scrape(account)
    for outcome in ("kept", "failed"):
        counted = value(after, "wxops_pushes_total", outcome=outcome, reason="")
        assert counted - value(before, "wxops_pushes_total", outcome=outcome, reason="") == 1
    assert value(after, "wxops_inbound_failed_pushes", state="retrying") == 1
    assert value(after, "wxops_inbound_failed_pushes", state="for_a_person") == 1


def test_metrics_are_off_unless_a_token_or_addresses_are_set(engine: Engine) -> None:
    assert scrape(make_account(engine))[0] == 404
    account = metered(engine, WXOPS_METRICS_ALLOW="10.0.0.0/8, 192.0.2.7")
    assert scrape(account, address="10.1.2.3")[0] == 200
    assert scrape(account, address="192.0.2.7")[0] == 200
    assert scrape(account, address="10.1.2.3", token="scrape-token-wrong-one")[0] == 403
    assert scrape(account, address="10.1.2.3", token=None)[0] == 403
    assert scrape(account, address="127.0.0.1")[0] == 403  # a proxy on this host: not listed
    by_address = make_account(engine, WXOPS_METRICS_ALLOW="::ffff:0:0/96,127.0.0.1")
    assert scrape(by_address, token=None)[0] == 200
    assert scrape(by_address, token=None, address="198.51.100.1")[0] == 403
