"""Repositories and the unit of work against real databases."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select, update

from storage import staff as staff_store
from storage.models import OutboxMessage, Revision, Staff, StaffInvite
from storage.uow import SqlUnitOfWork
from workflow import staff_cases
from workflow.errors import InviteInvalid, LastAdmin, NameShared, NameTaken, StaleVersion
from workflow.model import (
    AuditEntry,
    ContentItem,
    Context,
    Review,
    ReviewDecision,
    ReviewStage,
)
from workflow.roles import CONSOLE_ACTOR, Role
from workflow.states import Event, State

NOW = datetime(2026, 11, 26, 8, 30, tzinfo=UTC)


def add_people(engine: Engine) -> dict[str, int]:
    with SqlUnitOfWork(engine, clock=lambda: NOW) as uow:
        ids = {
            name: staff_store.add_staff(uow.session, name, roles, NOW, f"o_{name}").id
            for name, roles in (("creator", frozenset({Role.CREATOR})),
                                ("reviewer", frozenset({Role.REVIEWER})),
                                ("boss", frozenset({Role.ADMIN, Role.REVIEWER})))
        }
        uow.commit()
    return ids


def new_item(engine: Engine, author: int) -> ContentItem:
    with SqlUnitOfWork(engine, clock=lambda: NOW) as uow:
        item = uow.items.add(ContentItem(id=0, title="冬季助学", author_id=author,
                                         planned_at=NOW.astimezone(ZoneInfo("Asia/Shanghai"))))
        uow.commit()
    return item


def test_item_round_trip_keeps_utc_times(engine: Engine) -> None:
    ids = add_people(engine)
    item = new_item(engine, ids["creator"])
    with SqlUnitOfWork(engine) as uow:
        loaded = uow.items.get(item.id)
    assert loaded is not None
    assert loaded.planned_at == NOW and loaded.planned_at.tzinfo is not None
    assert (loaded.state, loaded.revision, loaded.version) == (State.PLANNED, 1, 1)


def test_save_checks_the_version(engine: Engine) -> None:
    item = new_item(engine, add_people(engine)["creator"])
    with SqlUnitOfWork(engine) as uow:
        uow.items.save(replace(item, state=State.DRAFTING, version=2), expected_version=1)
        uow.commit()
    with SqlUnitOfWork(engine) as uow, pytest.raises(StaleVersion):
        uow.items.save(replace(item, state=State.CANCELLED, version=2), expected_version=1)
    with SqlUnitOfWork(engine) as uow:
        assert uow.items.get(item.id).state is State.DRAFTING  # type: ignore[union-attr]


def test_every_revision_is_kept(engine: Engine) -> None:
    item = new_item(engine, add_people(engine)["creator"])
    with SqlUnitOfWork(engine) as uow:
        uow.items.save(replace(item, body="第二版", revision=2, version=2), expected_version=1)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        rows = uow.session.scalars(select(Revision).order_by(Revision.revision)).all()
        assert [(r.revision, r.body) for r in rows] == [(1, ""), (2, "第二版")]


def test_uncommitted_work_is_rolled_back(engine: Engine) -> None:
    ids = add_people(engine)
    with SqlUnitOfWork(engine) as uow:
        uow.items.add(ContentItem(id=0, title="不会保存", author_id=ids["creator"]))
    with SqlUnitOfWork(engine) as uow:
        assert uow.items.list() == []


def test_reviews_audit_and_staff_directory(engine: Engine) -> None:
    ids = add_people(engine)
    item = new_item(engine, ids["creator"])
    with SqlUnitOfWork(engine) as uow:
        uow.reviews.add(Review(item.id, ids["reviewer"], ReviewStage.FIRST,
                               ReviewDecision.APPROVED, 1, 1, "好", NOW))
        for event in (Event.SUBMIT, Event.APPROVE):
            uow.audit.add(AuditEntry(item.id, ids["reviewer"], "reviewer", event,
                                     State.DRAFTING, State.IN_REVIEW, 1, NOW, "c", "cmd"))
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert [r.comment for r in uow.reviews.for_item(item.id)] == ["好"]
        assert uow.audit.latest(item.id).event is Event.APPROVE  # type: ignore[union-attr]
        assert [e.event for e in uow.audit.history(item.id)] == [Event.SUBMIT, Event.APPROVE]
        assert [e.event for e in uow.audit.history(item.id, last=1)] == [Event.APPROVE]
        assert [e.event for e in uow.audit.history(item.id, last=5)] == [Event.SUBMIT,
                                                                         Event.APPROVE]
        assert {a.name for a in uow.staff.with_role(Role.REVIEWER)} == {"reviewer", "boss"}
        assert uow.staff.actor(ids["boss"]).is_admin  # type: ignore[union-attr]


def test_outbox_key_is_unique_and_the_transaction_survives(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        assert uow.outbox.add("notify", {"staff_id": 1}, "k1", NOW) is True
        assert uow.outbox.add("notify", {"staff_id": 1}, "k1", NOW) is False
        assert uow.outbox.add("notify", {"staff_id": 2}, "k2", NOW) is True
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        keys = uow.session.scalars(select(OutboxMessage.idempotency_key)).all()
    assert sorted(keys) == ["k1", "k2"]


def _ctx(now: datetime = NOW) -> Context:
    return Context(now=now, command="test")


def test_invite_codes_work_once_and_expire(engine: Engine) -> None:
    invite = staff_cases.invite(SqlUnitOfWork(engine), CONSOLE_ACTOR, frozenset({Role.REVIEWER}),
                                "王芳", _ctx())
    old = staff_cases.invite(SqlUnitOfWork(engine), CONSOLE_ACTOR, frozenset({Role.ADMIN}), None,
                             _ctx(NOW - timedelta(days=10)))
    member = staff_cases.bind(SqlUnitOfWork(engine), invite.code.lower(), "o_wf", "x", _ctx())
    assert (member.name, member.openid) == ("王芳", "o_wf")
    assert member.roles == frozenset({Role.REVIEWER})
    for code in (invite.code, old.code, "NOPE"):
        with pytest.raises(InviteInvalid):
            staff_cases.bind(SqlUnitOfWork(engine), code, "o_other", "x", _ctx())
    with SqlUnitOfWork(engine) as uow:
        assert uow.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        used = uow.session.execute(select(StaffInvite.used_at, StaffInvite.used_by)
                                   .where(StaffInvite.code == invite.code)).one()
    assert used[0] is not None and used[1] == member.id


def test_removed_staff_lose_their_openid_but_keep_history(engine: Engine) -> None:
    ids = add_people(engine)
    staff_cases.remove(SqlUnitOfWork(engine), CONSOLE_ACTOR, ids["reviewer"], _ctx())
    with SqlUnitOfWork(engine) as uow:
        assert uow.staff.actor(ids["reviewer"]) is None
        assert uow.staff.matching("o_reviewer") == []
        everyone = uow.staff.members(include_inactive=True)
    assert len(everyone) == 3
    assert staff_cases.find(SqlUnitOfWork(engine), "o_reviewer") is None


def test_names_point_at_one_member(engine: Engine) -> None:
    ids = add_people(engine)
    with pytest.raises(NameTaken) as taken:
        staff_cases.add(SqlUnitOfWork(engine), CONSOLE_ACTOR, "creator",
                        frozenset({Role.ANALYST}), _ctx())
    assert taken.value.data == {"name": "creator", "holder_id": ids["creator"]}
    # an invitee takes a free variant of a taken name
    invite = staff_cases.invite(SqlUnitOfWork(engine), CONSOLE_ACTOR, frozenset({Role.CREATOR}),
                                "reviewer", _ctx())
    member = staff_cases.bind(SqlUnitOfWork(engine), invite.code, "o_new", "x", _ctx())
    assert member.name == "reviewer2"
    with SqlUnitOfWork(engine) as uow:  # two of one name, from before names were unique
        uow.session.execute(update(Staff).where(Staff.id == ids["boss"]).values(name="creator"))
        uow.commit()
    with pytest.raises(NameShared) as shared:
        staff_cases.find(SqlUnitOfWork(engine), "creator")
    assert shared.value.data["ids"] == sorted([ids["creator"], ids["boss"]])
    found = staff_cases.find(SqlUnitOfWork(engine), str(ids["boss"]))
    assert found is not None and found.id == ids["boss"]


def test_the_last_admin_cannot_be_removed(engine: Engine) -> None:
    ids = add_people(engine)
    with pytest.raises(LastAdmin):
        staff_cases.remove(SqlUnitOfWork(engine), CONSOLE_ACTOR, ids["boss"], _ctx())
    staff_cases.add(SqlUnitOfWork(engine), CONSOLE_ACTOR, "admin2", frozenset({Role.ADMIN}),
                    _ctx())
    removal = staff_cases.remove(SqlUnitOfWork(engine), CONSOLE_ACTOR, ids["boss"], _ctx())
    assert (removal.member.active, removal.member.openid) == (False, None)


def test_a_role_change_is_a_conditional_update(engine: Engine) -> None:
    """Two admins changing one member at once: the second write finds the row changed."""
    ids = add_people(engine)
    with SqlUnitOfWork(engine) as uow:
        seen = uow.staff.member(ids["reviewer"])
        assert seen is not None
        assert uow.staff.save(replace(seen, roles=frozenset({Role.ANALYST})), seen)
        assert not uow.staff.save(replace(seen, roles=frozenset({Role.CREATOR})), seen)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.staff.actor(ids["reviewer"]).roles == {Role.ANALYST}  # type: ignore[union-attr]
