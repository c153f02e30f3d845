"""Production entry point: ``gunicorn bot.wsgi:app`` (settings from the environment)."""

from __future__ import annotations

import logging

from bot.web import create_app
from bot.wiring import App

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
app = create_app(App())
