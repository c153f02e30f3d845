"""``wxops item import``: a Markdown or Word article into an item (bot/importing.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli_items import _staff_id, item
from bot.cli_text import CliError, CliUsageError, echo, helptext
from bot.cli_types import ROW_ID
from bot.timefmt import utcnow
from bot.wiring import App
from layout.errors import LayoutError
from workflow import import_cases
from workflow.capabilities import Capability
from workflow.model import Context

if TYPE_CHECKING:
    from bot.importing import Upload

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@item.command("import")
@click.argument("target")
@click.argument("file", required=False, type=_FILE)
@click.option("--as", "as_", required=True, help=helptext("as_member"))
@click.option("--new", "new", is_flag=True, help=helptext("import_new"))
@click.pass_obj
def item_import(app: App, target: str, file: Path | None, as_: str, new: bool) -> None:
    """从 Markdown 或 Word 文件写入新版本 (import ITEM_ID FILE, or --new FILE)."""
    # Here, not at the top: layout's libraries would slow every other command's start.
    from bot.importing import Cover, Images, article_of, render_file, take_cover

    item_id, path = _target(target, file, new)
    actor_id = _staff_id(app, as_)
    upload = _upload(app)
    images, cover = Images(app.uow, upload, path.parent), Cover(app.uow, upload)
    try:
        rendered = render_file(path, images)
    except LayoutError as unreadable:
        raise CliError("article_unreadable", file=path.name, reason=unreadable.code,
                       about=unreadable.data) from None
    except UnicodeDecodeError:
        raise CliError("article_unreadable", file=path.name, reason="encoding",
                       about={}) from None
    take_cover(rendered, images, cover)
    article = article_of(rendered, cover)
    # The account's capabilities: a cover it cannot upload is not missing (checks).
    ctx = Context(now=utcnow(), command="cli", comment=path.name,
                  capabilities=app.capabilities())
    decision = (import_cases.plan(app.uow(), actor_id, article, ctx) if item_id is None
                else import_cases.write(app.uow(), actor_id, item_id, article, ctx))
    echo("items", "imported", item=decision.item, images=images, cover=cover,
         drafts=ctx.capabilities.allows(Capability.MATERIALS))


def _target(target: str, file: Path | None, new: bool) -> tuple[int | None, Path]:
    if new and file is None:
        return None, _FILE.convert(target, None, None)
    if new or file is None:
        raise CliUsageError("import_usage")
    return ROW_ID.convert(target, None, None), file


def _upload(app: App) -> Upload:
    from bot.importing import GatewayUpload
    from bot.worker import make_gateway  # the gateway the worker uses, asking capabilities

    return GatewayUpload(make_gateway(app))


def register(cli: click.Group) -> None:
    """``item import`` joins ``wxops item``; safe to call more than once."""
    if "import" not in item.commands:
        item.add_command(item_import)
