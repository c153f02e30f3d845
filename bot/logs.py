"""How every wxops process writes its log (``WXOPS_LOG_FORMAT``): lines for
people (``text``, the default), or one JSON object a line for a log collector
(``json``): ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, the
context a line was logged with (``inbound_id``, ``outbox_id``, ``item_id``, ...,
given as ``extra``), and ``exc_info`` with the traceback when there is one.

JSON is python-json-logger's formatter: it keeps every ``extra`` field as a key
of its own, encodes what the standard library's json cannot (datetimes,
exceptions), and is what log collectors' own guides name.
"""

from __future__ import annotations

import logging
from typing import Any

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
#: The record's attributes a JSON line names otherwise.
RENAMED = {"levelname": "level", "name": "logger", "timestamp": "time"}


def formatter(log_format: str) -> logging.Formatter:
    if log_format != "json":
        return logging.Formatter(TEXT_FORMAT)
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter("{levelname}{name}{message}", style="{", timestamp=True,
                         rename_fields=RENAMED, json_ensure_ascii=False)


def configure(log_format: str, level: int = logging.INFO) -> None:
    """The root logger writes to stderr in ``log_format``; as ``logging.basicConfig``,
    nothing changes where a handler is already set (a test's, an embedding's)."""
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(log_format))
    logging.basicConfig(level=level, handlers=[handler])


def gunicorn_logging(log_format: str) -> dict[str, Any]:
    """gunicorn's ``logconfig_dict``: its error and access logs in the same format."""
    factory: dict[str, Any] = ({"()": formatter, "log_format": log_format})
    handler = {"class": "logging.StreamHandler", "formatter": "wxops",
               "stream": "ext://sys.stderr"}
    return {"version": 1, "disable_existing_loggers": False,
            "formatters": {"wxops": factory},
            "handlers": {"wxops": handler},
            "loggers": {"gunicorn.error": {"handlers": ["wxops"], "level": "INFO",
                                           "propagate": False},
                        "gunicorn.access": {"handlers": ["wxops"], "level": "INFO",
                                            "propagate": False}},
            "root": {"handlers": ["wxops"], "level": "INFO"}}
