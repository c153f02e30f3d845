"""Production entry point: ``gunicorn bot.wsgi:app`` (settings from the environment).

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

from bot.config import ConfigError, unknown_variables
from bot.startup import SchemaNotCurrent, require_current_schema
from bot.web import WsgiApp, create_app
from bot.wiring import App
from handlers import texts

APP_LOAD_ERROR = 4  # gunicorn.arbiter.Arbiter.APP_LOAD_ERROR: halts the arbiter

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
log = logging.getLogger("wxops.wsgi")


def load() -> WsgiApp:
    for line in unknown_variables():
        log.warning("%s", line)
    wxops = App()
    try:
        wxops.settings  # noqa: B018 - loads and validates them here, to report in one line
        require_current_schema(wxops.engine)
    except ConfigError as exc:
        _stop(texts.phrase("cli/errors", "config", detail=str(exc)))
    except SchemaNotCurrent as exc:
        _stop(exc.state.refusal())
    except SQLAlchemyError as exc:
        log.warning("cannot check the database schema (unreachable?): %s",
                    str(exc).strip().splitlines()[0])
    return create_app(wxops)


def _stop(message: str) -> NoReturn:
    log.critical("%s", message)
    raise SystemExit(APP_LOAD_ERROR)


app = load()
