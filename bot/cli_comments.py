"""``wxops comments sync``: article comments into the reply queue now
(bot/comment_sync.py; the worker does the same when each article is due)."""

from __future__ import annotations

import click

from bot import comment_sync
from bot.cli_text import echo, helptext
from bot.timefmt import utcnow
from bot.wiring import App


@click.group()
def comments() -> None:
    """文章留言 (article comments)."""


@comments.command("sync")
@click.option("--all", "all_", is_flag=True, help=helptext("comments_all"))
@click.pass_obj
def comments_sync(app: App, all_: bool) -> None:
    """读取已发布文章的新留言，每条新留言成为一个工单 (read new comments now)."""
    from bot.worker import make_gateway  # the gateway the worker uses, asking capabilities

    report = comment_sync.sync(app, make_gateway(app), utcnow(), force=all_)
    for item_id, title in report.unmapped:
        echo("comments", "unmapped", err=True, item_id=item_id, title=title)
    echo("comments", "synced", report=report)


def register(cli: click.Group) -> None:
    """``comments`` joins the CLI; safe to call again."""
    if "comments" not in cli.commands:
        cli.add_command(comments)
