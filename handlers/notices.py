"""Staff notices as they are shown, and what became of their item since.

A notice about a content item names the item version and state it describes.
By the time it is shown (sent by the worker, or held for the person's next
message and shown with the reply) the item may have moved on: "please review"
may have been dealt with. The notice then carries the item's state now, so
nobody acts on old news. A change that left the state as it was (the draft
synced to WeChat, an edit) does not count. Other notices show as written.

When held notices do not all fit in one reply, their rank says which go first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from handlers import texts
from workflow.states import State

Payload = Mapping[str, Any]  # an outbox "notify" row's payload

#: Ranks, most important first: something went wrong that a person must see to;
#: something waits for this person's action; news.
TROUBLE, TO_DO, NEWS = 0, 1, 2

#: The rank of each notice template (handlers/templates/notify/). A template not
#: listed counts as news; a test keeps every template listed.
RANKS: Mapping[str, int] = MappingProxyType({
    "item_publish_failed": TROUBLE,      # the publish failed: retry or send back
    "item_submit_confirmed": TROUBLE,    # ... it did not after all: do not retry
    "reply_refused": TROUBLE,            # a follower did not get the answer
    "replies_undelivered": TROUBLE,      # several did (a burst, one notice)
    "ticket_waiting": TROUBLE,           # a follower has waited past the promise
    "inbound_replayed": TROUBLE,         # a command of theirs was carried out late
    "comments_unmapped": TO_DO,          # its comments are not read: see to them in the backend
    "item_submitted": TO_DO,             # review it
    "item_resubmitted": TO_DO,           # review it again
    "item_needs_final": TO_DO,           # give the final review
    "item_needs_second_final": TO_DO,    # a sensitive item needs a second final review
    "item_marked_sensitive": TO_DO,      # likewise
    "item_approvers_missing": TO_DO,     # nobody (enough) may approve it: invite a reviewer
    "changes_requested": TO_DO,          # revise and resubmit
    "item_approved": TO_DO,              # schedule or publish it
    "item_publish_by_hand": TO_DO,       # publish it in the backend, record its link
    "item_outdated": TO_DO,              # revise the published article
    "item_assigned": TO_DO,              # write the item given to you
    "recheck_due": TO_DO,                # re-check these published articles (once a day)
    "item_unassigned": NEWS,
    "item_due_changed": NEWS,
    "item_approved_author": NEWS,
    "item_scheduled": NEWS,
    "item_unscheduled": NEWS,
    "item_published": NEWS,
    "item_withdrawn": NEWS,
    "item_revision_dropped": NEWS,
    "reply_sent_after_all": NEWS,        # a warning taken back
    "report_ready": NEWS,                # the weekly report: read it when there is time
    "evaluation_survey": TO_DO,          # answer the quarter's three questions (评估)
    "evaluation_ready": NEWS,            # the quarterly evaluation's link
})


@dataclass(frozen=True)
class Notice:
    text: str
    rank: int
    #: It asked its reader to act on an item that has moved on since (someone else
    #: reviewed it): it asks nothing any more, and a digest leaves it out.
    moot: bool = False


#: (version, state) of each content item, as ``ItemVersions`` reads them now.
Current = Mapping[int, tuple[int, str]]


def items_named(payloads: Sequence[Payload]) -> set[int]:
    """The content items these notices are about: whose state now ``show`` needs."""
    return {a.item_id for a in map(_about, payloads) if a is not None}


def show(payloads: Sequence[Payload], current: Current) -> list[str]:
    """Each notice's text, with the item's state now where the item has changed
    (``current``: the items of ``items_named`` as they are now)."""
    return [notice.text for notice in ranked(payloads, current)]


def ranked(payloads: Sequence[Payload], current: Current) -> list[Notice]:
    """Each notice's text and rank. A notice whose item has moved on since asks
    nothing of anyone any more (someone else reviewed it): it ranks as news."""
    abouts = [_about(p) for p in payloads]
    notices = []
    for payload, about in zip(payloads, abouts, strict=True):
        now = _state_now(about, current)
        asked = RANKS.get(str(payload.get("template")), NEWS)
        rank = NEWS if now is not None else asked
        notices.append(Notice(texts.render("notice", text=_written(payload), now=now), rank,
                              moot=now is not None and asked == TO_DO))
    return notices


def _written(payload: Payload) -> str:
    """The notice as it was written: its template with its context."""
    return texts.render(f"notify/{payload['template']}", **payload.get("context", {}))


@dataclass(frozen=True)
class _About:
    """The item a workflow notice describes, as it was then."""

    item_id: int
    version: int
    state: str | None  # None in notices recorded before states were kept


def _about(payload: Payload) -> _About | None:
    item_id, version = payload.get("context", {}).get("item_id"), payload.get("item_version")
    if not (isinstance(item_id, int) and isinstance(version, int)):
        return None  # not about an item
    state = payload.get("item_state")
    return _About(item_id, version, state if isinstance(state, str) else None)


def _state_now(about: _About | None, current: Mapping[int, tuple[int, str]]) -> str | None:
    """The label of the item's state now, when the item has moved on since the notice."""
    if about is None or about.item_id not in current:
        return None
    version, state = current[about.item_id]
    moved_on = state != about.state if about.state is not None else version != about.version
    return State(state).label if moved_on else None
