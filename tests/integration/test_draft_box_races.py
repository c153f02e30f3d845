"""Two syncs of the draft box at once (the worker's job and ``wxops drafts
sync``, or two workers) make one change in the box into one revision, never
two: the draft's update_time is claimed (a compare-and-set on
``box_drafts.judged_time``) in the transaction that writes the revision.

The interleavings are forced by holding a sync just before it edits the item
(``usecases.edit``, which the draft box's use case calls to make a revision):
by then it has judged the draft a change from what it read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from storage.models import AuditRow, ContentItemRow
from storage.uow import SqlUnitOfWork
from tests.integration.conftest import Account
from tests.integration.test_commands import Team
from workflow import draft_cases, usecases
from workflow.capabilities import VERIFIED_SERVICE, Capabilities
from workflow.draft_box import BoxDraft, Verdict
from workflow.model import Context

OWN = "<p>寒假前为山区学生募集冬衣。</p>"
EDITED = BoxDraft("M1", "冬季助学", "<p>寒假前为山区学生募集冬衣，已收到 320 件。</p>", 200)


@pytest.fixture
def item_id(account: Account) -> int:
    """An approved item whose own draft is M1 (the outbox pushed it)."""
    item_id = Team(account).approved()
    with account.engine.begin() as conn:
        conn.execute(update(ContentItemRow).where(ContentItemRow.id == item_id)
                     .values(draft_media_id="M1"))
    return item_id


def sync(engine: Engine, draft: BoxDraft = EDITED) -> Verdict:
    ctx = Context(now=datetime.now(UTC), command="草稿箱同步",
                  capabilities=Capabilities(VERIFIED_SERVICE))
    report = draft_cases.sync(SqlUnitOfWork(engine), [draft], ctx, complete=False)
    return report.outcomes[0].verdict


def revision_and_edits(engine: Engine, item_id: int) -> tuple[int, int]:
    with engine.connect() as conn:
        revision = conn.scalar(select(ContentItemRow.revision).where(
            ContentItemRow.id == item_id))
        edits = conn.scalars(select(AuditRow.id).where(
            AuditRow.subject == f"item:{item_id}", AuditRow.event == "edit")).all()
    return int(revision or 0), len(edits)


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Callable[[], object]], None]]:
    """Holds each sync's edit until ``wait`` (run in that sync's thread) returns."""
    waits: dict[int, Callable[[], object]] = {}
    edit = usecases.edit

    def holding(*args: Any, **kwargs: Any) -> Any:
        waits.get(threading.get_ident(), lambda: None)()
        return edit(*args, **kwargs)

    monkeypatch.setattr(usecases, "edit", holding)

    def hold(wait: Callable[[], object]) -> None:
        waits[threading.get_ident()] = wait

    yield hold


def run(*syncs: Callable[[], Verdict]) -> list[Verdict]:
    verdicts: dict[int, Verdict] = {}
    threads = [threading.Thread(target=lambda n=n, s=s: verdicts.__setitem__(n, s()))
               for n, s in enumerate(syncs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(verdicts) == len(syncs)  # none crashed or hung
    return [verdicts[n] for n in range(len(syncs))]


@pytest.mark.parametrize("seen_before", [True, False], ids=["kept", "first-sight"])
def test_a_sync_that_judged_before_another_took_the_change_makes_no_second_revision(
        engine: Engine, item_id: int, held: Callable[[Callable[[], object]], None],
        seen_before: bool) -> None:
    """The late sync read the draft (and the item) before the early one took the
    change, and edits only after it committed: it must find the claim taken."""
    if seen_before:
        assert sync(engine, BoxDraft("M1", "冬季助学", OWN, 100)) is Verdict.SAME
    before = revision_and_edits(engine, item_id)
    judged, early_done = threading.Event(), threading.Event()

    def early() -> Verdict:
        judged.wait(10)
        try:
            return sync(engine)
        finally:
            early_done.set()

    def until_early_is_done() -> None:
        judged.set()
        early_done.wait(10)

    def late() -> Verdict:
        held(until_early_is_done)
        return sync(engine)

    assert sorted(run(early, late)) == sorted([Verdict.TAKEN, Verdict.UNCHANGED])
    assert revision_and_edits(engine, item_id) == (before[0] + 1, before[1] + 1)
    assert sync(engine) is Verdict.UNCHANGED


@pytest.mark.parametrize("seen_before", [True, False], ids=["kept", "first-sight"])
def test_two_syncs_editing_at_the_same_moment_make_one_revision(
        engine: Engine, item_id: int, held: Callable[[Callable[[], object]], None],
        seen_before: bool) -> None:
    """Both judged the draft a change and edit at once: one claims it, the other
    waits on its row lock and finds it judged (PostgreSQL; SQLite runs one
    writer at a time, so there the second simply comes after the first)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers are a PostgreSQL matter; SQLite serialises them")
    if seen_before:
        assert sync(engine, BoxDraft("M1", "冬季助学", OWN, 100)) is Verdict.SAME
    before = revision_and_edits(engine, item_id)
    both = threading.Barrier(2)

    def racing() -> Verdict:
        held(lambda: both.wait(10))
        return sync(engine)

    assert sorted(run(racing, racing)) == sorted([Verdict.TAKEN, Verdict.UNCHANGED])
    assert revision_and_edits(engine, item_id) == (before[0] + 1, before[1] + 1)
