"""`wxops outbox` and `wxops queue reply` as a person runs them, in this process
(tests.integration.clirun): refusals read by code and data, output compared with
the catalogue's words for the data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, delete, update

from bot.cli_queue import STATUS_LABELS as QUEUE_LABELS
from bot.cli_text import say
from bot.cli_worker import IN_DOUBT_LABEL, STATUS_LABELS
from bot.timefmt import local
from handlers import texts
from storage import followers, migrate, outbox, tickets
from storage import staff as staff_store
from storage.db import make_engine
from storage.models import Follower, OutboxMessage, ReplyTicket
from storage.uow import SqlUnitOfWork
from tests.integration.clirun import Wxops
from workflow.reply_queue import TicketStatus
from workflow.roles import Role

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the default timezone, which the CLI shows times in


@pytest.fixture
def wxops(engine_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
          capsys: pytest.CaptureFixture[str]) -> Wxops:
    """`wxops` in this process, on the test's database."""
    return Wxops(monkeypatch, capsys, tmp_path, WXOPS_DATABASE_URL=engine_url)


def admin_and_ticket(engine_url: str, tmp_path: Path, text: str) -> tuple[Engine, datetime]:
    """A migrated database with an admin and ticket T1, opened by ``text`` from o_fan."""
    engine, now = make_engine(engine_url), datetime.now(UTC)
    migrate.upgrade(engine)  # what `wxops db upgrade` does (tests.integration.test_cli)
    with SqlUnitOfWork(engine) as uow:
        staff_store.add_staff(uow.session, "admin", frozenset({Role.ADMIN}), now, "o_admin")
        uow.commit()
    with engine.begin() as conn:
        follower = followers.touch(conn, "o_fan", now, "message").follower_id
        tickets.record_inbound(conn, follower, "text", text, None, now)
    return engine, now


def test_inspect_and_redrive_the_outbox(engine_url: str, tmp_path: Path, wxops: Wxops) -> None:
    engine, _ = admin_and_ticket(engine_url, tmp_path, "你好")
    assert QUEUE_LABELS[TicketStatus.OPEN] in wxops("queue", "list").out
    replied = wxops("queue", "reply", "T1", "您好，已收到", "--as", "admin")
    assert replied.status == 0 and "T1" in replied.out
    assert QUEUE_LABELS[TicketStatus.PENDING] in wxops("queue", "show", "T1").out
    listed = wxops("outbox", "list").out
    assert f"{STATUS_LABELS['pending']} 1" in listed and "cs_reply" in listed
    shown = wxops("outbox", "show", "1").out
    assert "您好，已收到" in shown and "cs_reply:" in shown
    assert wxops("outbox", "retry", "1").status == 1  # not dead yet
    with engine.begin() as conn:
        conn.execute(update(OutboxMessage).values(status="dead", last_error="测试失败"))
    assert "测试失败" in wxops("outbox", "dead").out
    assert wxops("outbox", "retry", "1").status == 0
    with engine.connect() as conn:
        row = outbox.get(conn, 1)
    assert row is not None and (row.status, row.attempts) == ("pending", 0)
    took = datetime.now(UTC)
    with engine.begin() as conn:  # the platform took it, then the worker died: parked
        conn.execute(update(OutboxMessage).values(
            status="dead", delivered_at=took, result={"msgid": 42}, last_error="发送过程中断"))
    accepted = say("outbox", "delivered", at=local(took, SHANGHAI), result='{"msgid": 42}')
    assert accepted in wxops("outbox", "show", "1").out.splitlines()  # what WeChat answered
    again = wxops("outbox", "retry", "1")  # it would arrive twice
    assert (again.status, again.code) == (1, "retry_delivered") and again.data["row_id"] == 1
    assert wxops("outbox", "retry", "1", "--force").status == 0
    with engine.connect() as conn:  # the worker will call WeChat again, not skip the call
        forced = outbox.get(conn, 1)
    assert forced is not None and (forced.status, forced.delivered_at) == ("pending", None)
    missing = wxops("outbox", "show", "99")
    assert (missing.status, missing.code, missing.data) == (1, "outbox_not_found", {"row_id": 99})
    with engine.begin() as conn:
        conn.execute(update(ReplyTicket).values(status="resolved", resolution="resolved"))
    late = wxops("queue", "reply", "T1", "还在吗", "--as", "admin")
    assert (late.status, late.code) == (1, "ticket_refused")
    assert (late.data["ticket_id"], late.data["action"], late.data["refusal"]) == (
        1, "reply", "closed")
    assert "还在吗" not in wxops("queue", "show", "T1").out
    engine.dispose()


