"""The archive (5.3): which moves write an item to it, and what an export holds.

A delete on the platform cannot be undone, so every move that takes an article
down writes the item to the archive in the move's own transaction, before the
worker may call the delete (``DeletePublished``); archiving an item (``归档``)
writes it too. The worker's delete reads the platform's HTML into the entry
before it deletes (bot/deliveries.py). Pure: the decision in, requests out.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from workflow.effects import DeletePublished
from workflow.machine import Decision
from workflow.states import Event, State


class Reason(StrEnum):
    ARCHIVE = "archive"  # 归档
    WITHDRAW = "withdraw"  # 撤回, 复查 … 删除
    REPLACED = "replaced"  # a revision published again: the outdated article comes down


@dataclass(frozen=True)
class ArchiveRequest:
    """Write ``item_id`` to the archive for ``article_id`` ("" when it has none),
    as it stood at ``revision`` (None: the revision last published before the
    item's current one, for an article a newer revision replaces)."""

    item_id: int
    article_id: str
    reason: Reason
    revision: int | None


#: The states whose items an export holds: what was once public.
EXPORTED_STATES = (State.PUBLISHED, State.NEEDS_UPDATE, State.WITHDRAWN, State.ARCHIVED)


def to_archive(decision: Decision) -> list[ArchiveRequest]:
    """The archive entries a decision writes, in its transaction."""
    before, item = decision.before, decision.item
    wanted: list[ArchiveRequest] = []
    for effect in decision.effects:
        if isinstance(effect, DeletePublished):
            replaced = decision.audit.event is not Event.WITHDRAW
            wanted.append(ArchiveRequest(
                item.id, effect.article_id, Reason.REPLACED if replaced else Reason.WITHDRAW,
                None if replaced else before.revision))
    if decision.audit.event is Event.WITHDRAW and not wanted:  # deleted by hand in the backend
        wanted.append(ArchiveRequest(item.id, before.article_id or "", Reason.WITHDRAW,
                                     before.revision))
    if decision.audit.event is Event.ARCHIVE:
        wanted.append(ArchiveRequest(item.id, before.article_id or "", Reason.ARCHIVE,
                                     before.revision))
    return wanted
