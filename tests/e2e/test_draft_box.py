"""The draft-box sync end to end (SQLite; the integration tests cover both
engines): an item approved through its reviews is attached by chat to a draft
written in WeChat's backend; a person edits that draft in the editor (the
emulator's control endpoint); the worker's periodic sync, every second here
(WXOPS_DRAFT_SYNC_MINUTES), takes the edit as a new revision and the item is
back in review."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.db import make_engine
from storage.models import AuditRow, BoxDraftRow
from tests.e2e.conftest import Stack, start_stack
from tests.e2e.test_outbound import control, eventually, says
from tests.e2e.test_publishing import approved, item_row, outbox_by_kind, team
from workflow.states import State

BODY = "<p>招募 20 名周末辅导志愿者。</p>"  # what approved() writes
EDITED = "<p>招募 30 名周末辅导志愿者，12 月 20 日截止。</p>"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    yield from start_stack(f"sqlite:///{tmp_path / 'e2e.db'}", tmp_path)


def test_an_edit_in_the_draft_box_sends_the_approved_item_back_to_review(stack: Stack) -> None:
    engine = make_engine(stack.database_url)
    ids = team(engine)
    item_id = approved(engine, ids, "冬季助学")
    written = control(stack, "drafts", {"title": "冬季助学", "content": BODY})["media_id"]
    stack.start_worker("w1", WXOPS_DRAFT_SYNC_MINUTES="0.02")

    def seen() -> int | None:
        with engine.connect() as conn:
            return conn.scalar(select(BoxDraftRow.id).where(BoxDraftRow.media_id == written))

    eventually(lambda: seen() is not None
               and set(outbox_by_kind(engine, "sync_draft")) == {"sent"})
    assert f"稿件 {item_id} 草稿 编号" in says(stack, "o_creator", f"稿件 {item_id} 草稿")
    assert says(stack, "o_creator", f"稿件 {item_id} 草稿 {seen()}")
    item = item_row(engine, item_id)
    assert (item.state, item.draft_media_id) == (State.APPROVED.value, written)
    control(stack, "drafts/edit", {"media_id": written, "content": EDITED})
    eventually(lambda: item_row(engine, item_id).state == State.IN_REVIEW.value)
    item = item_row(engine, item_id)
    assert (item.body, item.revision) == (EDITED, 3)
    with engine.connect() as conn:
        event, actor = conn.execute(select(AuditRow.event, AuditRow.actor_name)
                                    .where(AuditRow.subject == f"item:{item_id}")
                                    .order_by(AuditRow.id.desc()).limit(1)).one()
    assert (event, actor) == ("edit", "creator")
    engine.dispose()