def test_a_cli_reply_is_checked_and_expanded_as_the_chat_command_is(
        engine_url: str, tmp_path: Path, wxops: Wxops) -> None:
    engine, now = admin_and_ticket(engine_url, tmp_path, "地址在哪")
    with SqlUnitOfWork(engine) as uow:
        uow.canned.save("地址", "社区中心在幸福路 8 号", 1, now)
        uow.tickets.add_note(1, 1, "先发地址", now + timedelta(milliseconds=1))
        uow.commit()
    replied = wxops("queue", "reply", "T1", "#地址 周六见", "--as", "admin")
    assert replied.status == 0, replied.err
    shown = wxops("queue", "show", "T1").out.splitlines()
    ticket = SimpleNamespace(id=1, priority=0, assignee="admin", openid="o_fan")  # not raised
    assert shown[0] == say("queue", "ticket", ticket=ticket,
                           status=QUEUE_LABELS[TicketStatus.PENDING])
    assert [line.split("  ", 2)[2] for line in shown[1:]] == [  # one history in time order
        say("queue", "message", message=SimpleNamespace(direction="in", kind="text",
                                                        content="地址在哪")),
        say("queue", "note", note=SimpleNamespace(staff="admin", content="先发地址")),
        say("queue", "message", message=SimpleNamespace(direction="out", kind="text",
                                                        content="社区中心在幸福路 8 号 周六见"))]
    assert "社区中心在幸福路 8 号 周六见" in wxops("outbox", "show", "1").out
    unknown = wxops("queue", "reply", "T1", "#电话", "--as", "admin")
    assert (unknown.status, unknown.code, unknown.data["code"]) == (
        1, "canned_unknown_in_reply", "电话")
    with engine.begin() as conn:  # the follower wrote three days ago: the window is closed
        conn.execute(update(Follower).values(last_message_at=now - timedelta(days=3)))
    closed = wxops("queue", "reply", "T1", "还在吗", "--as", "admin")
    assert (closed.status, closed.code) == (1, "reply_window_closed")
    assert closed.data["ticket_id"] == 1
    assert len(closed.err.strip().splitlines()) == 1
    engine.dispose()


def parked(engine: Engine, now: datetime, *rows: tuple[str, bool, bool, timedelta]) -> None:
    """Dead rows (kind, in doubt, delivered, how long ago they died), ids 1, 2, …"""
    with engine.begin() as conn:
        for n, (kind, in_doubt, delivered, ago) in enumerate(rows, start=1):
            outbox.add(conn, kind, {"n": n}, f"k{n}", now - ago)
            conn.execute(update(OutboxMessage).where(OutboxMessage.id == n).values(
                status="dead", in_doubt=in_doubt, dead_at=now - ago, last_error="原因",
                delivered_at=now - ago if delivered else None))


def statuses(engine: Engine) -> list[tuple[str, bool, bool]]:
    with engine.connect() as conn:
        return [(r.status, r.in_doubt, r.delivered_at is not None)
                for r in sorted(outbox.listing(conn), key=lambda r: r.id)]


def test_a_row_that_may_have_arrived_is_resent_only_by_force(
        engine_url: str, tmp_path: Path, wxops: Wxops) -> None:
    """Issue 18 point 3: `outbox retry ID` resent rows in doubt without --force,
    and five of six had arrived. Now it refuses, and `show` says which case a
    row is and how to check."""
    engine, now = admin_and_ticket(engine_url, tmp_path, "你好")
    parked(engine, now, ("cs_reply", True, False, timedelta(minutes=1)),
           ("cs_reply", False, False, timedelta(minutes=1)))
    refused = wxops("outbox", "retry", "1")
    assert refused.status == 1 and len(refused.err.strip().splitlines()) == 1
    assert (refused.code, refused.data) == ("retry_in_doubt", {"row_id": 1, "kind": "cs_reply"})
    assert "--force" in refused.err and statuses(engine)[0] == ("dead", True, False)
    shown = wxops("outbox", "show", "1").out
    assert texts.phrase("outbox", "case_in_doubt", kind="cs_reply", row_id=1) in shown
    assert texts.phrase("outbox", "case_not_delivered", row_id=2) in \
        wxops("outbox", "show", "2").out
    with engine.begin() as conn:  # a notice waiting for the person's next message
        outbox.add(conn, "notify", {"n": 3}, "k3", now)
        conn.execute(update(OutboxMessage).where(OutboxMessage.id == 3).values(status="held"))
    held = wxops("outbox", "show", "3").out
    assert texts.phrase("outbox", "case_held") in held and "retry" not in held
    with engine.begin() as conn:
        conn.execute(delete(OutboxMessage).where(OutboxMessage.id == 3))
    listed = {line.split()[0]: line for line in
              wxops("outbox", "dead").out.splitlines()[1:]}
    assert IN_DOUBT_LABEL in listed["1"] and IN_DOUBT_LABEL not in listed["2"]
    assert wxops("outbox", "retry", "2").status == 0
    assert wxops("outbox", "retry", "1", "--force").status == 0
    assert statuses(engine) == [("pending", False, False)] * 2
    engine.dispose()


