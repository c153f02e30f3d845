"""Staff notices as they are shown, and what became of their item since.

A notice about a content item names the item version it describes. By the
time it is shown (sent by the worker, or held for the person's next message
and shown with the reply) the item may have moved on: "please review" may
have been dealt with. The notice then carries the item's state now, so
nobody acts on old news. Other notices show as written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from handlers import texts
from storage import platform
from workflow.states import State

Payload = Mapping[str, Any]  # an outbox "notify" row's payload


def show(conn: Connection, payloads: Sequence[Payload]) -> list[str]:
    """Each notice's text, with the item's state now where the item has changed."""
    abouts = [_about(p) for p in payloads]
    current = platform.item_versions(conn, {a[0] for a in abouts if a is not None})
    return [texts.render("notice", text=_written(p), now=_state_now(about, current))
            for p, about in zip(payloads, abouts, strict=True)]


def _written(payload: Payload) -> str:
    """The notice as it was written: its template with its context."""
    return texts.render(f"notify/{payload['template']}", **payload.get("context", {}))


def _about(payload: Payload) -> tuple[int, int] | None:
    """(item id, item version) a workflow notice describes; None for other notices."""
    item_id, version = payload.get("context", {}).get("item_id"), payload.get("item_version")
    return (item_id, version) if isinstance(item_id, int) and isinstance(version, int) else None


def _state_now(about: tuple[int, int] | None,
               current: Mapping[int, tuple[int, str]]) -> str | None:
    """The label of the item's state, when it is not the version the notice describes."""
    if about is None or about[0] not in current:
        return None
    version, state = current[about[0]]
    return State(state).label if version != about[1] else None
