"""The ``wxops`` command line. Errors print one line and exit non-zero."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from importlib import import_module
from typing import TYPE_CHECKING, Any, Protocol

import click

from bot import logs
from bot.cli_text import CliBadParameter, CliError, CliUsageError, echo, helptext, say
from bot.cli_usage import classify, in_words
from bot.config import ConfigError, Settings, load_settings, unknown_variables
from bot.wechat_errors import WeChatError
from handlers import refusals
from handlers.commands.grammar import CommandError
from workflow.errors import WorkflowError

if TYPE_CHECKING:
    from bot.demo import DemoRun
    from bot.wiring import App

# Storage (SQLAlchemy's ORM, the models, the wiring) is imported by the commands
# that use a database, not here: `wxops emulator` plays WeChat and needs only the
# settings, and every process pays for what this module imports.


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def cli(ctx: click.Context) -> None:
    """wxops: 公众号内容运营助手 (operations assistant for a WeChat Official Account)."""
    # Settings load on first use, so --help works with a broken config.
    ctx.obj = _obj(ctx.invoked_subcommand)
    if ctx.invoked_subcommand not in PROCESSES and _json_logs():
        logs.configure("json", logging.WARNING)  # as Python's last resort, one object a line


def _json_logs() -> bool:
    """WXOPS_LOG_FORMAT=json for a command (the processes set their logging up
    themselves); settings that cannot be read leave it to the command to say why."""
    try:
        return load_settings().log_format == "json"
    except ConfigError:
        return False


#: Commands that are (or start) wxops' own processes: they take the settings as
#: given (`wxops run` gives its children the demo's itself).
PROCESSES = frozenset({"run", "serve", "worker", "emulator"})
#: Commands that use no database: the settings alone.
SETTINGS_ONLY = frozenset({"emulator"})


class HasSettings(Protocol):
    """What a command that uses no database reads of the object it is given."""

    @property
    def settings(self) -> Settings: ...


class Configured:
    """What a command that uses no database gets: the settings, read on first use."""

    @cached_property
    def settings(self) -> Settings:
        return load_settings()


def _obj(command: str | None) -> Configured | App:
    """The object a command is given: the settings alone, or the process's App
    (as given to wxops' own processes, else beside a running demo)."""
    if command in SETTINGS_ONLY:
        return Configured()
    from bot.wiring import App

    if command in PROCESSES:
        app = App()
        app.creates_database = command == "run"  # serve and worker need `db upgrade` first
        return app
    from bot.cli_app import BesideTheDemo

    return BesideTheDemo()


def demo_overrides(given: Settings, run: DemoRun) -> dict[str, str]:
    """The settings `wxops run` gives the processes of its demo on ``run``'s ports,
    over the ``given`` ones (which hold no credentials)."""
    from bot import demo  # its imports are the database's: only for the demo

    return {**demo.environment(run.emulator_url),
            **demo.public_url(run.host, run.port, given.public_url),
            **demo.example_surveys(given.surveys_dir)}


@cli.group()
def db() -> None:
    """数据库迁移 (database migrations)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help=helptext("revision"))
@click.pass_obj
def db_upgrade(app: App, revision: str) -> None:
    """把数据库升级到最新结构 (apply migrations)."""
    from storage import migrate

    app.creates_database = True
    before = migrate.current_revision(app.engine)
    with revision_errors(revision):
        migrate.upgrade(app.engine, revision)
    _moved(before, migrate.current_revision(app.engine))


@db.command("downgrade")
@click.argument("revision")
@click.option("--force", is_flag=True, help=helptext("downgrade_force"))
@click.pass_obj
def db_downgrade(app: App, revision: str, force: bool) -> None:
    """回退到指定版本，例如 base (revert migrations)."""
    from storage import migrate
    from storage.backup_copies import holds_data

    before = migrate.current_revision(app.engine)
    # A downgrade drops what the later migrations made, with the rows in it:
    # base drops every table. Said first, never done silently to a live database.
    if not force and before is not None and holds_data(app.engine):
        raise CliError("downgrade_holds_data", revision=revision)
    with revision_errors(revision):
        migrate.downgrade(app.engine, revision)
    _moved(before, migrate.current_revision(app.engine))


def _moved(before: str | None, after: str | None) -> None:
    """What a migration command did: ``base`` is the empty database."""
    echo("db", "moved", before=before or "base", after=after or "base")


@contextmanager
def revision_errors(revision: str) -> Iterator[None]:
    """Alembic's refusals (an unknown revision, one on the wrong side) as one line."""
    from alembic.util import CommandError  # with the migration, not at start-up

    try:
        yield
    except CommandError as exc:
        raise CliError("revision_refused", revision=revision, detail=_first_line(exc)) from None


@db.command("current")
@click.pass_obj
def db_current(app: App) -> None:
    """显示当前版本与最新版本 (show the schema revision)."""
    from storage import migrate

    current, head = migrate.current_revision(app.engine), migrate.head_revision(app.engine)
    echo("db", "current", current=current, head=head)


@cli.group("config")
def config_group() -> None:
    """配置 (settings)."""


@config_group.command("check")
@click.pass_obj
def config_check(app: App) -> None:
    """检查并打印生效的配置，密钥已遮蔽 (print effective settings, secrets masked)."""
    warn_about_environment()
    # As given, not app.settings: beside a running demo those are the demo's
    # already, which would read as a real account's, with nothing marked.
    settings, by_demo = as_run(load_settings())
    for name, value in settings.masked().items():
        echo("config", "setting", name=name, value=value, by_demo=name in by_demo)
    echo("config", "valid", demo=bool(by_demo))


def as_run(settings: Settings) -> tuple[Settings, frozenset[str]]:
    """The settings as `wxops run` gives them to the server and worker, and the
    names the demo sets (none for a real account)."""
    if not settings.demo:
        return settings, frozenset()
    from bot import demo  # its imports are the database's: only for the demo
    from bot.startup import DEFAULT_EMULATOR_PORT, DEFAULT_HOST, DEFAULT_PORT

    run = demo.running(settings.database_url) or demo.DemoRun(
        DEFAULT_HOST, DEFAULT_PORT, DEFAULT_EMULATOR_PORT)
    overrides = demo_overrides(settings, run)
    return load_settings({**os.environ, **overrides}), frozenset(overrides)


def warn_about_environment() -> None:
    """One line on stderr for each ``WXOPS_*`` variable that is not a setting."""
    for line in unknown_variables():
        echo("config", "warning", line=line, err=True)


#: The modules (of ``bot``) that add each command defined outside this file, or a
#: subcommand to one (``item``, ``db``). A command line loads only its command's:
#: a wxops process spends most of its start-up importing, and most commands need a
#: few modules of the twenty-four (tests/unit/test_cli_modules.py checks this table
#: against what each module registers).
COMMAND_MODULES: Mapping[str, tuple[str, ...]] = {
    "serve": ("cli_run",), "run": ("cli_run",),
    "rules": ("cli_rules",),
    "queue": ("cli_queue",), "texts": ("cli_queue",),
    "worker": ("cli_worker",), "outbox": ("cli_worker",),
    "inbound": ("cli_inbound",),
    "emulator": ("cli_emulator",),
    "capabilities": ("cli_capabilities",),
    "doctor": ("cli_doctor",),
    "links": ("cli_links",),
    "words": ("cli_words",),
    "staff": ("cli_staff",),
    "item": ("cli_items", "cli_import", "cli_drafts", "cli_links"),
    "drafts": ("cli_drafts",),
    "assets": ("cli_assets",),
    "analytics": ("cli_analytics",), "stats": ("cli_analytics",),
    "comments": ("cli_comments",),
    "report": ("cli_reports",),
    "review": ("cli_review",),
    "survey": ("cli_surveys",),
    "evaluation": ("cli_evaluation",),
    "archive": ("cli_archive",),
    "backup": ("cli_backup",), "restore": ("cli_backup",), "db": ("cli_backup",),
    "chat": ("chat",),
}
#: Every module above (``wxops --help`` lists their commands by name).
ALL_MODULES = ("cli_staff", "cli_items", "cli_run", "cli_rules", "cli_queue", "cli_worker",
               "cli_inbound", "cli_emulator", "cli_capabilities", "cli_doctor", "cli_links",
               "cli_words", "cli_import", "cli_drafts", "cli_assets", "cli_analytics",
               "cli_comments", "cli_reports", "cli_review", "cli_surveys", "cli_evaluation",
               "cli_archive", "cli_backup", "chat")


def _commands(argv: Sequence[str] | None = None) -> None:
    """Register the commands a command line needs: its command's modules, or every
    module when it does not start with a command this file or the table knows
    (``--help``, nothing, or a misspelling click will suggest the right name for)."""
    first = argv[0] if argv else ""
    if first in COMMAND_MODULES:
        wanted = COMMAND_MODULES[first]
    elif first in cli.commands:
        wanted = ()  # defined here, and gains nothing from elsewhere
    else:
        wanted = ALL_MODULES
    for name in wanted:
        import_module(f"bot.{name}").register(cli)


@dataclass(frozen=True)
class Failure:
    """How a command failed: its ``code`` and ``data`` (what tests read), the exit
    ``status``, and the one ``line`` people read."""

    code: str
    data: Mapping[str, Any] = field(default_factory=dict)
    status: int = 1
    line: str = ""


def run(argv: list[str] | None = None) -> Failure | None:
    """Run the CLI: None when the command did its work, else how it failed (a
    known error; anything else propagates)."""
    _commands(sys.argv[1:] if argv is None else argv)
    try:
        status = cli.main(args=argv, prog_name="wxops", standalone_mode=False)
    except Exception as exc:  # only the known ones are turned into a Failure
        if (failed := failure(exc)) is None:
            raise
        return failed
    if isinstance(status, int) and status:  # click.exceptions.Exit: said what went wrong
        return Failure("exit", {}, status, "")
    return None


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning known errors into one line and exit status."""
    if (failed := run(argv)) is not None:
        _fail(failed)


def failure(exc: Exception) -> Failure | None:
    """A known error as a Failure, worded once here; None for any other."""
    if isinstance(exc, click.exceptions.Abort):
        return Failure("aborted", {}, 130, say("errors", "aborted"))
    if isinstance(exc, click.UsageError):
        return _usage_failure(exc)
    if isinstance(exc, CliError):
        return Failure(exc.code, exc.data, exc.exit_code, exc.format_message())
    if isinstance(exc, click.ClickException):
        return Failure("click", {"text": exc.format_message()}, exc.exit_code, exc.format_message())
    return _domain_failure(exc)


def _usage_failure(exc: click.UsageError) -> Failure:
    if isinstance(exc, CliBadParameter):
        code, data, line = exc.code, {"option": exc.option(), **exc.data}, exc.format_message()
    elif isinstance(exc, CliUsageError):
        code, data, line = exc.code, exc.data, exc.format_message()
    else:
        code, data = classify(exc.format_message())
        line = in_words(code, data)
    if exc.ctx:
        line += say("usage", "see_help", command=exc.ctx.command_path)
    return Failure(code, data, exc.exit_code, line)


def _domain_failure(exc: Exception) -> Failure | None:
    if isinstance(exc, ConfigError):
        data = {"setting": exc.setting, **exc.data}
        return Failure(exc.problem, data, 2, say("errors", "config", detail=str(exc)))
    from bot.startup import SchemaNotCurrent  # the database's: imported by its commands

    if isinstance(exc, SchemaNotCurrent):
        state = exc.state
        return Failure(state.code, state.data, 1, state.refusal())
    if isinstance(exc, WorkflowError | CommandError):  # a refusal, worded for people
        data = dict(exc.data) if isinstance(exc, CommandError) else refusals.data(exc)
        return Failure(exc.code, data, 1, refusals.say(exc))
    if isinstance(exc, WeChatError):  # the platform refused, or could not be reached
        data = {"errcode": exc.errcode, "errmsg": exc.errmsg}
        return Failure(exc.code, data, 1, say("errors", "wechat", reason=exc.reason,
                                               detail=exc.errmsg))
    from sqlalchemy.exc import DataError, OperationalError, ProgrammingError

    if isinstance(exc, OperationalError | ProgrammingError | DataError):  # DataError: a bad value
        code, detail = _database_error(exc)
        return Failure(code, {"detail": detail}, 1, say("errors", code, detail=detail))
    return None


def _fail(failed: Failure) -> None:
    if failed.line:
        click.echo(one_line(failed), err=True)
    sys.exit(failed.status)


def one_line(failed: Failure) -> str:
    """What the CLI prints for a failure: one line whatever the refusal (a chat
    template may put its example on a second)."""
    line = " ".join(part.strip() for part in failed.line.splitlines() if part.strip())
    return f"wxops: {line}"


def _database_error(exc: Exception) -> tuple[str, str]:
    """Which database error it is (a code of cli/errors.j2), and the driver's first line."""
    from storage.db import missing_file  # a database's error: storage is loaded already

    path = missing_file(exc)
    if path is not None:  # SQLite: no file at the URL's path
        return "database_file_missing", path
    detail = _first_line(exc)
    if "connection" in detail and 'database "' in detail and "does not exist" in detail:
        return "database_missing", detail  # PostgreSQL: no such database on the server
    if "no such table" in detail or "does not exist" in detail:
        return "database_not_initialised", detail
    if "connect" in detail.lower() or "unable to open" in detail:
        return "database_unreachable", detail
    return "database", detail


def _first_line(exc: Exception) -> str:
    return str(getattr(exc, "orig", exc)).strip().splitlines()[0]