def test_a_burst_of_dead_rows_is_retried_at_once_except_those_that_may_have_arrived(
        engine_url: str, tmp_path: Path, wxops: Wxops) -> None:
    engine, now = admin_and_ticket(engine_url, tmp_path, "你好")
    parked(engine, now, ("cs_reply", True, False, timedelta(minutes=2)),  # may have arrived
           ("cs_reply", False, False, timedelta(minutes=3)),  # never reached WeChat
           ("notify", False, True, timedelta(minutes=4)),  # WeChat took it
           ("cs_reply", False, False, timedelta(hours=2)),  # died before the burst
           ("cs_reply", False, False, timedelta(minutes=5)))
    burst = wxops("outbox", "retry", "--dead-since", "10m")
    assert burst.status == 0, burst.err
    assert burst.out.splitlines() == [
        texts.phrase("outbox", "retried_many", ids=[2, 5]),
        texts.phrase("outbox", "skipped_in_doubt", ids=[1]),
        texts.phrase("outbox", "skipped_delivered", ids=[3])]
    assert [s for s, _, _ in statuses(engine)] == ["dead", "pending", "dead", "dead", "pending"]
    forced = wxops("outbox", "retry", "--dead-since", "10m", "--force")
    assert forced.out.splitlines() == [texts.phrase("outbox", "retried_many", ids=[1, 3])]
    assert statuses(engine)[:3] == [("pending", False, False)] * 3  # the marker is cleared
    assert wxops("outbox", "retry", "--dead-since", "3h").status == 0
    assert [s for s, _, _ in statuses(engine)] == ["pending"] * 5
    for wrong in (["--dead-since", "10x"], ["--dead-since", "0m"]):
        bad = wxops("outbox", "retry", *wrong)
        assert bad.status == 2 and len(bad.err.strip().splitlines()) == 1
        assert (bad.code, bad.data) == ("bad_duration", {"option": "--dead-since",
                                                         "text": wrong[1]})
    for unclear in ([], ["1", "--dead-since", "10m"]):  # a usage error, as `inbound replay`'s
        said = wxops("outbox", "retry", *unclear)
        assert (said.code, said.status) == ("one_or_since", 2)
        assert said.err.strip().endswith("（用 `wxops outbox retry --help` 查看用法）")
    engine.dispose()


def test_a_row_the_account_cannot_deliver_is_not_queued_again(
        engine_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """On an unverified subscription account, a dead reply or publication would
    only die again: `outbox retry` refuses it (even with --force) and says why;
    a notice (which has ways of its own) is queued again."""
    engine, now = admin_and_ticket(engine_url, tmp_path, "你好")
    small = Wxops(monkeypatch, capsys, tmp_path, WXOPS_DATABASE_URL=engine_url,
                  WXOPS_ACCOUNT_KIND="subscription", WXOPS_ACCOUNT_VERIFIED="0")
    parked(engine, now, ("cs_reply", False, False, timedelta(minutes=1)),
           ("submit_publish", False, False, timedelta(minutes=1)),
           ("notify", False, False, timedelta(minutes=1)))
    for force in ([], ["--force"]):
        refused = small("outbox", "retry", "1", *force)
        assert (refused.status, refused.code, dict(refused.data)) == (
            1, "retry_lacks_capability",
            {"row_id": 1, "capability": "customer_service", "call": "send_text",
             "kind": "unverified-subscription", "learnt": False})
        assert "消息管理" in refused.err
    burst = small("outbox", "retry", "--dead-since", "10m")
    assert burst.out.splitlines() == [texts.phrase("outbox", "retried_many", ids=[3]),
                                      texts.phrase("outbox", "skipped_lacking", ids=[1, 2])]
    assert [s for s, _, _ in statuses(engine)] == ["dead", "dead", "pending"]
    engine.dispose()
