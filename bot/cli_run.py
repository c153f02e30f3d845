"""``wxops serve`` and ``wxops run`` (what `make run` calls)."""

from __future__ import annotations

import logging
from typing import Any

import click
from gunicorn.app.base import BaseApplication

from bot import demo
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
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    options = {"bind": f"{host}:{port}", "workers": workers, "accesslog": "-",
               "timeout": 30, "graceful_timeout": 5}
    _Gunicorn(create_app(app), options).run()


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.pass_obj
def serve(app: App, host: str, port: int, workers: int) -> None:
    """启动服务端 (serve the WSGI app under gunicorn)."""
    _serve(app, host, port, workers)


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.pass_obj
def run(app: App, host: str, port: int) -> None:
    """迁移数据库、准备演示数据并启动 (what `make run` does)."""
    app.upgrade_database()
    if app.settings.demo and demo.seed(app):
        click.echo("已创建演示成员：admin、reviewer、reviewer2、creator 和演示稿件")
    click.echo(f"服务地址 http://{host}:{port}/healthz ；Ctrl-C 停止")
    _serve(app, host, port, workers=1)


def register(cli: click.Group) -> None:
    for command in (serve, run):
        if command.name not in cli.commands:
            cli.add_command(command)
