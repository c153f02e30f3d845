"""One scenario against the emulator playing each of the four kinds of account: a
follower writes and staff answer, a reviewer is told of a submission, a preview,
and an item goes from 选题 to 已发布. What each step does is what the capability
table grants the kind (`workflow.capabilities.granted`), not a list written here:
the account completes each step one way or another, or refuses it before anything
is queued, never meets a 48001, leaves no failed outbox row without its reason,
and no process logs a traceback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import Engine, select, update

from bot.emulator.api import ROUTES
from storage import staff as staff_store
from storage.db import make_engine
from storage.models import ContentItemRow, OutboxMessage, ReplyTicket
from storage.uow import SqlUnitOfWork
from tests.e2e.conftest import PROBE_PATHS, Stack, start_stack
from tests.e2e.test_outbound import control, eventually, says
from workflow import staff_cases, usecases
from workflow.capabilities import AccountKind, AccountType, Capability, granted
from workflow.model import Context, ItemChanges
from workflow.roles import Role
from workflow.states import State

KINDS = [AccountKind(t, v) for t in (AccountType.SUBSCRIPTION, AccountType.SERVICE)
         for v in (False, True)]
# Every kind on SQLite; the kind with the fewest interfaces on PostgreSQL too.
CASES = [(kind, "sqlite") for kind in KINDS] + [(KINDS[0], "postgresql")]
ARTICLE_LINK = "https://mp.weixin.qq.com/s/e2eKindsArticle"


@pytest.fixture
def kind_stack(kind: AccountKind, database_url: str, tmp_path: Path) -> Iterator[Stack]:
    yield from start_stack(database_url, tmp_path, {
        "WXOPS_ACCOUNT_KIND": kind.type.value, "WXOPS_ACCOUNT_VERIFIED": str(int(kind.verified)),
        "WXOPS_TEMPLATE_ID_NOTIFY": "tmpl-e2e-notice"})


@pytest.mark.parametrize(("kind", "database_url"), CASES, indirect=["database_url"],
                         ids=[f"{k.name}-{e}" for k, e in CASES])
def test_the_process_runs_on_every_kind_of_account(kind_stack: Stack, kind: AccountKind) -> None:
    stack = kind_stack
    engine = make_engine(stack.database_url)
    ids = _team(engine)
    stack.start_worker("w1")

    _follower_is_answered(stack, engine, kind)
    item_id = _planned_and_submitted(stack, engine)
    _reviewer_is_told(stack, engine, kind, ids["r1"])
    _preview(stack, kind, item_id)
    _approved_and_published(stack, engine, kind, item_id, ids)

    _no_call_the_kind_lacks(stack, kind)
    _no_failure_unexplained(engine)
    _no_traceback(stack.workdir)
    engine.dispose()


def _team(engine: Engine) -> dict[str, int]:
    now = datetime.now(UTC)
    with SqlUnitOfWork(engine) as uow:
        ids = {n: staff_store.add_staff(uow.session, n, frozenset({r}), now, f"o_{n}").id
               for n, r in (("creator", Role.CREATOR), ("r1", Role.REVIEWER),
                            ("r2", Role.REVIEWER), ("admin", Role.ADMIN))}
        uow.commit()
    return ids


def _follower_is_answered(stack: Stack, engine: Engine, kind: AccountKind) -> None:
    """A ticket opens on every kind; 回 sends a customer-service message where the
    kind has them, and is refused before anything is queued where it has not; the
    ticket is then closed with a note saying where it was answered."""
    assert "T1" in says(stack, "o_fan", "你好，想报名周末的志愿活动")
    says(stack, "o_admin", "回 T1 周六上午九点见")
    if granted(kind, Capability.CUSTOMER_SERVICE):
        eventually(lambda: "周六上午九点见" in _custom_texts(stack, "o_fan"))
    else:
        assert _kinds_queued(engine) & {"cs_reply"} == set()
        says(stack, "o_admin", "结 T1 已在公众平台后台回复")
    with engine.connect() as conn:
        status = conn.scalar(select(ReplyTicket.status).where(ReplyTicket.id == 1))
    if not granted(kind, Capability.CUSTOMER_SERVICE):
        assert status == "resolved"


def _planned_and_submitted(stack: Stack, engine: Engine) -> int:
    title = "冬季助学计划"
    says(stack, "o_r1", "我的")  # the reviewer has talked to the account: a window, if any
    says(stack, "o_creator", f"选题 {title}")
    with engine.connect() as conn:
        item_id = int(conn.execute(select(ContentItemRow.id)
                                   .where(ContentItemRow.title == title)).scalar_one())
    says(stack, "o_creator", f"开始 {item_id}")
    creator = staff_cases.find(SqlUnitOfWork(engine), "creator")
    assert creator is not None
    usecases.edit(SqlUnitOfWork(engine), creator.id, item_id,
                  ItemChanges(body="<p>寒假前为山区学生募集冬衣。</p>"),
                  Context(now=datetime.now(UTC)))
    says(stack, "o_creator", f"提交 {item_id}")
    assert _state(engine, item_id) == State.IN_REVIEW
    return item_id


def _reviewer_is_told(stack: Stack, engine: Engine, kind: AccountKind, r1: int) -> None:
    """The call to review reaches r1: as a customer-service message inside the window
    on a kind that has them, else with r1's next passive reply."""
    if granted(kind, Capability.CUSTOMER_SERVICE):
        eventually(lambda: any("冬季助学计划" in t for t in _custom_texts(stack, "o_r1")))
    else:
        eventually(lambda: _notice_templates(engine, r1) != set())
        assert "冬季助学计划" in says(stack, "o_r1", "我的")
        assert _custom_texts(stack, "o_r1") == []


