"""Use cases through the real unit of work: atomic writes and real races."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select, update

from handlers import refusals
from storage import staff as staff_store
from storage.models import AuditRow, ContentItemRow, OutboxMessage
from storage.repositories import SqlItemRepository
from storage.uow import SqlUnitOfWork
from workflow import usecases
from workflow.errors import EmptyBody, SelfReview, WorkflowError
from workflow.model import Context, ItemChanges
from workflow.roles import Role
from workflow.states import Event, State

NOW = datetime(2026, 11, 26, 8, 30, tzinfo=UTC)


def ctx(comment: str = "") -> Context:
    return Context(now=NOW, comment=comment, command="test")


@pytest.fixture
def people(engine: Engine) -> dict[str, int]:
    with SqlUnitOfWork(engine) as uow:
        ids = {
            name: staff_store.add_staff(uow.session, name, frozenset(roles), NOW, f"o_{name}").id
            for name, roles in (("creator", {Role.CREATOR}), ("王芳", {Role.REVIEWER}),
                                ("陈静", {Role.REVIEWER}), ("admin", {Role.ADMIN}))
        }
        uow.commit()
    return ids


def in_review(engine: Engine, people: dict[str, int]) -> int:
    item = usecases.plan(SqlUnitOfWork(engine), people["creator"], "义诊回顾", ctx())
    usecases.act(SqlUnitOfWork(engine), people["creator"], item.id, Event.START, ctx())
    usecases.edit(SqlUnitOfWork(engine), people["creator"], item.id,
                  ItemChanges(body="<p>义诊当天来了八十位居民。</p>"), ctx())
    usecases.act(SqlUnitOfWork(engine), people["creator"], item.id, Event.SUBMIT, ctx())
    return item.id


def count(engine: Engine, model: type) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(model)) or 0)


def test_full_flow_to_publishing_writes_audit_and_outbox(engine: Engine,
                                                         people: dict[str, int]) -> None:
    item_id = in_review(engine, people)
    usecases.act(SqlUnitOfWork(engine), people["王芳"], item_id, Event.APPROVE, ctx())
    usecases.act(SqlUnitOfWork(engine), people["陈静"], item_id, Event.FINAL_APPROVE, ctx())
    when = Context(now=NOW, when=NOW + timedelta(hours=2))
    usecases.act(SqlUnitOfWork(engine), people["admin"], item_id, Event.SCHEDULE, when)
    with SqlUnitOfWork(engine) as uow:
        item = uow.items.get(item_id)
        history = [e.event.value for e in uow.audit.history(item_id)]
        kinds = uow.session.scalars(select(OutboxMessage.kind)).all()
    assert item is not None and item.state is State.SCHEDULED
    assert item.scheduled_at == NOW + timedelta(hours=2)
    assert history == ["plan", "start", "edit", "submit", "approve", "final_approve", "schedule"]
    assert "sync_draft" in kinds and kinds.count("notify") >= 4


def test_a_failed_outbox_write_rolls_back_the_state_change(
        engine: Engine, people: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    item_id = in_review(engine, people)
    audit_before, outbox_before = count(engine, AuditRow), count(engine, OutboxMessage)

    def broken_add(*_args: object, **_kwargs: object) -> bool:
        raise RuntimeError("disk full")

    monkeypatch.setattr("storage.repositories.SqlOutbox.add", broken_add)
    with pytest.raises(RuntimeError):
        usecases.act(SqlUnitOfWork(engine), people["王芳"], item_id, Event.APPROVE, ctx())
    with SqlUnitOfWork(engine) as uow:
        assert uow.items.get(item_id).state is State.IN_REVIEW  # type: ignore[union-attr]
    assert (count(engine, AuditRow), count(engine, OutboxMessage)) == (audit_before,
                                                                       outbox_before)


def race(engine: Engine, item_id: int, reviewers: list[int]) -> tuple[list[int], list[str]]:
    """Both reviewers approve at once; returns winners and the losers' messages."""
    start = threading.Barrier(len(reviewers))
    winners: list[int] = []
    losers: list[str] = []

    def attempt(reviewer: int) -> None:
        start.wait()
        try:
            usecases.act(SqlUnitOfWork(engine), reviewer, item_id, Event.APPROVE, ctx())
            winners.append(reviewer)
        except WorkflowError as exc:
            losers.append(refusals.say(exc))

    threads = [threading.Thread(target=attempt, args=(r,)) for r in reviewers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return winners, losers


def test_concurrent_approvals_one_wins_the_other_is_told_who(engine: Engine,
                                                             people: dict[str, int]) -> None:
    item_id = in_review(engine, people)
    winners, losers = race(engine, item_id, [people["王芳"], people["陈静"]])
    assert len(winners) == 1 and len(losers) == 1
    winner = "王芳" if winners[0] == people["王芳"] else "陈静"
    assert winner in losers[0] and "抢先" in losers[0]  # the words the loser reads
    with SqlUnitOfWork(engine) as uow:
        assert uow.items.get(item_id).state is State.FINAL_REVIEW  # type: ignore[union-attr]
        assert len([r for r in uow.reviews.for_item(item_id)]) == 1


def test_interleaved_writes_hit_the_version_check(engine: Engine, people: dict[str, int],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Both transactions read before either writes: only PostgreSQL lets that happen.

    SQLite takes the write lock at BEGIN IMMEDIATE, so a second writer cannot
    even read until the first commits (covered by the test above).
    """
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises writers at BEGIN IMMEDIATE")
    item_id = in_review(engine, people)
    both_read = threading.Barrier(2)
    original = SqlItemRepository.save

    def save_after_both_read(self: SqlItemRepository, item, expected_version):
        both_read.wait(timeout=10)
        original(self, item, expected_version)

    monkeypatch.setattr(SqlItemRepository, "save", save_after_both_read)
    winners, losers = race(engine, item_id, [people["王芳"], people["陈静"]])
    assert len(winners) == 1 and len(losers) == 1
    assert ("王芳" in losers[0]) != ("陈静" in losers[0])


def test_concurrent_delivery_of_one_publish_result(engine: Engine,
                                                   people: dict[str, int]) -> None:
    item_id = in_review(engine, people)
    usecases.act(SqlUnitOfWork(engine), people["王芳"], item_id, Event.APPROVE, ctx())
    usecases.act(SqlUnitOfWork(engine), people["陈静"], item_id, Event.FINAL_APPROVE, ctx())
    usecases.act(SqlUnitOfWork(engine), people["admin"], item_id, Event.PUBLISH, ctx())
    with SqlUnitOfWork(engine) as uow:  # the worker records this when it submits
        uow.session.execute(update(ContentItemRow).values(publish_id="P-1"))
        uow.commit()
    results: list[object] = []
    done = Context(now=NOW, extra={"article_id": "A", "url": "https://mp.weixin.qq.com/s/a"})

    def deliver() -> None:
        results.append(usecases.record_publish_result(SqlUnitOfWork(engine), "P-1", True, done))

    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sum(r is not None for r in results) == 1
    with SqlUnitOfWork(engine) as uow:
        assert uow.items.get(item_id).state is State.PUBLISHED  # type: ignore[union-attr]
        events = [e.event.value for e in uow.audit.history(item_id)]
    assert events.count("publish_succeeded") == 1



def test_whoever_wrote_a_revision_may_not_review_it(engine: Engine,
                                                    people: dict[str, int]) -> None:
    """An admin who edits someone's item has written what is now up for review."""
    item_id = in_review(engine, people)
    usecases.edit(SqlUnitOfWork(engine), people["admin"], item_id,
                  ItemChanges(body="<p>管理员改写的正文</p>"), ctx())
    with pytest.raises(SelfReview) as refused:
        usecases.act(SqlUnitOfWork(engine), people["admin"], item_id, Event.APPROVE, ctx())
    assert refused.value.edited  # refused as the revision's editor, not its author
    usecases.act(SqlUnitOfWork(engine), people["王芳"], item_id, Event.APPROVE, ctx())
    # The author's own next edit is theirs again: the admin may then review it.
    usecases.act(SqlUnitOfWork(engine), people["陈静"], item_id, Event.REQUEST_CHANGES,
                 ctx("再改改"))
    usecases.edit(SqlUnitOfWork(engine), people["creator"], item_id,
                  ItemChanges(body="<p>作者的正文</p>"), ctx())
    usecases.act(SqlUnitOfWork(engine), people["creator"], item_id, Event.SUBMIT, ctx())
    usecases.act(SqlUnitOfWork(engine), people["admin"], item_id, Event.APPROVE, ctx())


def test_an_item_without_text_is_refused_before_anything_is_written(
        engine: Engine, people: dict[str, int]) -> None:
    item = usecases.plan(SqlUnitOfWork(engine), people["creator"], "空稿", ctx())
    usecases.act(SqlUnitOfWork(engine), people["creator"], item.id, Event.START, ctx())
    before = (count(engine, AuditRow), count(engine, OutboxMessage))
    with pytest.raises(EmptyBody) as refused:
        usecases.act(SqlUnitOfWork(engine), people["creator"], item.id, Event.SUBMIT, ctx())
    assert (refused.value.code, refused.value.item_id) == ("empty_body", item.id)
    assert (count(engine, AuditRow), count(engine, OutboxMessage)) == before
    with SqlUnitOfWork(engine) as uow:
        stored = uow.items.get(item.id)
    assert stored is not None and stored.state is State.DRAFTING
