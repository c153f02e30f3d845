"""``wxops emulator``: the local WeChat platform for the demo and manual testing."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli import Configured, HasSettings
from bot.cli_text import CliBadParameter, echo, helptext
from bot.emulator import DEMO_APP_ID, DEMO_APP_SECRET
from bot.emulator.state import EmulatorConfig
from bot.ports import ensure_free
from workflow.capabilities import AccountKind, AccountType


def emulator_config(app: HasSettings, push_to: str | None, push_delay: float,
                    account_kind: str | None = None,
                    verified: bool | None = None,
                    ip_whitelist: tuple[str, ...] = ()) -> EmulatorConfig:
    """The account from the wxops settings; demo credentials when none are set.
    The kind of account played is the settings' unless the options name another."""
    if push_to and not push_to.startswith(("http://", "https://")):
        raise CliBadParameter("not_http", param_hint="--push-to")
    settings = app.settings
    has_account = bool(settings.app_id and settings.app_secret)
    kind = AccountKind.parse(account_kind or settings.account_kind,
                             settings.account_verified if verified is None else verified)
    return EmulatorConfig(
        app_id=settings.app_id if has_account else DEMO_APP_ID,
        app_secret=settings.app_secret if has_account else DEMO_APP_SECRET,
        token=settings.token,
        encoding_aes_key=settings.encoding_aes_key,
        push_to=push_to or None,
        push_delay=push_delay,
        kind=kind,
        ip_whitelist=ip_whitelist,
    )


@click.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=9090, show_default=True, type=click.IntRange(1, 65535))
@click.option("--push-to", default=None, metavar="URL",
              help=helptext("push_to"))
@click.option("--push-delay", default=0.5, show_default=True, type=click.FloatRange(0, 3600),
              help=helptext("push_delay"))
@click.option("--account-kind", default=None,
              type=click.Choice([t.value for t in AccountType], case_sensitive=False),
              help=helptext("account_kind"))
@click.option("--verified/--unverified", "verified", default=None,
              help=helptext("account_verified"))
@click.option("--ip-whitelist", default="", metavar="IP[,IP...]", help=helptext("ip_whitelist"))
@click.option("--state", "state_file", default=None, metavar="FILE",
              type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help=helptext("emulator_state"))
@click.pass_obj
def emulator(app: Configured, host: str, port: int, push_to: str | None, push_delay: float,
             account_kind: str | None, verified: bool | None, ip_whitelist: str,
             state_file: Path | None) -> None:
    """本地微信平台模拟器 (a local emulator of the WeChat platform)."""
    from bot.emulator.server import create_app, serve  # loaded only to serve

    if state_file is not None:
        _state_folder(state_file)
    ensure_free(host, port)
    addresses = tuple(a.strip() for a in ip_whitelist.split(",") if a.strip())
    config = emulator_config(app, push_to, push_delay, account_kind, verified, addresses)
    emulator_app = create_app(config, state_file)
    echo("emulator", "serving", url=f"http://{host}:{port}", app_id=config.app_id,
         push_to=config.push_to, kind=config.kind.type.value, verified=config.kind.verified)
    if addresses:
        echo("emulator", "whitelist", addresses=addresses)
    if emulator_app.emulator.restored:
        echo("emulator", "restored", state_file=state_file)
    serve(emulator_app, host, port)


def _state_folder(state_file: Path) -> None:
    try:
        state_file.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliBadParameter("no_folder", param_hint="--state", folder=state_file.parent,
                              detail=exc.strerror) from None


def register(cli: click.Group) -> None:
    if emulator.name not in cli.commands:
        cli.add_command(emulator)
