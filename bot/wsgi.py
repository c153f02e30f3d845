"""Production entry point: ``gunicorn -c python:bot.gunicorn_conf bot.wsgi:app``
(settings from the environment; the configuration sums the workers' metrics).

Gunicorn imports this module in each worker. A bad setting or a database whose
schema is not at the migration head is logged as one line and the worker exits
with gunicorn's "app failed to load" status, which stops gunicorn: every push
would fail otherwise. A database that cannot be reached is only logged, as
/healthz reports it: a worker restarted during a database restart must not take
the whole server down.
"""

from __future__ import annotations

import logging
from typing import NoReturn

from sqlalchemy.exc import SQLAlchemyError

from bot import logs
from bot.config import ConfigError, Settings, unknown_variables
from bot.metrics import metrics_enabled, multiprocess
from bot.startup import SchemaNotCurrent, require_current_schema
from bot.web import WsgiApp, create_app
from bot.wiring import App
from handlers import texts

APP_LOAD_ERROR = 4  # gunicorn.arbiter.Arbiter.APP_LOAD_ERROR: halts the arbiter

log = logging.getLogger("wxops.wsgi")


def load() -> WsgiApp:
    wxops = App()
    try:
        settings = wxops.settings  # loaded and checked here, to report in one line
    except ConfigError as exc:
        logs.configure("text")
        _stop(texts.phrase("cli/errors", "config", detail=str(exc)))
    logs.configure(settings.log_format)
    _warn_about_environment(settings)
    try:
        require_current_schema(wxops.engine)
    except SchemaNotCurrent as exc:
        _stop(exc.state.refusal())
    except SQLAlchemyError as exc:
        log.warning("cannot check the database schema (unreachable?): %s",
                    str(exc).strip().splitlines()[0])
    return create_app(wxops)


def _warn_about_environment(settings: Settings) -> None:
    for line in unknown_variables():
        log.warning("%s", line)
    if metrics_enabled(settings) and not multiprocess():
        log.warning("PROMETHEUS_MULTIPROC_DIR is not set: /metrics counts only the pushes "
                    "of the gunicorn worker that answers the scrape. Start gunicorn with "
                    "-c python:bot.gunicorn_conf (docs/operations.md)")


def _stop(message: str) -> NoReturn:
    log.critical("%s", message)
    raise SystemExit(APP_LOAD_ERROR)


app = load()
