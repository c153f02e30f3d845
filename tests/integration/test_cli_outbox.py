"""`wxops outbox` and `wxops queue reply` as a person runs them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, update

from storage import followers, outbox, queue_ops, tickets
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
    with engine.begin() as conn:
        queue_ops.save_canned(conn, "地址", "社区中心在幸福路 8 号", 1, now)
    with engine.begin() as conn:
        queue_ops.add_note(conn, 1, 1, "先发地址", now + timedelta(milliseconds=1))
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
