"""`wxops inbound` as a person runs it: failed pushes listed, shown, replayed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from storage import inbound
from storage.db import make_engine
from storage.models import TicketMessage
from tests.harness.faults import refuse_word
from tests.integration.test_cli import run


def failed_push(engine_url: str, tmp_path: Path, content: str, msg_id: str) -> int:
    """A follower's text push recorded as failed, as the endpoint keeps one."""
    assert run(["db", "upgrade"], tmp_path, WXOPS_DATABASE_URL=engine_url).returncode == 0
    engine, now = make_engine(engine_url), datetime.now(UTC)
    fields = {"ToUserName": "gh_test", "FromUserName": "o_fan", "CreateTime": "1700000000",
              "MsgType": "text", "Content": content, "MsgId": msg_id}
    with engine.begin() as conn:
        push = inbound.record(conn, fields, authenticated=True, mode="safe", now=now)
        inbound_id = inbound.claim(conn, push).inbound_id
        assert inbound_id is not None
        inbound.store_failure(conn, inbound_id, "RuntimeError: bug in a handler", None)
    engine.dispose()
    return inbound_id


def _ticket_messages(engine_url: str) -> list[str]:
    engine = make_engine(engine_url)
    with engine.connect() as conn:
        contents = list(conn.scalars(select(TicketMessage.content)))
    engine.dispose()
    return contents


def test_list_show_and_replay_a_failed_push(engine_url: str, tmp_path: Path) -> None:
    env = {"WXOPS_DATABASE_URL": engine_url}
    inbound_id = failed_push(engine_url, tmp_path, "你好", "101")
    listed = run(["inbound", "errors"], tmp_path, **env)
    assert listed.returncode == 0
    assert "RuntimeError: bug in a handler" in listed.stdout
    shown = run(["inbound", "show", str(inbound_id)], tmp_path, **env)
    assert shown.returncode == 0 and '"Content": "你好"' in shown.stdout
    assert run(["inbound", "replay", str(inbound_id)], tmp_path, **env).returncode == 0
    assert _ticket_messages(engine_url) == ["你好"]  # the follower's message reached the queue
    again = run(["inbound", "replay", str(inbound_id)], tmp_path, **env)
    assert again.returncode == 1 and len(again.stderr.strip().splitlines()) == 1
    assert run(["inbound", "replay", "--all"], tmp_path, **env).returncode == 0
    assert _ticket_messages(engine_url) == ["你好"]  # nothing handled twice


def test_replay_all_exits_non_zero_while_a_push_still_fails(engine_url: str,
                                                             tmp_path: Path) -> None:
    env = {"WXOPS_DATABASE_URL": engine_url}
    failed_push(engine_url, tmp_path, "你好", "201")
    failed_push(engine_url, tmp_path, "一条坏消息", "202")
    engine = make_engine(engine_url)
    with engine.begin() as conn:
        refuse_word(conn, "坏")
    engine.dispose()
    replayed = run(["inbound", "replay", "--all"], tmp_path, **env)
    assert replayed.returncode == 1, replayed.stderr  # a script must see it is not done
    assert _ticket_messages(engine_url) == ["你好"]  # the other one went through
    assert run(["inbound", "replay", "--all"], tmp_path, **env).returncode == 1


def test_bad_requests_get_one_line_and_a_non_zero_exit(engine_url: str, tmp_path: Path) -> None:
    env = {"WXOPS_DATABASE_URL": engine_url}
    failed_push(engine_url, tmp_path, "你好", "102")
    for args, code in ((["inbound", "replay"], 2), (["inbound", "replay", "1", "--all"], 2),
                       (["inbound", "show", "999"], 1), (["inbound", "replay", "999"], 1),
                       (["inbound", "errors", "--limit", "0"], 2)):
        done = run(args, tmp_path, **env)
        assert done.returncode == code, (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
