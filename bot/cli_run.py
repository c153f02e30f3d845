"""``wxops serve`` and ``wxops run`` (what `make run` calls)."""

from __future__ import annotations

import os
import sys
from typing import Any

import click
from gunicorn.app.base import BaseApplication

from bot import demo, logs, metrics_dir
from bot.cli import revision_errors, warn_about_environment
from bot.cli_text import echo, helptext
from bot.config import Settings, load_settings
from bot.ports import ensure_free
from bot.startup import (
    DEFAULT_EMULATOR_PORT,
    DEFAULT_HOST,
    DEFAULT_PORT,
    child_environment,
    require_current_schema,
)
from bot.supervisor import Child, supervise, wxops_command
from bot.web import WsgiApp, create_app
from bot.wiring import App


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """Run the app under gunicorn in-process: the same server as production."""

    def __init__(self, wsgi: WsgiApp, options: dict[str, Any]) -> None:
        self._wsgi, self._options = wsgi, options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> WsgiApp:
        return self._wsgi


def _serve(app: App, host: str, port: int, workers: int) -> None:
    logs.configure(app.settings.log_format)
    metrics_dir.prepare()  # before the app's first instrument, and before the fork
    options = {"bind": f"{host}:{port}", "workers": workers, "accesslog": "-",
               "timeout": 30, "graceful_timeout": 5,
               "child_exit": metrics_dir.worker_exited, "on_exit": metrics_dir.remove}
    if app.settings.log_format == "json":
        options["logconfig_dict"] = logs.gunicorn_logging("json")
    _Gunicorn(create_app(app), options).run()


@click.command("serve")
@click.option("--host", default=DEFAULT_HOST, show_default=True)
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.pass_obj
def serve(app: App, host: str, port: int, workers: int) -> None:
    """启动服务端；数据库须已迁移到最新 (serve the WSGI app under gunicorn)."""
    warn_about_environment()
    ensure_free(host, port)
    require_current_schema(app.engine)
    _serve(app, host, port, workers)


@click.command("run")
@click.option("--host", default=DEFAULT_HOST, show_default=True)
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(1, 65535))
@click.option("--emulator-port", default=DEFAULT_EMULATOR_PORT, show_default=True,
              type=click.IntRange(1, 65535), help=helptext("emulator_port"))
@click.pass_obj
def run(app: App, host: str, port: int, emulator_port: int) -> None:
    """迁移数据库并启动：演示模式下连同模拟器与 worker 一起 (what `make run` does)."""
    warn_about_environment()
    ensure_free(host, port)
    if app.settings.demo:
        ensure_free(host, emulator_port, "--emulator-port")
    with revision_errors("head"):  # a database a newer wxops upgraded: one line
        app.upgrade_database()
    env = child_environment(os.environ)
    children = [Child("server", wxops_command("serve", "--host", host, "--port", str(port))),
                Child("worker", wxops_command("worker"))]
    if app.settings.demo:
        env |= demo.environment(f"http://{host}:{emulator_port}")
        env |= demo.public_url(host, port, app.settings.public_url)
        env |= demo.example_surveys(app.settings.surveys_dir)
        demo_app = App(settings=load_settings(env))
        if demo.seed(demo_app):
            echo("run", "demo_seeded")
        push_to = f"http://{host}:{port}{app.settings.wechat_path}"
        children.insert(0, Child("emulator", wxops_command(
            "emulator", "--host", host, "--port", str(emulator_port), "--push-to", push_to,
            *_account_kind_options(app.settings),
            "--state", str(demo.emulator_state_file(app.settings.database_url)))))
        click.echo(demo.how_to_chat(host, port, emulator_port))
        demo.record_run(app.settings.database_url, demo.DemoRun(host, port, emulator_port))
    else:
        echo("run", "account", url=f"http://{host}:{port}{app.settings.wechat_path}")
    try:
        status = supervise(children, env)
    finally:
        if app.settings.demo:
            demo.forget_run(app.settings.database_url)
    sys.exit(status)


def _account_kind_options(settings: Settings) -> tuple[str, ...]:
    """The emulator plays the kind of account the settings name."""
    return ("--account-kind", settings.account_kind,
            "--verified" if settings.account_verified else "--unverified")


def register(cli: click.Group) -> None:
    for command in (serve, run):
        if command.name not in cli.commands:
            cli.add_command(command)
