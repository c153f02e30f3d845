"""The ``wxops`` command line. Errors print one line and exit non-zero."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy.exc import DataError, OperationalError, ProgrammingError

from bot.cli_items import item
from bot.cli_staff import staff
from bot.cli_usage import in_chinese
from bot.config import ConfigError, Settings, load_settings, unknown_variables
from bot.startup import DEFAULT_EMULATOR_PORT, DEFAULT_HOST, SchemaNotCurrent
from bot.wiring import App
from handlers import refusals
from handlers.commands.grammar import CommandError
from storage import migrate
from workflow.errors import WorkflowError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def cli(ctx: click.Context) -> None:
    """wxops: 公众号内容运营助手 (operations assistant for a WeChat Official Account)."""
    ctx.obj = App()  # settings load on first use, so --help works with a broken config


@cli.group()
def db() -> None:
    """数据库迁移 (database migrations)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="目标版本")
@click.pass_obj
def db_upgrade(app: App, revision: str) -> None:
    """把数据库升级到最新结构 (apply migrations)."""
    before = migrate.current_revision(app.engine)
    with revision_errors(revision):
        migrate.upgrade(app.engine, revision)
    click.echo(_moved(before, migrate.current_revision(app.engine)))


@db.command("downgrade")
@click.argument("revision")
@click.pass_obj
def db_downgrade(app: App, revision: str) -> None:
    """回退到指定版本，例如 base (revert migrations)."""
    before = migrate.current_revision(app.engine)
    with revision_errors(revision):
        migrate.downgrade(app.engine, revision)
    click.echo(_moved(before, migrate.current_revision(app.engine)))


def _moved(before: str | None, after: str | None) -> str:
    """What a migration command did: ``base`` is the empty database."""
    if before == after:
        return f"数据库已是版本 {after or 'base'}，没有需要执行的迁移"
    return f"数据库已从版本 {before or 'base'} 迁移到 {after or 'base'}"


@contextmanager
def revision_errors(revision: str) -> Iterator[None]:
    """Alembic's refusals (an unknown revision, one on the wrong side) as one line."""
    from alembic.util import CommandError  # with the migration, not at start-up

    try:
        yield
    except CommandError as exc:
        raise click.ClickException(f"无法迁移到版本 {revision}：{_first_line(exc)}") from None


@db.command("current")
@click.pass_obj
def db_current(app: App) -> None:
    """显示当前版本与最新版本 (show the schema revision)."""
    current, head = migrate.current_revision(app.engine), migrate.head_revision(app.engine)
    click.echo(f"当前 {current or '(空库)'}，最新 {head}")


@cli.group("config")
def config_group() -> None:
    """配置 (settings)."""


@config_group.command("check")
@click.pass_obj
def config_check(app: App) -> None:
    """检查并打印生效的配置，密钥已遮蔽 (print effective settings, secrets masked)."""
    warn_about_environment()
    settings, by_demo = _as_run(app.settings)
    for name, value in settings.masked().items():
        click.echo(f"{name}={value}" + ("  # 演示：由 wxops run 设置" if name in by_demo else ""))
    if by_demo:
        click.echo("# 配置有效；运行方式：演示模式。标有“演示”的值是 `wxops run` "
                   "为服务器和 worker 设置的（本地模拟器的演示账号，安全模式）；"
                   "单独运行 wxops serve 或 wxops worker 时不设置")
    else:
        click.echo("# 配置有效；运行方式：正式公众号")


def _as_run(settings: Settings) -> tuple[Settings, frozenset[str]]:
    """The settings as `wxops run` gives them to the server and worker, and the
    names the demo sets (none for a real account)."""
    if not settings.demo:
        return settings, frozenset()
    from bot import demo  # its imports are the database's: only for the demo

    run = demo.running(settings.database_url)
    overrides = demo.environment(run.emulator_url if run else
                                 f"http://{DEFAULT_HOST}:{DEFAULT_EMULATOR_PORT}")
    return load_settings({**os.environ, **overrides}), frozenset(overrides)


def warn_about_environment() -> None:
    """One line on stderr for each ``WXOPS_*`` variable that is not a setting."""
    for line in unknown_variables():
        click.echo(f"wxops: 警告：{line}", err=True)


cli.add_command(staff)
cli.add_command(item)


def _commands() -> None:
    # Later commands register here, in one place, so `wxops --help` lists them all.
    from bot import chat, cli_emulator, cli_inbound, cli_queue, cli_rules, cli_run, cli_worker

    for module in (cli_run, cli_rules, cli_queue, cli_worker, cli_inbound, cli_emulator, chat):
        module.register(cli)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning known errors into one line and exit 1."""
    _commands()
    try:
        cli.main(args=argv, prog_name="wxops", standalone_mode=False)
    except click.exceptions.Abort:
        _fail("已取消", 130)
    except click.UsageError as exc:
        hint = f"（用 `{exc.ctx.command_path} --help` 查看用法）" if exc.ctx else ""
        _fail(f"{in_chinese(exc.format_message())}{hint}", exc.exit_code)
    except click.ClickException as exc:
        _fail(exc.format_message(), exc.exit_code)
    except ConfigError as exc:
        _fail(f"配置错误：{exc}", 2)
    except SchemaNotCurrent as exc:
        _fail(str(exc), 1)
    except WorkflowError as exc:  # a refusal, worded for people
        _fail(refusals.say(exc), 1)
    except CommandError as exc:
        _fail(exc.message, 1)
    except (OperationalError, ProgrammingError, DataError) as exc:  # DataError: a value it refused
        _fail(_database_error(exc), 1)


def _fail(message: str, status: int) -> None:
    # One line whatever the refusal: a chat template may put its example on a second.
    line = " ".join(part.strip() for part in message.splitlines() if part.strip())
    click.echo(f"wxops: {line}", err=True)
    sys.exit(status)


def _database_error(exc: Exception) -> str:
    detail = _first_line(exc)
    if "no such table" in detail or "does not exist" in detail:
        return f"数据库还没有初始化：{detail}（请先运行 `wxops db upgrade`）"
    if "connect" in detail.lower() or "unable to open" in detail:
        return f"无法连接数据库：{detail}"
    return f"数据库错误：{detail}"


def _first_line(exc: Exception) -> str:
    return str(getattr(exc, "orig", exc)).strip().splitlines()[0]

