"""稿件 12 草稿 [编号]: the drafts seen in the WeChat draft box, to attach one
to an item (workflow/draft_cases.py). Read from what the last sync saw: no
call to WeChat while the person waits for the reply."""

from __future__ import annotations

from handlers.commands.context import CommandContext, Result, say
from handlers.commands.grammar import Command
from handlers.when import format_when
from workflow import draft_cases

#: Drafts listed to pick from: the most recently saved.
LIST_LIMIT = 8


def item_drafts(ctx: CommandContext, cmd: Command) -> Result:
    item_id, number = int(cmd.args["item"]), cmd.args.get("draft")
    if number is None:
        item, found = draft_cases.recent(ctx.uow(), ctx.workflow(), LIST_LIMIT, item_id)
        return say("drafts", item=item, drafts=found,
                   local=lambda dt: format_when(dt.astimezone(ctx.tz), ctx.local_now))
    attached = draft_cases.attach(ctx.uow(), ctx.actor.id, item_id, int(number),
                                  ctx.workflow())
    return say("draft_attached", item=attached.item, draft=attached.draft,
               revision=attached.revision)
