"""复查's reads at once (storage/rechecks.py ``checked``, ``said_since``,
``kept_signals_published``; workflow.recheck ``due_today``) give what the
reads by lists of ids give (``published``, ``last_checks``, ``said_about``,
``kept_signals``, which the old-content list and the worker's spotting still
use), on both engines: on an account filled by the scale generator
(bench/scale_data.py) and on the trail a published item cannot reach by
commands (a withdrawal that 复查 did not ask for)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, insert, or_, select, update
from sqlalchemy.orm import Session

from bench.scale_data import fill, local_today
from storage.models import (
    AuditRow,
    ContentItemRow,
    RecheckQuoteRow,
    RecheckSignalRow,
    ReplyTicket,
    Staff,
    TicketMessage,
)
from storage.uow import SqlUnitOfWork
from workflow import recheck
from workflow.recheck import Due, RecheckDays, Verdict
from workflow.reply_queue import COMPLAINT_PRIORITY

TZ = ZoneInfo("Asia/Shanghai")
DAYS = RecheckDays(90, (("政策", 30),))


def by_ids(engine: Engine, days: RecheckDays) -> list[Due]:
    """Every published item's next re-check from the reads by lists of ids."""
    with SqlUnitOfWork(engine) as uow:
        view = uow.rechecks
        articles = list(view.published())
        ids = [a.item_id for a in articles]
        lasts = view.last_checks(ids)
        since = min((recheck._since(a, lasts.get(a.item_id)) for a in articles), default=None)
        said = recheck._by_item(view.said_about(ids, since))
        kept: dict[int, list[recheck.Signal]] = {}
        for item_id, signal in view.kept_signals(ids):
            kept.setdefault(item_id, []).append(signal)
    found = [recheck.due_of(a, lasts.get(a.item_id), said.get(a.item_id, []),
                            kept.get(a.item_id, []), days, TZ) for a in articles]
    return sorted(found, key=lambda d: (d.due_on, d.item_id))


@pytest.fixture
def account(engine: Engine) -> Iterator[Engine]:
    """A small account of the scale generator's, with a reads spike kept for a
    published item and one for an item no longer published."""
    fill(engine, local_today(), items=200, published=100, tickets=2000, messages=8000,
         followers=1000)
    now = datetime.now(UTC)
    c = ContentItemRow
    with Session(engine) as session:
        shown = session.scalar(select(func.min(c.id)).where(
            c.state == "published", c.published_at < now - timedelta(days=10),
            c.published_at > now - timedelta(days=60)))  # due later, unless pulled forward
        gone = session.scalar(select(func.min(c.id)).where(c.state != "published"))
    with engine.begin() as conn:
        conn.execute(insert(RecheckSignalRow), [
            {"item_id": item, "kind": "reads", "signal_day": local_today() - timedelta(days=1),
             "detail": {"reads": 500}, "found_at": now} for item in (shown, gone)])
    yield engine


def test_the_reads_at_once_give_the_same_schedule(account: Engine) -> None:
    today = local_today()
    expected = by_ids(account, DAYS)
    assert recheck.schedule(SqlUnitOfWork(account), DAYS, TZ) == expected
    due = recheck.due_today(SqlUnitOfWork(account), DAYS, TZ, today)
    assert due == recheck.due_now(expected, today)
    # What it is compared on: re-checks due and not, pulled forward by what
    # followers said and by the kept spike, and re-checked before.
    assert 0 < len(due) < len(expected)
    assert any(d.signal and d.signal.kind is recheck.SignalKind.READS for d in due)
    assert any(d.signal and d.signal.kind is not recheck.SignalKind.READS for d in expected)
    assert any(d.last is not None for d in due) and any(d.last is None for d in due)
    assert any(d.due_on > today and d.planned_on > today for d in expected)


