"""Kept re-check dates (migration 0035) on both engines: every kind of write a
date depends on marks what it changes, so that 复查 from the kept dates always
says what computing every date from the facts says; and a call that finds
nothing marked computes nothing."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, delete, insert, update
from sqlalchemy.orm import Session

from storage import comments
from storage.models import (
    ContentItemRow,
    RecheckMarkRow,
    RecheckSignalRow,
    ReplyTicket,
    TicketMessage,
)
from storage.rechecks import SqlRecheckView
from storage.uow import SqlUnitOfWork
from tests.integration.commanding import Team, make_team, say
from tests.integration.test_rechecks import DAYS, NOW, TODAY, TZ, published, said
from workflow import recheck, recheck_cases
from workflow.recheck import Due, RecheckDays, SignalKind
from workflow.roles import Actor, Role

AT = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)
LATER = TODAY + timedelta(days=120)  # every article here is due by then


@pytest.fixture
def team(engine: Engine) -> Team:
    return make_team(engine)


def kept(engine: Engine, days: RecheckDays = DAYS, today: date = LATER) -> list[Due]:
    return recheck.due_today(SqlUnitOfWork(engine), days, TZ, today)


def computed(engine: Engine, days: RecheckDays = DAYS, today: date = LATER) -> list[Due]:
    return recheck.due_now(recheck.schedule(SqlUnitOfWork(engine), days, TZ), today)


def marked(engine: Engine, days: RecheckDays = DAYS) -> set[int] | None:
    """What the next 复查 would compute again (None: everything), left marked."""
    with Session(engine) as session:
        found = SqlRecheckView(session).changed(recheck.basis_of(days, TZ))
        session.rollback()
    return found


def agrees(engine: Engine, marks: set[int] | None) -> None:
    """The marks are ``marks``, and 复查 from the kept dates says what computing
    them all says, for today and for a day when every article is due (also
    as 复查 reads it: how many, and the first few)."""
    assert marked(engine) == marks
    for today in (TODAY, LATER):
        expected = computed(engine, today=today)
        assert kept(engine, today=today) == expected
        assert recheck.due_first(SqlUnitOfWork(engine), DAYS, TZ, today, 2) \
            == (len(expected), expected[:2])
    assert marked(engine) == set()


def test_every_write_a_date_depends_on_marks_its_items(engine: Engine, team: Team) -> None:
    plain = published(engine, team.wang, "冬衣募集", date(2026, 9, 1))
    policy = published(engine, team.wang, "助学政策", date(2026, 9, 1), topic="政策")
    notice = published(engine, team.admin, "义诊通知", date(2026, 10, 1),
                       expires_on=date(2027, 1, 10))
    quoted = published(engine, team.wang, "寒假营", date(2026, 10, 1))
    agrees(engine, None)  # never kept: all of them

    say(engine, team.zhou, f"复查 {plain} 正常 已核对", now=NOW)  # the audit trail
    agrees(engine, {plain})
    said(engine, "o_fan1", "电话是错误的", AT, policy)  # a comment with a re-check word
    agrees(engine, {policy})
    said(engine, "o_fan2", "《寒假营》报名过期了吗", AT)  # a message quoting a title
    agrees(engine, {quoted})
    said(engine, "o_fan3", "《义诊通知》写得真好", AT)  # quoting, no signal yet...
    agrees(engine, {notice})
    said(engine, "o_fan3", "投诉：根本没人接电话", AT + timedelta(hours=1),
         complaint=True)  # ...until the ticket is a complaint
    agrees(engine, {notice})
    signal = {d.item_id: d for d in computed(engine)}[notice].signal
    assert signal is not None and signal.kind is SignalKind.COMPLAINT

    with Session(engine) as session:  # an admin's edit of the expiry
        session.execute(update(ContentItemRow).where(ContentItemRow.id == plain)
                        .values(expires_on=date(2026, 12, 20)))
        session.add(RecheckSignalRow(item_id=quoted, kind="reads",
                                     signal_day=date(2026, 12, 6),
                                     detail={"day": "2026-12-05", "reads": 240,
                                             "average": 10.0}, found_at=NOW))
        session.commit()
    agrees(engine, {plain, quoted})


def test_a_shared_title_marks_the_item_it_no_longer_names(engine: Engine,
                                                          team: Team) -> None:
    """A title two items share names neither: publishing a second 《寒假营》
    takes the message's signal from the first, and a new title gives it back."""
    first = published(engine, team.wang, "寒假营", date(2026, 10, 1))
    said(engine, "o_fan1", "《寒假营》的链接打不开", AT)
    agrees(engine, None)
    assert computed(engine)[0].signal is not None

    second = published(engine, team.wang, " 寒假营", date(2026, 11, 1))
    agrees(engine, {first, second})
    assert all(d.signal is None for d in computed(engine))

    with Session(engine) as session:
        session.execute(update(ContentItemRow).where(ContentItemRow.id == second)
                        .values(title="寒假营（二期）"))
        session.commit()
    agrees(engine, {first, second})
    assert [d.item_id for d in computed(engine) if d.signal] == [first]


def test_a_withdrawal_takes_the_date_away(engine: Engine, team: Team) -> None:
    item = published(engine, team.wang, "冬衣募集", date(2026, 8, 1))
    agrees(engine, None)
    assert [d.item_id for d in kept(engine, today=TODAY)] == [item]
    with Session(engine) as session:
        session.execute(update(ContentItemRow).where(ContentItemRow.id == item)
                        .values(state="withdrawn"))
        session.commit()
    agrees(engine, {item})
    assert kept(engine) == []


