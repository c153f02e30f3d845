"""旧文: the old-content review (workflow/old_content.py) in one passive reply."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo

from handlers.commands.context import CommandContext, Result, say
from handlers.commands.grammar import Command
from handlers.replies import TEXT_REPLY_BYTES
from workflow import old_content
from workflow.old_content import Listing, OldItem


def old_articles(ctx: CommandContext, cmd: Command) -> Result:
    """Every article on the platform, oldest first, the candidates marked. When
    they do not fit one reply, the candidates alone, then fewer of them; the
    rest are in ``wxops review old``."""
    with ctx.uow() as uow:
        listing = old_content.review(uow.old_content, ctx.local_now.date(), ctx.tz)
    for shown in _shorter(listing):
        result = say("old_content", listing=listing, shown=shown,
                     hidden=len(listing.items) - len(shown), local=local_day(ctx.tz))
        if len(result.render().encode()) <= TEXT_REPLY_BYTES:
            break
    return result


def _shorter(listing: Listing) -> list[tuple[OldItem, ...]]:
    """What to show, longest first: everything, the candidates, fewer candidates."""
    found = listing.candidates
    return [listing.items, *(found[:n] for n in range(len(found), -1, -1))]


def local_day(tz: tzinfo) -> Callable[[datetime], str]:
    """A moment as the account's day: ``2026-12-07``."""
    def local(moment: datetime) -> str:
        return moment.astimezone(tz).date().isoformat()
    return local
