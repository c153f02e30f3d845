"""``wxops review old``: the old-content review (旧文 in chat) at the server's shell,
every article on the platform listed, oldest first, the candidates marked."""

from __future__ import annotations

import click

from bot.cli import warn_about_environment
from bot.cli_text import echo, helptext
from bot.startup import require_current_schema
from bot.timefmt import utcnow
from bot.wiring import App
from handlers.commands.old_content import local_day
from workflow import old_content


@click.group("review")
def review_group() -> None:
    """复查已发布的内容 (review what is published)."""


@review_group.command("old")
@click.option("--candidates", is_flag=True, help=helptext("review_candidates"))
@click.pass_obj
def review_old(app: App, candidates: bool) -> None:
    """旧文复查：按发布时间列出已发布的文章，标出需要决定的 (old-content review)."""
    warn_about_environment()
    require_current_schema(app.engine)
    tz = app.settings.tz
    with app.uow() as uow:
        listing = old_content.review(uow.old_content, utcnow().astimezone(tz).date(), tz)
    shown = listing.candidates if candidates else listing.items
    echo("review", "old", listing=listing, shown=shown, candidates=candidates,
         local=local_day(tz))


def register(cli: click.Group) -> None:
    if "review" not in cli.commands:
        cli.add_command(review_group)