def test_a_fact_changed_in_place_computes_everything_again(engine: Engine,
                                                            team: Team) -> None:
    item = published(engine, team.wang, "寒假营", date(2026, 10, 1))
    ticket = said(engine, "o_fan1", "《寒假营》的时间错了", AT)
    agrees(engine, None)
    with Session(engine) as session:  # a person's SQL, a purge: not a write wxops makes
        session.execute(delete(TicketMessage).where(TicketMessage.ticket_id == ticket))
        session.commit()
    agrees(engine, None)
    assert computed(engine)[0].item_id == item and computed(engine)[0].signal is None
    comment = said(engine, "o_fan2", "写得真好", AT, item)
    agrees(engine, {item})
    with engine.begin() as conn:  # what wxops does change in place: no date reads it
        conn.execute(update(ReplyTicket).values(summary="改了摘要"))
        comments.set_status(conn, comment, "elected")
        conn.execute(update(TicketMessage).values(delivery="sent"))
    assert marked(engine) == set()


def test_other_intervals_or_zone_compute_everything_again(engine: Engine,
                                                          team: Team) -> None:
    published(engine, team.wang, "助学政策", date(2026, 9, 1), topic="政策")
    agrees(engine, None)
    longer = RecheckDays(90, (("政策", 60),))
    assert marked(engine, longer) is None
    assert kept(engine, longer, TODAY) == computed(engine, longer, TODAY) != \
        computed(engine, DAYS, TODAY)


def test_marks_written_meanwhile_stay_for_the_next_call(engine: Engine, team: Team) -> None:
    """复查 claims the marks it read; one written after is left for the next."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's writers queue on its one lock: no write comes meanwhile")
    item = published(engine, team.wang, "冬衣募集", date(2026, 9, 1))
    agrees(engine, None)
    with Session(engine) as claiming:
        view = SqlRecheckView(claiming)
        assert view.changed(recheck.basis_of(DAYS, TZ)) == set()
        with engine.begin() as conn:  # another writer, committed meanwhile
            conn.execute(insert(RecheckSignalRow).values(
                item_id=item, kind="reads", signal_day=date(2026, 12, 6), detail={},
                found_at=NOW))
        claiming.commit()
    agrees(engine, {item})


def test_two_first_callers_take_turns(engine: Engine, team: Team) -> None:
    """Nothing kept yet: the first 复查 makes the basis row and locks it, and a
    second one at the same moment waits for it instead of writing the same
    dates alongside (a duplicate key)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's writers queue on its one lock: no second caller meanwhile")
    published(engine, team.wang, "冬衣募集", date(2026, 9, 1))
    with Session(engine) as session:  # as a copy leaves it: nothing marked, nothing kept
        session.execute(delete(RecheckMarkRow))
        session.commit()
    basis = recheck.basis_of(DAYS, TZ)
    second: list[list[Due]] = []
    with Session(engine) as first:
        view = SqlRecheckView(first)
        assert view.changed(basis) is None
        waiting = threading.Thread(target=lambda: second.append(kept(engine)))
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive()  # queued behind the first
        view.keep_dates(recheck.schedule(SqlUnitOfWork(engine), DAYS, TZ), None, basis)
        first.commit()
    waiting.join(10)
    assert second == [computed(engine)] and second[0] != []
    assert marked(engine) == set()


def test_mine_reads_each_persons_share_as_asked_of_sifts_it(engine: Engine,
                                                            team: Team) -> None:
    """我的 reads one person's share of what is due from the kept dates
    (``asked_first``): how many, and the first few, as ``asked_of`` sifts the
    whole list: an admin's two weeks overdue and the rest of theirs apart, the
    author's own, every one for an analyst, none for a reviewer."""
    dates = [(team.wang, date(2026, 6, 1)), (team.wang, date(2026, 8, 20)),  # due 99, 19 days ago
             (team.admin, date(2026, 6, 5)), (team.admin, date(2026, 9, 1)),  # 95, 7
             (team.admin, date(2026, 8, 25)),  # due 14 days ago: two weeks overdue, just
             (team.wang, date(2026, 9, 5))]  # 3
    for n, (author, on) in enumerate(dates):
        published(engine, author, f"文章{n}", on)
    due = recheck.due_today(SqlUnitOfWork(engine), DAYS, TZ, TODAY)
    actors = [Actor(team.admin, "admin", frozenset({Role.ADMIN})),
              Actor(team.wang, "creator", frozenset({Role.CREATOR})),
              Actor(team.zhou, "analyst", frozenset({Role.ANALYST})),
              Actor(team.li, "reviewer", frozenset({Role.REVIEWER}))]
    shares = {}
    for actor in actors:
        asked = recheck_cases.asked_of(actor, due, TODAY)
        expected = tuple(recheck_cases.Share(len(s), s[:2]) for s in (asked.mine, asked.overdue))
        shares[actor.name] = recheck_cases.asked_first(SqlUnitOfWork(engine), DAYS, TZ, TODAY,
                                                       actor, 2)
        assert shares[actor.name] == expected, actor.name
    assert {name: tuple(s.total for s in found) for name, found in shares.items()} == {
        "admin": (1, 4), "creator": (3, 0), "analyst": (6, 0), "reviewer": (0, 0)}
