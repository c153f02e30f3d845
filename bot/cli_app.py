"""The App of a command typed beside a running demo (``bot.cli`` imports it only
for a command that uses the database: it brings storage with it)."""

from __future__ import annotations

import os
from functools import cached_property

from bot.cli import demo_overrides
from bot.config import Settings, load_settings
from bot.wiring import App


class BesideTheDemo(App):
    """A command typed in another terminal while `wxops run`'s demo runs on this
    database (no credentials set): it talks to the demo's emulator and makes
    page links to the demo's server, as the demo's own processes do. With
    credentials, or no demo running, the settings are as given.

    It makes no SQLite file that is not there, unless its command says so
    (``App.creates_database``)."""

    creates_database = False

    @cached_property
    def settings(self) -> Settings:
        given = load_settings()
        if not given.demo:
            return given
        from bot import demo  # its imports are the database's: only for the demo

        run = demo.running(given.database_url)
        if run is None:
            return given
        return load_settings({**os.environ, **demo_overrides(given, run)})
