"""``wxops emulator``: the local WeChat platform for the demo and manual testing."""

from __future__ import annotations

from pathlib import Path

import click

from bot.emulator import DEMO_APP_ID, DEMO_APP_SECRET
from bot.emulator.state import EmulatorConfig
from bot.ports import ensure_free
from bot.wiring import App


def emulator_config(app: App, push_to: str | None, push_delay: float) -> EmulatorConfig:
    """The account from the wxops settings; demo credentials when none are set."""
    if push_to and not push_to.startswith(("http://", "https://")):
        raise click.BadParameter("必须是 http:// 或 https:// 开头的 URL", param_hint="--push-to")
    settings = app.settings
    has_account = bool(settings.app_id and settings.app_secret)
    return EmulatorConfig(
        app_id=settings.app_id if has_account else DEMO_APP_ID,
        app_secret=settings.app_secret if has_account else DEMO_APP_SECRET,
        token=settings.token,
        encoding_aes_key=settings.encoding_aes_key,
        push_to=push_to or None,
        push_delay=push_delay,
    )


@click.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=9090, show_default=True, type=click.IntRange(1, 65535))
@click.option("--push-to", default=None, metavar="URL",
              help="wxops 的微信推送地址，例如 http://127.0.0.1:8080/wechat")
@click.option("--push-delay", default=0.5, show_default=True, type=click.FloatRange(0, 3600),
              help="发布、群发、模板消息结果推送前等待的秒数")
@click.option("--state", "state_file", default=None, metavar="FILE",
              type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="在此文件中保存平台状态（关注者、客服窗口、草稿、令牌），重启后接着用")
@click.pass_obj
def emulator(app: App, host: str, port: int, push_to: str | None, push_delay: float,
             state_file: Path | None) -> None:
    """本地微信平台模拟器 (a local emulator of the WeChat platform)."""
    from bot.emulator.server import create_app, serve  # loaded only to serve

    if state_file is not None:
        _state_folder(state_file)
    ensure_free(host, port)
    config = emulator_config(app, push_to, push_delay)
    emulator_app = create_app(config, state_file)
    click.echo(f"微信模拟器 http://{host}:{port}  AppID {config.app_id}  "
               f"推送到 {config.push_to or '（未设置）'}  控制接口 /_emulator/")
    if emulator_app.emulator.restored:
        click.echo(f"已从 {state_file} 恢复上次的平台状态")
    serve(emulator_app, host, port)


def _state_folder(state_file: Path) -> None:
    try:
        state_file.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.BadParameter(f"无法创建目录 {state_file.parent}：{exc.strerror}",
                                 param_hint="--state") from None


def register(cli: click.Group) -> None:
    if emulator.name not in cli.commands:
        cli.add_command(emulator)