def _preview(stack: Stack, kind: AccountKind, item_id: int) -> None:
    """预览: a link to the preview page on every kind, which opens without a login and
    shows the draft; the WeChat preview on the phone too where the kind may send one."""
    answer = says(stack, "o_r1", f"预览 {item_id}")
    links = re.findall(re.escape(stack.server) + r"/preview/\S+", answer)
    assert len(links) == 1, answer
    page = requests.get(links[0], timeout=10)
    assert page.status_code == 200 and "寒假前为山区学生募集冬衣" in page.text
    sent = [m["kind"] for m in control(stack, "inbox/o_r1")]
    if granted(kind, Capability.PREVIEW):
        eventually(lambda: "preview" in [m["kind"] for m in control(stack, "inbox/o_r1")])
    else:
        assert "preview" not in sent


def _approved_and_published(stack: Stack, engine: Engine, kind: AccountKind, item_id: int,
                            ids: dict[str, int]) -> None:
    says(stack, "o_r1", f"通过 {item_id} 很好")
    says(stack, "o_r2", f"终审 {item_id}")
    says(stack, "o_admin", f"排期 {item_id} 1分钟后")
    assert _state(engine, item_id) == State.SCHEDULED
    with engine.begin() as conn:  # the minute, passed (the scan is tested elsewhere)
        conn.execute(update(ContentItemRow).where(ContentItemRow.id == item_id)
                     .values(scheduled_at=datetime.now(UTC)))
    if granted(kind, Capability.FREE_PUBLISH) and granted(kind, Capability.MATERIALS):
        eventually(lambda: _state(engine, item_id) == State.PUBLISHED, seconds=120)
        return
    eventually(lambda: "item_publish_by_hand" in _notice_templates(engine, ids["admin"]),
               seconds=60)
    says(stack, "o_admin", f"已发布 {item_id} {ARTICLE_LINK}")
    assert _state(engine, item_id) == State.PUBLISHED


def _no_call_the_kind_lacks(stack: Stack, kind: AccountKind) -> None:
    """Not one call the platform would answer with 48001, but the probe's, once each."""
    lacking = [c["path"] for c in control(stack, "calls")
               if c["path"] in ROUTES and not granted(kind, ROUTES[c["path"]].capability)]
    assert set(lacking) <= PROBE_PATHS
    assert len(lacking) == len(set(lacking))


def _no_failure_unexplained(engine: Engine) -> None:
    """Once nothing is in flight, every row that did not go says why (held rows wait,
    by design, for the person's next message)."""

    def statuses() -> list[Any]:
        with engine.connect() as conn:
            return list(conn.execute(select(OutboxMessage.id, OutboxMessage.kind,
                                            OutboxMessage.status, OutboxMessage.last_error)))

    eventually(lambda: all(r.status != "sending" for r in statuses()))
    unexplained = [r for r in statuses() if r.status in ("dead", "refused") and not r.last_error]
    assert unexplained == []


def _no_traceback(workdir: Path) -> None:
    logs = {p.name: p.read_text(errors="replace") for p in workdir.glob("*.log")}
    assert logs, "the processes wrote no log"
    assert [name for name, text in logs.items() if "Traceback" in text] == []


def _state(engine: Engine, item_id: int) -> State:
    with engine.connect() as conn:
        return State(conn.execute(select(ContentItemRow.state)
                                  .where(ContentItemRow.id == item_id)).scalar_one())


def _custom_texts(stack: Stack, openid: str) -> list[str]:
    return [str(m["payload"].get("text", {}).get("content", ""))
            for m in control(stack, f"inbox/{openid}") if m["kind"] == "custom"]


def _kinds_queued(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.scalars(select(OutboxMessage.kind)))


def _notice_templates(engine: Engine, staff_id: int) -> set[str]:
    with engine.connect() as conn:
        return {str(p["template"]) for p in conn.scalars(
            select(OutboxMessage.payload).where(OutboxMessage.kind == "notify"))
            if p.get("staff_id") == staff_id}
