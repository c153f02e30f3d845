"""The CLI's id-taking commands against a real database, on both engines: an id
no row can have is a usage error (it reached the driver and ended in a traceback:
SQLite's OverflowError from 2**63, PostgreSQL's "integer out of range" from 2**31),
one a row could have but none has is a refusal; both are one line."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, update

from bot.cli import main
from bot.cli_worker import STATUS_LABELS
from storage import outbox
from storage import staff as staff_store
from storage.models import OutboxMessage
from storage.uow import SqlUnitOfWork
from workflow.model import MAX_ID as MAX_ROW_ID
from workflow.roles import Role

COMMANDS = [
    "item show {}", "item history {}", "item edit {} --as admin --title 新", "item plan 题 --as {}",
    "outbox show {}", "outbox retry {}", "queue show T{}", "queue reply T{} 好的 --as admin",
    "staff remove {}", "rules remove {}", "rules enable {}", "rules disable {}",
    "inbound show {}", "inbound replay {}",
]


def wxops(engine: Engine, argv: list[str], monkeypatch: pytest.MonkeyPatch,
          capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``wxops ARGV`` in this process (a process each would cost half a second)."""
    monkeypatch.setenv("WXOPS_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    capsys.readouterr()
    try:
        main(argv)
        code = 0
    except SystemExit as exited:
        code = int(exited.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def with_admin(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        staff_store.add_staff(uow.session, "admin", frozenset({Role.ADMIN}), datetime.now(UTC))
        uow.commit()


def test_ids_no_row_can_have_and_none_has_are_one_line(
        engine: Engine, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    with_admin(engine)
    for command in COMMANDS:
        for number, status in ((MAX_ROW_ID + 1, 2), (2**63, 2), (MAX_ROW_ID, 1)):
            code, _, err = wxops(engine, command.format(number).split(), monkeypatch, capsys)
            assert (code, len(err.splitlines())) == (status, 1), (command, number, err)
            assert err.startswith("wxops: ") and str(number) in err, (command, number, err)


def test_a_reply_to_no_ticket_is_the_clis_refusal(
        engine: Engine, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Ten digits are an id the chat's 回 does not take: it answered with its own
    usage (回 工单编号 回复内容, two lines) instead of saying there is no such ticket."""
    with_admin(engine)
    code, out, err = wxops(engine, ["queue", "reply", "T1234567890", "好的", "--as", "admin"],
                           monkeypatch, capsys)
    assert (code, out, len(err.splitlines())) == (1, "", 1)
    assert "T1234567890" in err and "回" not in err


def test_outbox_dead_counts_the_dead_rows_only(
        engine: Engine, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        ids = [outbox.add(conn, "cs_reply", {"n": n}, f"k{n}", now) for n in range(3)]
        conn.execute(update(OutboxMessage).where(OutboxMessage.id == ids[0])
                     .values(status="sent", sent_at=now))
        conn.execute(update(OutboxMessage).where(OutboxMessage.id == ids[1])
                     .values(status="dead", last_error="测试失败"))
    code, out, _ = wxops(engine, ["outbox", "dead"], monkeypatch, capsys)
    counts, *rows = out.splitlines()
    assert code == 0 and counts == f"{STATUS_LABELS['dead']} 1"
    assert [row.split()[0] for row in rows] == [str(ids[1])]
