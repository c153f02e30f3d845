"""`wxops inbound` as a person runs it (in this process, tests.integration.clirun):
failed pushes listed, shown, replayed."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from storage import inbound
from storage.db import make_engine
from storage.models import TicketMessage
from tests.harness.faults import refuse_word
from tests.integration.clirun import Wxops


def failed_push(engine_url: str, content: str, msg_id: str) -> int:
    """A follower's text push recorded as failed, as the endpoint keeps one."""
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


def test_list_show_and_replay_a_failed_push(engine_url: str, wxops: Wxops) -> None:
    inbound_id = failed_push(engine_url, "你好", "101")
    listed = wxops("inbound", "errors")
    assert listed.status == 0
    assert "RuntimeError: bug in a handler" in listed.out
    shown = wxops("inbound", "show", str(inbound_id))
    assert shown.status == 0 and '"Content": "你好"' in shown.out
    assert wxops("inbound", "replay", str(inbound_id)).status == 0
    assert _ticket_messages(engine_url) == ["你好"]  # the follower's message reached the queue
    again = wxops("inbound", "replay", str(inbound_id))
    assert again.status == 1 and len(again.err.strip().splitlines()) == 1
    assert wxops("inbound", "replay", "--all").status == 0
    assert _ticket_messages(engine_url) == ["你好"]  # nothing handled twice


def test_replay_all_exits_non_zero_while_a_push_still_fails(engine_url: str,
                                                             wxops: Wxops) -> None:
    failed_push(engine_url, "你好", "201")
    failed_push(engine_url, "一条坏消息", "202")
    engine = make_engine(engine_url)
    with engine.begin() as conn:
        refuse_word(conn, "坏")
    engine.dispose()
    replayed = wxops("inbound", "replay", "--all")
    assert replayed.status == 1, replayed.err  # a script must see it is not done
    assert _ticket_messages(engine_url) == ["你好"]  # the other one went through
    assert wxops("inbound", "replay", "--all").status == 1


def test_bad_requests_get_one_line_and_a_non_zero_exit(engine_url: str, wxops: Wxops) -> None:
    failed_push(engine_url, "你好", "102")
    for args, code in ((["inbound", "replay"], 2), (["inbound", "replay", "1", "--all"], 2),
                       (["inbound", "show", "999"], 1), (["inbound", "replay", "999"], 1),
                       (["inbound", "errors", "--limit", "0"], 2)):
        done = wxops(*args)
        assert done.status == code, (args, done.err)
        assert len(done.err.strip().splitlines()) == 1 and "Traceback" not in done.err
