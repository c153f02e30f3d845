"""``wxops archive export|verify|import``: the archive of what was published, as a
BagIt bag to keep and browse offline (bot/archive_export.py, bot/bag.py)."""

from __future__ import annotations

import contextlib
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import click

from bot import bag
from bot.cli_text import CliError, echo, helptext
from bot.timefmt import utcnow
from bot.wiring import App

IMAGE_TIMEOUT = 20


@click.group("archive")
def archive_group() -> None:
    """内容归档：导出、校验、导入 (the archive)."""


IMAGE_HOST = "mmbiz.qpic.cn"
REAL_API = "https://api.weixin.qq.com"


def image_address(src: str, api_base: str) -> str:
    """Where an image is downloaded from: its own address, except that against the
    emulator (any API base but the real one) the platform's image host is the
    emulator, which serves the images it handed out (bot/emulator/server.py)."""
    parts = urlsplit(src)
    if api_base.rstrip("/") == REAL_API or parts.hostname != IMAGE_HOST:
        return src
    return api_base.rstrip("/") + urlunsplit(("", "", parts.path, parts.query, ""))


def _downloader(api_base: str) -> Callable[[str], Iterator[bytes]]:
    return lambda src: _download(image_address(src, api_base))


def _download(src: str) -> Iterator[bytes]:
    import requests

    try:
        response = requests.get(src, stream=True, timeout=IMAGE_TIMEOUT)
        response.raise_for_status()
    except requests.RequestException as exc:
        raise OSError(str(exc)) from None
    with response:
        try:
            yield from response.iter_content(bag.CHUNK)
        except requests.RequestException as exc:
            raise OSError(str(exc)) from None


def _platform_reader(app: App) -> Callable[[str], str | None]:
    """freepublish/getarticle through the worker's gateway; None on any refusal."""
    from bot.wechat_errors import WeChatError
    from bot.worker import make_gateway

    gateway = make_gateway(app)

    def read(article_id: str) -> str | None:
        try:
            items = gateway.published_article(article_id).get("news_item") or [{}]
        except WeChatError:
            return None
        return str(items[0].get("content", "")) or None
    return read


@contextlib.contextmanager
def _progress(length: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr when it is a terminal; nothing at all otherwise
    (click's hidden bar would still print its label into a log)."""
    if not sys.stderr.isatty():
        yield lambda _n: None
        return
    with click.progressbar(length=length, label=helptext("archive_progress"),
                           file=sys.stderr) as bar:
        yield bar.update


@archive_group.command("export")
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help=helptext("archive_out"))
@click.option("--offline", is_flag=True, help=helptext("archive_offline"))
@click.pass_obj
def export(app: App, out: Path, offline: bool) -> None:
    """导出归档（BagIt 文件夹或 .zip）；再导出到同一文件夹只写变了的 (export)."""
    from bot.archive_export import Exporter, export_zip

    read = None if offline or not app.settings.app_id else _platform_reader(app)
    exporter = Exporter(app.engine, _downloader(app.settings.wechat_api_base), read)
    ids, now = exporter.ids(), utcnow()
    try:
        with _progress(len(ids)) as exporter.progress:
            if out.suffix.lower() == ".zip":
                summary = export_zip(exporter, out, ids, now)
            else:
                summary = exporter.run(out, ids, now)
    except OSError as exc:
        raise CliError("archive_unwritable", path=str(out),
                       reason=exc.strerror or str(exc)) from None
    echo("archive", "exported", summary=summary)


@archive_group.command("verify")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
def verify_command(path: Path) -> None:
    """校验归档的校验和 (check a bag)."""
    with _not_a_zip(path):
        problem = bag.verify(path)
    if problem is not None:
        raise CliError("archive_tampered", path=problem.path, why=problem.why)
    echo("archive", "verified", path=str(path))


@archive_group.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.pass_obj
def import_command(app: App, path: Path) -> None:
    """把归档导入空数据库 (restore into an empty database)."""
    from bot.archive_export import NoBag, unpacked
    from bot.archive_import import NotEmpty, Tampered, restore

    with tempfile.TemporaryDirectory(prefix="wxops-archive-") as work:
        try:
            with _not_a_zip(path):
                root = unpacked(path, Path(work))
        except NoBag:  # as a folder without one is said: its bagit.txt is missing
            raise CliError("archive_tampered", path="bagit.txt", why="missing") from None
        try:
            count = restore(app.engine, root, utcnow())
        except Tampered as bad:
            raise CliError("archive_tampered", path=bad.problem.path,
                           why=bad.problem.why) from None
        except NotEmpty:
            raise CliError("archive_import_not_empty") from None
    echo("archive", "imported", count=count, path=str(path))


@contextlib.contextmanager
def _not_a_zip(path: Path) -> Iterator[None]:
    """A file given as a bag that zipfile cannot read (not a zip, or a damaged one)
    as one line, not a traceback."""
    try:
        yield
    except zipfile.BadZipFile:
        raise CliError("archive_not_a_bag", path=str(path)) from None


def register(cli: click.Group) -> None:
    if "archive" not in cli.commands:
        cli.add_command(archive_group)
