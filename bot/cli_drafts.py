"""``wxops drafts sync|list`` and ``wxops item attach``: drafts in from the
WeChat draft box (bot/draft_box.py, workflow/draft_cases.py)."""

from __future__ import annotations

import click

from bot import draft_box
from bot.cli_items import _staff_id, item
from bot.cli_text import CliError, echo, helptext
from bot.cli_types import MEMBER, ROW_ID
from bot.timefmt import local
from bot.wechat_errors import InvalidMediaId
from bot.wiring import App
from handlers import refusals
from workflow import draft_cases
from workflow.draft_box import Verdict


@click.group()
def drafts() -> None:
    """公众号草稿箱 (the WeChat draft box)."""


@drafts.command("sync")
@click.pass_obj
def drafts_sync(app: App) -> None:
    """读取草稿箱，挂了稿件的草稿有修改时写入新版本 (read the draft box now)."""
    from bot.worker import make_gateway  # the gateway the worker uses, asking capabilities

    report = draft_box.sync(app, make_gateway(app), "cli")
    for outcome in report.of(Verdict.TAKEN):
        echo("drafts", "taken", outcome=outcome)
    for outcome in report.of(Verdict.REFUSED):
        assert outcome.refusal is not None
        echo("drafts", "refused", outcome=outcome, reason=refusals.say(outcome.refusal))
    echo("drafts", "synced", report=report)


@drafts.command("list")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 200))
@click.pass_obj
def drafts_list(app: App, limit: int) -> None:
    """最近保存的草稿（编号、时间、标题、挂到的稿件）(recent drafts)."""
    _, found = draft_cases.recent(app.uow(), draft_box.context(app, "cli"), limit)
    if not found:
        echo("drafts", "empty")
    for seen in found:
        echo("drafts", "row", draft=seen, at=local(seen.saved_at, app.settings.tz))


@item.command("attach")
@click.argument("item_id", type=ROW_ID)
@click.argument("media_id")
@click.option("--as", "as_", required=True, type=MEMBER, help=helptext("as_member"))
@click.pass_obj
def item_attach(app: App, item_id: int, media_id: str, as_: str) -> None:
    """把草稿箱的草稿挂到稿件，正文立即写入新版本 (attach a draft to an item)."""
    from bot.worker import make_gateway

    actor_id = _staff_id(app, as_)
    ctx = draft_box.context(app, "attach")
    draft_cases.require_box(ctx)
    try:
        found = draft_box.read_one(make_gateway(app), media_id)
    except InvalidMediaId:
        found = None
    if found is None:
        raise CliError("draft_empty", media_id=media_id)
    draft_cases.sync(app.uow(), [found], ctx, complete=False)  # seen now, as it is now
    attached = draft_cases.attach(app.uow(), actor_id, item_id, media_id, ctx)
    echo("drafts", "attached_taken" if attached.revision else "attached_same",
         item=attached.item, draft=attached.draft)


def register(cli: click.Group) -> None:
    """``drafts`` joins the CLI and ``attach`` joins ``wxops item``; safe to call again."""
    if "drafts" not in cli.commands:
        cli.add_command(drafts)
    if "attach" not in item.commands:
        item.add_command(item_attach)
