"""The checks on every new revision, through the real unit of work on both
engines: the result kept and read back whole, submitting refused on an error,
a word of the stored list marking the item sensitive."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from storage import staff as staff_store
from storage.uow import SqlUnitOfWork
from workflow import usecases
from workflow.checks import Code, WordEntry
from workflow.errors import ChecksFailed
from workflow.model import Context, ItemChanges
from workflow.roles import Role
from workflow.states import Event, State

NOW = datetime(2026, 12, 6, 8, 30, tzinfo=UTC)


def ctx() -> Context:
    return Context(now=NOW, command="test")


@pytest.fixture
def writer(engine: Engine) -> int:
    with SqlUnitOfWork(engine) as uow:
        member = staff_store.add_staff(uow.session, "小李", frozenset({Role.CREATOR}), NOW, "o_w")
        uow.commit()
    return member.id


def written(engine: Engine, writer: int, body: str) -> int:
    item = usecases.plan(SqlUnitOfWork(engine), writer, "义诊回顾", ctx())
    usecases.act(SqlUnitOfWork(engine), writer, item.id, Event.START, ctx())
    usecases.edit(SqlUnitOfWork(engine), writer, item.id, ItemChanges(body=body), ctx())
    return item.id


def test_the_result_is_kept_with_the_revision_and_read_back_whole(engine: Engine,
                                                                  writer: int) -> None:
    item_id = written(engine, writer, '<p>见 <a href="https://example.org/a">这里</a>。</p>')
    with SqlUnitOfWork(engine) as uow:
        item = uow.items.get(item_id)
        assert item is not None
        stored = uow.checks.of(item_id, item.revision)
    assert stored is not None and stored.refused
    assert Code.EXTERNAL_LINK in stored.codes() and stored.facts.characters > 0
    with pytest.raises(ChecksFailed):
        usecases.act(SqlUnitOfWork(engine), writer, item_id, Event.SUBMIT, ctx())


def test_a_word_of_the_stored_list_marks_the_item(engine: Engine, writer: int) -> None:
    with SqlUnitOfWork(engine) as uow:
        assert uow.words.add(WordEntry("募捐", "募捐"), NOW)
        assert not uow.words.add(WordEntry("募捐", "其他"), NOW)
        uow.commit()
    item_id = written(engine, writer, "<p>周末街头募捐。</p>")
    usecases.act(SqlUnitOfWork(engine), writer, item_id, Event.SUBMIT, ctx())
    with SqlUnitOfWork(engine) as uow:
        item = uow.items.get(item_id)
        assert item is not None and item.sensitive and item.state is State.IN_REVIEW
        assert [e.event for e in uow.audit.history(item_id)][-2:] == [Event.MARK_SENSITIVE,
                                                                       Event.SUBMIT]


def test_the_list_stamp_changes_with_the_list(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        empty = uow.words.stamp()
        uow.words.add(WordEntry("a.*b", "规则", pattern=True), NOW)
        added = uow.words.stamp()
        assert uow.words.remove("a.*b") == 1
        assert len({empty, added, uow.words.stamp()}) == 2 and empty != added
        assert uow.words.entries() == []
