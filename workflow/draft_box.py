"""The WeChat draft box as a source of revisions: what a draft seen there
means for the item it is attached to. Pure: the drafts come in as data.

A draft is attached to an item by a person (``稿件 12 草稿 2``, ``wxops item
attach``), or is the item's own draft (``draft_media_id``, the one the outbox
pushes). A change in the box becomes a new revision of the item when the
draft's ``update_time`` moved on since it was last judged AND its content is
another article than the item's current text. The second guard is what keeps
wxops's own pushes out: a push moves ``update_time`` on, but the box then
holds the item's own body, perhaps rewritten on save (attribute order and
quoting, entities, ``<br/>``, spacing in styles, ``data-*`` added, ``class``
and ``id`` stripped), so the bodies are compared in canonical form
(workflow/canonical_html.py), not byte for byte. Comparing content has no
race: recording the ``update_time`` after a push would need a read after it,
and a person's save between the two would be taken for ours and lost.
Two syncs at once judge a change once: the draft's update_time is claimed in
the transaction that writes the revision (``BoxDrafts.claim``), and the sync
that loses the claim has its revision undone (``JudgedElsewhere``).
Only a draft's first article is read: an item is one article.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from workflow.canonical_html import same_article
from workflow.errors import WorkflowError
from workflow.model import ContentItem, ItemChanges


@dataclass(frozen=True)
class BoxDraft:
    """One draft as ``draft/batchget`` (or ``draft/get``) shows it: its first article."""

    media_id: str
    title: str
    content: str
    update_time: int


@dataclass(frozen=True)
class SeenDraft:
    """A draft as wxops last saw it (table ``box_drafts``). ``number`` is how
    people pick it in chat; ``update_time`` is the box's as last seen,
    ``judged_time`` the one last judged (0: not yet judged for the item it is
    attached to); ``revision`` is the item's revision last taken from it."""

    number: int
    media_id: str
    title: str
    content: str
    update_time: int
    seen_at: datetime
    judged_time: int = 0
    item_id: int | None = None
    revision: int | None = None

    @property
    def saved_at(self) -> datetime:
        """When it was last saved in the box (its update_time), in UTC."""
        return datetime.fromtimestamp(self.update_time, UTC)

    def as_box(self) -> BoxDraft:
        return BoxDraft(self.media_id, self.title, self.content, self.update_time)


class JudgedElsewhere(Exception):
    """Another sync judged the draft's update_time first (it took the change,
    or found it the item's own): this one's revision is undone."""

    def __init__(self, media_id: str) -> None:
        super().__init__(media_id)
        self.media_id = media_id


class Verdict(StrEnum):
    """What one draft of a sync means."""

    NEW = "new"  # attached to nothing, seen for the first time
    SEEN = "seen"  # attached to nothing, seen before
    UNCHANGED = "unchanged"  # attached; nothing saved since it was judged (maybe just now)
    SAME = "same"  # attached; saved again with the item's own text (wxops's push)
    TAKEN = "taken"  # attached; a person's change, now a new revision of the item
    REFUSED = "refused"  # attached; changed, but the item takes no edit now (tried again)


def judge(draft: BoxDraft, seen: SeenDraft | None, item: ContentItem | None) -> Verdict:
    """What ``draft`` means, given how it was last seen and the item it is
    attached to (None: attached to nothing)."""
    if item is None:
        return Verdict.NEW if seen is None else Verdict.SEEN
    if seen is not None and seen.judged_time == draft.update_time:
        return Verdict.UNCHANGED
    return Verdict.SAME if changes(draft, item).is_empty() else Verdict.TAKEN


def changes(draft: BoxDraft, item: ContentItem) -> ItemChanges:
    """The edit that makes the item say what the draft says (empty: it does)."""
    title = draft.title.strip()
    return ItemChanges(
        title=title if title and title != item.title.strip() else None,
        body=None if same_article(draft.content, item.body) else draft.content)


@dataclass(frozen=True)
class Outcome:
    """One draft of a sync: what it meant, and for an attached one the item, the
    revision taken, or the refusal's code."""

    media_id: str
    title: str
    verdict: Verdict
    item_id: int | None = None
    revision: int | None = None
    refusal: WorkflowError | None = field(default=None, compare=False)


@dataclass(frozen=True)
class SyncReport:
    outcomes: tuple[Outcome, ...]
    forgotten: int = 0  # drafts no longer in the box, forgotten

    def of(self, *verdicts: Verdict) -> list[Outcome]:
        return [o for o in self.outcomes if o.verdict in verdicts]
