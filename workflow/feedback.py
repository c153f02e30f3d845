"""Process feedback (建议): kept by quarter for the quarterly process review."""

from __future__ import annotations

from datetime import datetime, tzinfo

from workflow.errors import FeedbackEmpty, FeedbackTooLong
from workflow.model import ActionEntry, Context
from workflow.ports import UnitOfWork
from workflow.roles import Actor

MAX_FEEDBACK = 1000


def quarter_of(when: datetime) -> str:
    """``2026Q4``: the quarter ``when`` falls in, in its own zone."""
    return f"{when.year}Q{(when.month - 1) // 3 + 1}"


def give(uow: UnitOfWork, actor: Actor, text: str, ctx: Context, tz: tzinfo) -> str:
    """Keep ``text`` as ``actor``'s feedback for this quarter (in the account's
    zone), audited; returns the quarter."""
    text = text.strip()
    if not text:
        raise FeedbackEmpty()
    if len(text) > MAX_FEEDBACK:
        raise FeedbackTooLong(MAX_FEEDBACK)
    quarter = quarter_of(ctx.now.astimezone(tz))
    with uow:
        row_id = uow.feedback.add(actor.id, text, quarter, ctx.now)
        uow.audit.record(ActionEntry(f"feedback:{row_id}", "feedback", actor.id, actor.name,
                                     ctx.now, result=quarter, comment=text,
                                     command=ctx.command))
        uow.commit()
    return quarter
