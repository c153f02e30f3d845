"""``wxops assets``: the team's images and files (workflow/asset_cases.py). An
article names an image as ``![说明](asset:NAME)``."""

from __future__ import annotations

import hashlib
from pathlib import Path

import click

from bot.cli_text import echo, helptext
from bot.timefmt import local, utcnow
from bot.wiring import App
from workflow import asset_cases
from workflow.asset_cases import Asset
from workflow.errors import AssetInvalid

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group()
def assets() -> None:
    """素材：团队的图片和文件 (the team's images and files)."""


@assets.command("add")
@click.argument("file", type=_FILE)
@click.option("--name", required=True, help=helptext("asset_name"))
@click.option("--credit", default="", help=helptext("asset_credit"))
@click.option("--consent", default="", help=helptext("asset_consent"))
@click.pass_obj
def assets_add(app: App, file: Path, name: str, credit: str, consent: str) -> None:
    """保存一个素材 (keep a file under a name: asset:NAME in an article)."""
    if file.stat().st_size > asset_cases.MAX_BYTES:  # refused before it is read
        raise AssetInvalid(name, "too_large", asset_cases.MAX_BYTES)
    data = file.read_bytes()
    added = asset_cases.add(app.uow(), name, file.name, data, credit, consent,
                            hashlib.sha256(data).hexdigest(), utcnow())
    echo("assets", "added", asset=added)


@assets.command("list")
@click.pass_obj
def assets_list(app: App) -> None:
    """列出素材 (list the materials)."""
    found = asset_cases.listed(app.uow())
    if not found:
        echo("assets", "empty")
    for asset in found:
        echo("assets", "row", asset=asset, added=_added(app, asset))


@assets.command("show")
@click.argument("name")
@click.pass_obj
def assets_show(app: App, name: str) -> None:
    """查看一个素材 (one material: its file, credit and consent note)."""
    asset = asset_cases.shown(app.uow(), name)
    echo("assets", "shown", asset=asset, added=_added(app, asset))


@assets.command("remove")
@click.argument("name")
@click.pass_obj
def assets_remove(app: App, name: str) -> None:
    """删除一个素材 (remove a material; articles already imported keep their copy)."""
    asset_cases.remove(app.uow(), name)
    echo("assets", "removed", name=name)


def _added(app: App, asset: Asset) -> str:
    return local(asset.added_at, app.settings.tz)


def register(cli: click.Group) -> None:
    """Add ``assets`` to the CLI; safe to call more than once."""
    if "assets" not in cli.commands:
        cli.add_command(assets)
