"""`wxops outbox` and `wxops queue reply` as a person runs them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, update

from bot.cli_worker import IN_DOUBT_LABEL
from handlers import texts
from storage import followers, outbox, tickets
from storage import staff as staff_store
from storage.db import make_engine
from storage.models import Follower, OutboxMessage, ReplyTicket
from storage.uow import SqlUnitOfWork
from tests.integration.test_cli import run
from workflow.roles import Role


def admin_and_ticket(engine_url: str, tmp_path: Path, text: str) -> tuple[Engine, datetime]:
    """A migrated database with an admin and ticket T1, opened by ``text`` from o_fan."""
    assert run(["db", "upgrade"], tmp_path, WXOPS_DATABASE_URL=engine_url).returncode == 0
    engine, now = make_engine(engine_url), datetime.now(UTC)
    with SqlUnitOfWork(engine) as uow:
        staff_store.add_staff(uow.session, "admin", frozenset({Role.ADMIN}), now, "o_admin")
        uow.commit()
    with engine.begin() as conn:
        follower = followers.touch(conn, "o_fan", now, "message").follower_id
        tickets.record_inbound(conn, follower, "text", text, None, now)
    return engine, now


def test_inspect_and_redrive_the_outbox(engine_url: str, tmp_path: Path) -> None:
    env = {"WXOPS_DATABASE_URL": engine_url}
    engine, _ = admin_and_ticket(engine_url, tmp_path, "你好")
    assert "待回复" in run(["queue", "list"], tmp_path, **env).stdout
    replied = run(["queue", "reply", "T1", "您好，已收到", "--as", "admin"], tmp_path, **env)
    assert replied.returncode == 0 and "T1" in replied.stdout
    assert "待对方回复" in run(["queue", "show", "T1"], tmp_path, **env).stdout
    listed = run(["outbox", "list"], tmp_path, **env).stdout
    assert "待发送 1" in listed and "cs_reply" in listed
    shown = run(["outbox", "show", "1"], tmp_path, **env).stdout
    assert "您好，已收到" in shown and "cs_reply:" in shown
    assert run(["outbox", "retry", "1"], tmp_path, **env).returncode == 1  # not dead yet
    with engine.begin() as conn:
        conn.execute(update(OutboxMessage).values(status="dead", last_error="测试失败"))
    assert "测试失败" in run(["outbox", "dead"], tmp_path, **env).stdout
    assert run(["outbox", "retry", "1"], tmp_path, **env).returncode == 0
    with engine.connect() as conn:
        row = outbox.get(conn, 1)
    assert row is not None and (row.status, row.attempts) == ("pending", 0)
    with engine.begin() as conn:  # the platform took it, then the worker died: parked
        conn.execute(update(OutboxMessage).values(
            status="dead", delivered_at=datetime.now(UTC), result={"msgid": 42},
            last_error="发送过程中断"))
    accepted = run(["outbox", "show", "1"], tmp_path, **env).stdout.split("微信已受理")
    assert len(accepted) == 2 and '"msgid": 42' in accepted[1]  # what WeChat answered
    again = run(["outbox", "retry", "1"], tmp_path, **env)
    assert again.returncode == 1 and "重发对方会再收到一次" in again.stderr
    assert run(["outbox", "retry", "1", "--force"], tmp_path, **env).returncode == 0
    with engine.connect() as conn:  # the worker will call WeChat again, not skip the call
        forced = outbox.get(conn, 1)
    assert forced is not None and (forced.status, forced.delivered_at) == ("pending", None)
    missing = run(["outbox", "show", "99"], tmp_path, **env)
    assert missing.returncode == 1 and "找不到消息 99" in missing.stderr
    with engine.begin() as conn:
        conn.execute(update(ReplyTicket).values(status="resolved", resolution="resolved"))
    late = run(["queue", "reply", "T1", "还在吗", "--as", "admin"], tmp_path, **env)
    assert late.returncode == 1 and "T1 已结束（已解决），不能再回复" in late.stderr
    assert "还在吗" not in run(["queue", "show", "T1"], tmp_path, **env).stdout
    engine.dispose()


def test_a_cli_reply_is_checked_and_expanded_as_the_chat_command_is(
        engine_url: str, tmp_path: Path) -> None:
    env = {"WXOPS_DATABASE_URL": engine_url}
    engine, now = admin_and_ticket(engine_url, tmp_path, "地址在哪")
    with SqlUnitOfWork(engine) as uow:
        uow.canned.save("地址", "社区中心在幸福路 8 号", 1, now)
        uow.tickets.add_note(1, 1, "先发地址", now + timedelta(milliseconds=1))
        uow.commit()
    replied = run(["queue", "reply", "T1", "#地址 周六见", "--as", "admin"], tmp_path, **env)
    assert replied.returncode == 0, replied.stderr
    shown = run(["queue", "show", "T1"], tmp_path, **env).stdout.splitlines()
    assert "优先级 普通" in shown[0]
    assert [line.split("  ")[-1].split(" ")[0] for line in shown[1:]] == [
        "粉丝", "备注（admin）：先发地址", "←"]  # one history in time order
    assert "社区中心在幸福路 8 号 周六见" in run(["outbox", "show", "1"], tmp_path, **env).stdout
    unknown = run(["queue", "reply", "T1", "#电话", "--as", "admin"], tmp_path, **env)
    assert unknown.returncode == 1 and "没有快捷回复“#电话”" in unknown.stderr
    with engine.begin() as conn:  # the follower wrote three days ago: the window is closed
        conn.execute(update(Follower).values(last_message_at=now - timedelta(days=3)))
    closed = run(["queue", "reply", "T1", "还在吗", "--as", "admin"], tmp_path, **env)
    assert closed.returncode == 1 and "T1 现在无法回复" in closed.stderr
    assert len(closed.stderr.strip().splitlines()) == 1
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
        engine_url: str, tmp_path: Path) -> None:
    """Issue 18 point 3: `outbox retry ID` resent rows in doubt without --force,
    and five of six had arrived. Now it refuses, and `show` says which case a
    row is and how to check."""
    env = {"WXOPS_DATABASE_URL": engine_url}
    engine, now = admin_and_ticket(engine_url, tmp_path, "你好")
    parked(engine, now, ("cs_reply", True, False, timedelta(minutes=1)),
           ("cs_reply", False, False, timedelta(minutes=1)))
    refused = run(["outbox", "retry", "1"], tmp_path, **env)
    assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1
    assert "--force" in refused.stderr and statuses(engine)[0] == ("dead", True, False)
    shown = run(["outbox", "show", "1"], tmp_path, **env).stdout
    assert texts.phrase("outbox", "case_in_doubt", kind="cs_reply", row_id=1) in shown
    assert texts.phrase("outbox", "case_not_delivered", row_id=2) in \
        run(["outbox", "show", "2"], tmp_path, **env).stdout
    listed = {line.split()[0]: line for line in
              run(["outbox", "dead"], tmp_path, **env).stdout.splitlines()[1:]}
    assert IN_DOUBT_LABEL in listed["1"] and IN_DOUBT_LABEL not in listed["2"]
    assert run(["outbox", "retry", "2"], tmp_path, **env).returncode == 0
    assert run(["outbox", "retry", "1", "--force"], tmp_path, **env).returncode == 0
    assert statuses(engine) == [("pending", False, False)] * 2
    engine.dispose()


def test_a_burst_of_dead_rows_is_retried_at_once_except_those_that_may_have_arrived(
        engine_url: str, tmp_path: Path) -> None:
    env = {"WXOPS_DATABASE_URL": engine_url}
    engine, now = admin_and_ticket(engine_url, tmp_path, "你好")
    parked(engine, now, ("cs_reply", True, False, timedelta(minutes=2)),  # may have arrived
           ("cs_reply", False, False, timedelta(minutes=3)),  # never reached WeChat
           ("notify", False, True, timedelta(minutes=4)),  # WeChat took it
           ("cs_reply", False, False, timedelta(hours=2)),  # died before the burst
           ("cs_reply", False, False, timedelta(minutes=5)))
    burst = run(["outbox", "retry", "--dead-since", "10m"], tmp_path, **env)
    assert burst.returncode == 0, burst.stderr
    assert burst.stdout.splitlines() == [
        texts.phrase("outbox", "retried_many", ids=[2, 5]),
        texts.phrase("outbox", "skipped_in_doubt", ids=[1]),
        texts.phrase("outbox", "skipped_delivered", ids=[3])]
    assert [s for s, _, _ in statuses(engine)] == ["dead", "pending", "dead", "dead", "pending"]
    forced = run(["outbox", "retry", "--dead-since", "10m", "--force"], tmp_path, **env)
    assert forced.stdout.splitlines() == [texts.phrase("outbox", "retried_many", ids=[1, 3])]
    assert statuses(engine)[:3] == [("pending", False, False)] * 3  # the marker is cleared
    assert run(["outbox", "retry", "--dead-since", "3h"], tmp_path, **env).returncode == 0
    assert [s for s, _, _ in statuses(engine)] == ["pending"] * 5
    for wrong in (["--dead-since", "10x"], ["--dead-since", "0m"]):
        bad = run(["outbox", "retry", *wrong], tmp_path, **env)
        assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
        assert "--dead-since" in bad.stderr
    for unclear in ([], ["1", "--dead-since", "10m"]):
        assert run(["outbox", "retry", *unclear], tmp_path, **env).returncode == 1
    engine.dispose()
