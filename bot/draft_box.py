"""The WeChat draft box read through the gateway (``draft/batchget``,
``draft/get``) and handed to the use cases of workflow/draft_cases.py: what
``wxops drafts sync``, ``wxops item attach`` and the worker's job share."""

from __future__ import annotations

from typing import Any

from bot.gateway import Gateway
from bot.timefmt import utcnow
from bot.wiring import App
from handlers import texts
from workflow import draft_cases
from workflow.draft_box import BoxDraft, SyncReport
from workflow.model import Context

#: draft/batchget's largest page.
PAGE = 20
#: Pages read at most in one sync (a box of 1,000 drafts); a box larger than
#: that is read in part, and nothing is forgotten for not being seen.
MAX_PAGES = 50


def context(app: App, command: str) -> Context:
    """A sync's context: the account's capabilities now, and what the audit says."""
    return Context(now=utcnow(), command=texts.phrase("cli/drafts", "command", by=command),
                   capabilities=app.capabilities())


def sync(app: App, gateway: Gateway, by: str) -> SyncReport:
    """Read the whole box (with content: it is what a revision is made of) and
    judge it; NoDraftBox, before any call, on an account without the draft box."""
    ctx = context(app, by)
    draft_cases.require_box(ctx)
    drafts, complete = read_box(gateway)
    return draft_cases.sync(app.uow(), drafts, ctx, complete)


def read_box(gateway: Gateway) -> tuple[list[BoxDraft], bool]:
    """Every draft of the box, page by page; and whether that was all of them."""
    drafts: list[BoxDraft] = []
    offset = 0
    for _ in range(MAX_PAGES):
        page = gateway.draft_batchget(offset, PAGE, no_content=False)
        entries = page.get("item") or []
        drafts += [d for d in map(_batch_entry, entries) if d is not None]
        offset += len(entries)
        if not entries or offset >= int(page.get("total_count") or 0):
            return drafts, True
    return drafts, False


def read_one(gateway: Gateway, media_id: str) -> BoxDraft | None:
    """One draft by its media_id (``draft/get``); None when it has no article."""
    got = gateway.draft_get(media_id)
    return _draft(media_id, got, int(got.get("update_time") or 0))


def _batch_entry(entry: dict[str, Any]) -> BoxDraft | None:
    content = entry.get("content") or {}
    update_time = int(entry.get("update_time") or content.get("update_time") or 0)
    return _draft(str(entry.get("media_id", "")), content, update_time)


def _draft(media_id: str, content: dict[str, Any], update_time: int) -> BoxDraft | None:
    articles = content.get("news_item") or []
    if not media_id or not articles:
        return None
    first = articles[0]
    return BoxDraft(media_id, str(first.get("title") or ""), str(first.get("content") or ""),
                    update_time)