def test_what_was_said_is_read_once_as_by_ids(account: Engine) -> None:
    """A message with a re-check word in a complaint's ticket is read by both
    ways in (the words' index, the complaints'): it is said once."""
    since = datetime.now(UTC) - timedelta(days=800)
    m, t = TicketMessage, ReplyTicket
    worded = or_(*[m.content.contains(w) for w in recheck.RECHECK_WORDS])
    with account.begin() as conn:  # the tickets whose messages have a word made complaints
        conn.execute(update(t).where(t.id.in_(select(m.ticket_id).where(
            m.content.contains("《"), worded))).values(priority=COMPLAINT_PRIORITY))
    with SqlUnitOfWork(account) as uow:
        view = uow.rechecks
        ids = {a.item_id for a in view.published()}
        by_ids = view.said_about(ids, since)
        at_once = [s for s in view.said_since(since) if s.item_id in ids]
    assert at_once == by_ids
    assert len({(s.ticket_id, s.at, s.item_id) for s in at_once}) == len(at_once)
    assert any(s.complaint and recheck.recheck_word(s.text) for s in at_once)
    assert any(s.source == "message" for s in at_once)


def test_the_kept_quotes_find_what_the_reads_by_ids_find(account: Engine) -> None:
    """复查 after a few writes finds the messages naming a few items by the
    quotes kept (``said_about(..., quoted=True)``): what it finds is what the
    read without them finds, and so only what may be a signal, though some of
    those messages have no re-check word and are in no complaint's ticket."""
    since = datetime.now(UTC) - timedelta(days=800)
    m, t, q = TicketMessage, ReplyTicket, RecheckQuoteRow
    with SqlUnitOfWork(account) as uow:
        view = uow.rechecks
        assert view.changed("a basis the dates were never kept under") is None  # quotes kept
        session = uow.session
        quoted = session.scalars(select(ContentItemRow.id).where(
            ContentItemRow.state == "published",
            ContentItemRow.title.in_(select(q.title)))).all()
        ids = sorted(quoted)[:20]
        by_quotes = view.said_about(ids, since, quoted=True)
        by_ids = view.said_about(ids, since)
        worded = or_(*[m.content.contains(w) for w in recheck.RECHECK_WORDS])
        plain = session.scalar(select(func.count()).select_from(m).join(t, t.id == m.ticket_id)
                               .where(m.id.in_(select(q.message_id)), ~worded,
                                      t.priority < COMPLAINT_PRIORITY))
    assert len(ids) == 20 and plain
    assert by_quotes == by_ids
    assert any(s.source == "message" for s in by_quotes)


def test_due_today_leaves_out_only_what_is_not_due(account: Engine) -> None:
    """Some days on, more is due: still what the whole schedule says."""
    for later in (30, 400):
        today = local_today() + timedelta(days=later)
        assert recheck.due_today(SqlUnitOfWork(account), DAYS, TZ, today) \
            == recheck.due_now(by_ids(account, DAYS), today)


def at(day: date, hour: int = 2) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def test_a_withdrawal_not_asked_by_recheck_is_no_last_check(engine: Engine) -> None:
    """The item's last row of a re-check's events is a withdrawal from 撤回:
    its last re-check is the one before, as ``last_checks`` reads it."""
    day = date(2026, 1, 5)
    with Session(engine) as session:
        staff = Staff(openid="o-admin", name="管理员", roles="admin", created_at=at(day))
        session.add(staff)
        session.flush()
        items = [ContentItemRow(title=f"文章{n}", author_id=staff.id, state="published",
                                published_at=at(day), body="", created_at=at(day),
                                updated_at=at(day)) for n in range(3)]
        session.add_all(items)
        session.commit()
        ids = [i.id for i in items]
        staff_id = staff.id
    trail = [(ids[0], "recheck_ok", "复查 1 正常", 10), (ids[0], "withdraw", "撤回 1", 20),
             (ids[1], "flag_outdated", "复查 2 更新", 10),
             (ids[1], "withdraw", "复查 2 删除", 30), (ids[2], "withdraw", "撤回 3", 40)]
    with engine.begin() as conn:
        conn.execute(insert(AuditRow), [
            {"item_id": item, "actor_id": staff_id, "actor_name": "管理员", "event": event,
             "command": command, "at": at(day + timedelta(days=after))}
            for item, event, command, after in trail])
    with SqlUnitOfWork(engine) as uow:
        checked = {a.item_id: last for a, last in uow.rechecks.checked()}
        expected = uow.rechecks.last_checks(ids)
    assert checked == {i: expected.get(i) for i in ids}
    assert [(c.verdict, c.at) if (c := checked[i]) else None for i in ids] == [
        (Verdict.OK, at(day + timedelta(days=10))),
        (Verdict.DELETE, at(day + timedelta(days=30))), None]
