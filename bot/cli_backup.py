"""``wxops backup --out DIR`` and ``wxops restore DIR`` (storage/backup.py), and
``wxops db copy --to URL`` (storage/db_copy.py): a database's data moved whole."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy import Engine, make_url

from bot.cli_text import CliError, echo, helptext
from bot.timefmt import utcnow
from bot.wiring import App
from storage import migrate
from storage.backup import Folders, restore, take
from storage.backup_copies import BackupError
from storage.db import make_engine
from storage.db_copy import CopyError, copy_database


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except BackupError as exc:
        raise CliError(exc.code, **exc.data) from None


def _folders(app: App) -> Folders:
    return Folders.of(app.settings.reports_dir, app.settings.surveys_dir)


@click.command("backup")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help=helptext("backup_out"))
@click.pass_obj
def backup_command(app: App, out: Path) -> None:
    """备份数据库与报告、问卷文件夹，附校验清单 (back up)."""
    with _refusals():
        manifest = take(app.settings.database_url, app.engine, _folders(app), out, utcnow())
    echo("backup", "taken", path=str(out), engine=manifest.engine,
         revision=manifest.revision or "base", files=len(manifest.files))


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help=helptext("restore_force"))
@click.pass_obj
def restore_command(app: App, source: Path, force: bool) -> None:
    """从备份恢复到空数据库；先核对清单与校验和 (restore)."""
    app.creates_database = True  # restoring into a new file is what a restore may do
    with _refusals():
        manifest = restore(app.settings.database_url, app.engine, _folders(app), source, force,
                           utcnow())
    head = migrate.head_revision(app.engine)
    echo("backup", "restored", path=str(source), engine=manifest.engine,
         revision=manifest.revision or "base", head=head,
         behind=manifest.revision != head)


@click.command("copy")
@click.option("--to", "to", required=True, metavar="URL", help=helptext("copy_to"))
@click.pass_obj
def copy_command(app: App, to: str) -> None:
    """把全部数据复制到另一个空数据库，例如从 SQLite 到 PostgreSQL (copy the data)."""
    from sqlalchemy.exc import ArgumentError

    try:
        target = make_engine(to)
    except (ArgumentError, ValueError) as exc:
        raise CliError("copy_bad_url", detail=str(exc).splitlines()[0]) from None
    except ImportError:  # postgresql:// (psycopg2), mysql://…: no driver for it here
        named = make_url(to)
        raise CliError("copy_no_driver", url=named.render_as_string(),
                       driver=named.get_driver_name()) from None
    try:
        _reachable(target)  # first: an unreachable source is then wxops' usual error
        copied = copy_database(app.engine, target, utcnow())
    except CopyError as exc:
        raise CliError(exc.code, **exc.data) from None
    finally:
        target.dispose()
    echo("db", "copied", target=target.url.render_as_string(), revision=copied.revision,
         tables=len(copied.rows), rows=copied.total)


def _reachable(target: Engine) -> None:
    """A server target answers, or the copy stops saying so (a SQLite target is not
    opened here: connecting would make its file before the copy's refusals)."""
    from sqlalchemy.exc import OperationalError

    if target.dialect.name == "sqlite":
        return
    try:
        target.connect().close()
    except OperationalError as exc:
        raise CliError("copy_unreachable", target=target.url.render_as_string(),
                       detail=str(exc.orig).strip().splitlines()[0]) from None


def register(cli: click.Group) -> None:
    for command in (backup_command, restore_command):
        if command.name not in cli.commands:
            cli.add_command(command)
    db = cli.commands["db"]
    assert isinstance(db, click.Group)
    if "copy" not in db.commands:
        db.add_command(copy_command)
