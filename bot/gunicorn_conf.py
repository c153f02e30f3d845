"""gunicorn's configuration for wxops' web server:
``gunicorn -c python:bot.gunicorn_conf bot.wsgi:app``.

Loaded once, in gunicorn's first process, before any worker starts: it sets up
the directory through which the workers' metrics are summed (``bot.metrics_dir``)
and the hooks that keep it. A deployment's own configuration file may import
this module's names (``from bot.gunicorn_conf import *``) and add its own
settings (bind, workers, timeouts).
"""

from __future__ import annotations

from typing import Any

from bot import logs, metrics_dir
from bot.config import ConfigError, load_settings

metrics_dir.prepare()

child_exit = metrics_dir.worker_exited
on_exit = metrics_dir.remove


def _logging() -> dict[str, Any]:
    """gunicorn's own lines as JSON too under WXOPS_LOG_FORMAT=json (a bad setting
    is reported by the app as it loads)."""
    try:
        json_logs = load_settings().log_format == "json"
    except ConfigError:
        return {}
    return logs.gunicorn_logging("json") if json_logs else {}


logconfig_dict = _logging()

__all__ = ["child_exit", "logconfig_dict", "on_exit"]
