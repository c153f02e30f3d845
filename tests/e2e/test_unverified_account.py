"""An unverified subscription account end to end (issue 21): the server, the worker
and the emulator as processes, the emulator playing that kind of account
(``--account-kind subscription --unverified``) and the settings saying so. An
item is approved and scheduled by chat; at its time the worker tells the admins
to publish by hand, in their next passive reply (the digest: no customer-service
or template message on this account); ``已发布 N <链接>`` moves it to 已发布. The
emulator never refuses a call (no 48001): wxops asks first and makes none it
may not, and no outbox row ends dead unexplained."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from handlers import texts
from storage import outbox
from storage.db import make_engine
from storage.models import ContentItemRow, OutboxMessage
from storage.uow import SqlUnitOfWork
from tests.e2e.conftest import PROBE_PATHS, Stack
from tests.e2e.test_outbound import control, eventually, says
from tests.e2e.test_publishing import item_row, team
from workflow import usecases
from workflow.model import Context, ItemChanges
from workflow.states import State

LINK = "https://mp.weixin.qq.com/s/WinterCoats2026"
#: What an unverified subscription account may call beyond receiving and replying.
ALWAYS_ALLOWED = {"/cgi-bin/token", "/cgi-bin/stable_token"}


def _notices(engine: Engine, template: str) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        rows = conn.execute(select(OutboxMessage.payload, OutboxMessage.status)
                            .where(OutboxMessage.kind == "notify")).all()
    return [(int(p["staff_id"]), status) for p, status in rows if p["template"] == template]


def _approved_by_chat(stack: Stack, engine: Engine, ids: dict[str, int]) -> int:
    """Planned, written, submitted and approved twice, each step by chat: the
    server decides with the account's capabilities (no draft box here)."""
    says(stack, "o_creator", "选题 冬季助学")
    with engine.connect() as conn:
        item_id = int(conn.scalar(select(ContentItemRow.id)) or 0)
    says(stack, "o_creator", f"开始 {item_id}")
    usecases.edit(SqlUnitOfWork(engine), ids["creator"], item_id,
                  ItemChanges(body="<p>为山区学生募集冬衣。</p>"), Context(now=datetime.now(UTC)))
    for openid, text in (("o_creator", f"提交 {item_id}"), ("o_r1", f"通过 {item_id}"),
                         ("o_r2", f"终审 {item_id}")):
        says(stack, openid, text)
    assert item_row(engine, item_id).state == State.APPROVED.value
    return item_id


def _dead_rows(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(OutboxMessage.id, OutboxMessage.last_error)
                                 .where(OutboxMessage.status == "dead")).all())


# On PostgreSQL the same account runs in test_account_kinds.py.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_item_is_scheduled_published_by_hand_and_recorded(small_stack: Stack) -> None:
    stack = small_stack
    engine = make_engine(stack.database_url)
    ids = team(engine)
    item_id = _approved_by_chat(stack, engine, ids)
    says(stack, "o_admin", f"排期 {item_id} 明天 9:00")
    assert item_row(engine, item_id).state == State.SCHEDULED.value
    with engine.begin() as conn:  # its time comes
        conn.execute(update(ContentItemRow).where(ContentItemRow.id == item_id)
                     .values(scheduled_at=datetime.now(UTC) - timedelta(seconds=1)))
        # A draft sync left from when wxops took the account for a verified one.
        stale = outbox.add(conn, "sync_draft", {"item_id": item_id, "revision": 1},
                           "stale-sync", datetime.now(UTC))
    stack.start_worker("w1")

    # At its time the admins are told to publish by hand: held for their next message.
    eventually(lambda: _notices(engine, "item_publish_by_hand") == [(ids["admin"], "held")])
    assert item_row(engine, item_id).state == State.PUBLISHING.value
    digest = says(stack, "o_admin", "我的")
    assert f"已发布 {item_id}" in digest  # the passive reply carries the notice
    assert _notices(engine, "item_publish_by_hand") == [(ids["admin"], "sent")]

    says(stack, "o_admin", f"已发布 {item_id} {LINK}")
    row = item_row(engine, item_id)
    assert (row.state, row.url) == (State.PUBLISHED.value, LINK)

    eventually(lambda: all(s != "pending" for s in _statuses(engine)))
    called = [c["path"] for c in control(stack, "calls") if c["path"] not in ALWAYS_ALLOWED]
    # Nothing that would have met 48001 but the start-up probe's reads, once each.
    assert set(called) <= PROBE_PATHS and len(called) == len(set(called)), called
    # The stale sync made no call: dead, saying what the account lacks and what to do.
    assert [row_id for row_id, _error in _dead_rows(engine)] == [stale]
    assert all(error for _id, error in _dead_rows(engine))  # none dead unexplained
    shown = stack.wxops("outbox", "show", str(stale))
    assert shown.returncode == 0 and "Traceback" not in shown.stderr
    assert texts.phrase("wechat", "not_called", capability="materials", call="add_material",
                        kind="unverified-subscription", learnt=False) in shown.stdout
    engine.dispose()


def _statuses(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(OutboxMessage.status)))
