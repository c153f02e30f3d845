"""``wxops links``: the web pages' links made (``预览 12``), and revoking them;
``wxops item preview 12`` makes one at the server's shell."""

from __future__ import annotations

from datetime import datetime

import click

from bot.cli import warn_about_environment
from bot.cli_items import item
from bot.cli_text import CliError, CliUsageError, echo, helptext
from bot.cli_types import ROW_ID
from bot.links import PageAddresses
from bot.startup import require_current_schema
from bot.timefmt import local, utcnow
from bot.wiring import App
from workflow import link_cases
from workflow.model import Context
from workflow.pages import PageLink
from workflow.roles import CONSOLE_ACTOR


@click.group("links")
def links_group() -> None:
    """网页链接：预览页的链接，可撤销 (links to the web pages: list, revoke)."""


@links_group.command("list")
@click.option("--item", "item_id", type=ROW_ID, default=None, help=helptext("links_item"))
@click.option("--all", "include_ended", is_flag=True, help=helptext("links_all"))
@click.pass_obj
def links_list(app: App, item_id: int | None, include_ended: bool) -> None:
    """列出链接，默认只列仍可打开的 (list links; live ones unless --all)."""
    warn_about_environment()
    require_current_schema(app.engine)
    now = utcnow()
    found = link_cases.listed(app.uow(), item_id, include_ended, now)
    if not found:
        echo("links", "empty", include_ended=include_ended)
    for link in found:
        _echo_link(app, link, now)


def _echo_link(app: App, link: PageLink, now: datetime) -> None:
    tz = app.settings.tz
    echo("links", "line", link=link, live=link.live(now),
         created=local(link.created_at, tz), expires=local(link.expires_at, tz),
         revoked=local(link.revoked_at, tz) if link.revoked_at else "")


@links_group.command("revoke")
@click.argument("link_id", type=ROW_ID, required=False)
@click.option("--item", "item_id", type=ROW_ID, default=None, help=helptext("links_revoke_item"))
@click.pass_obj
def links_revoke(app: App, link_id: int | None, item_id: int | None) -> None:
    """撤销一个链接，或用 --item 撤销一篇稿件的全部链接 (revoke a link, or an item's)."""
    if (link_id is None) == (item_id is None):
        raise CliUsageError("links_revoke_which")
    warn_about_environment()
    require_current_schema(app.engine)
    ctx = Context(now=utcnow(), command="cli")
    if link_id is not None:
        done = link_cases.revoke(app.uow(), CONSOLE_ACTOR, link_id, ctx)
        echo("links", "revoked", link_id=link_id, done=done)
    elif item_id is not None:
        count = link_cases.revoke_item(app.uow(), CONSOLE_ACTOR, item_id, ctx)
        echo("links", "revoked_item", item_id=item_id, count=count)


@click.command("preview")
@click.argument("item_id", type=ROW_ID)
@click.pass_obj
def item_preview(app: App, item_id: int) -> None:
    """打印稿件预览页的链接 (print a link to the item's preview page)."""
    settings = app.settings
    if not settings.public_url:
        raise CliError("public_url_missing")
    warn_about_environment()
    require_current_schema(app.engine)
    addresses = PageAddresses.from_settings(settings)
    asked = link_cases.preview(app.uow(), CONSOLE_ACTOR, item_id,
                               Context(now=utcnow(), command="cli"),
                               openid=None, lifetime=addresses.lifetime)
    assert asked.link is not None  # asked with a lifetime, a link is always made
    echo("links", "made", url=addresses.url(asked.link),
         expires=local(asked.link.expires_at, settings.tz))


def register(cli: click.Group) -> None:
    if links_group.name not in cli.commands:
        cli.add_command(links_group)
    if item_preview.name not in item.commands:
        item.add_command(item_preview)
