"""A workflow decision becomes outbox rows; the worker drafts and publishes through the
emulator; the platform's PUBLISHJOBFINISH comes back through the server."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from storage import staff as staff_store
from storage.db import make_engine
from storage.models import ContentItemRow, OutboxMessage
from storage.uow import SqlUnitOfWork
from tests.e2e.conftest import Stack
from tests.e2e.test_outbound import control, eventually
from workflow import usecases
from workflow.model import Context, ItemChanges
from workflow.roles import Role
from workflow.states import State


def test_an_approved_item_is_drafted_published_and_confirmed(stack: Stack) -> None:
    engine = make_engine(stack.database_url)
    now = datetime.now(UTC)
    with SqlUnitOfWork(engine) as uow:
        ids = {n: staff_store.add_staff(uow.session, n, frozenset(r), now, f"o_{n}").id
               for n, r in (("creator", {Role.CREATOR}), ("r1", {Role.REVIEWER}),
                            ("r2", {Role.REVIEWER}), ("admin", {Role.ADMIN}))}
        uow.commit()
    ctx = Context(now=now)
    item = usecases.plan(SqlUnitOfWork(engine), ids["creator"], "冬季助学计划", ctx)
    usecases.start(SqlUnitOfWork(engine), ids["creator"], item.id, ctx)
    usecases.edit(SqlUnitOfWork(engine), ids["creator"], item.id,
                  ItemChanges(body="<p>招募 20 名周末辅导志愿者。</p>"), ctx)
    for actor, step in ((ids["creator"], usecases.submit), (ids["r1"], usecases.approve),
                        (ids["r2"], usecases.final_approve), (ids["admin"], usecases.publish)):
        step(SqlUnitOfWork(engine), actor, item.id, ctx)
    stack.start_worker("w1")

    def published() -> bool:
        with engine.connect() as conn:
            return conn.scalar(select(ContentItemRow.state).where(
                ContentItemRow.id == item.id)) == State.PUBLISHED.value

    eventually(published, seconds=40)
    with engine.connect() as conn:
        row = conn.execute(select(ContentItemRow).where(ContentItemRow.id == item.id)).one()
        kinds = {k: s for k, s in conn.execute(select(OutboxMessage.kind, OutboxMessage.status))}
    engine.dispose()
    assert row.url and row.url.startswith("http") and row.article_id and row.publish_id
    assert kinds["sync_draft"] == "sent" and kinds["submit_publish"] == "sent"
    submitted = [c for c in control(stack, "calls") if c["path"] == "/cgi-bin/freepublish/submit"]
    assert len(submitted) == 1
    drafted = [c for c in control(stack, "calls") if c["path"] == "/cgi-bin/draft/add"]
    assert len(drafted) == 1 and drafted[0]["body"]["articles"][0]["title"] == "冬季助学计划"
