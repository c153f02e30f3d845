"""Wiring: settings -> engine -> unit of work. The only place bot meets storage."""

from __future__ import annotations

from functools import cached_property

from sqlalchemy import Engine

from bot.config import Settings, load_settings
from storage import migrate
from storage.db import make_engine
from storage.leader import LeaderLock
from storage.tokens import DatabaseTokens, Fetch
from storage.uow import SqlUnitOfWork


class App:
    """Settings, engine and units of work for one process; each built on first use."""

    def __init__(self, settings: Settings | None = None, engine: Engine | None = None) -> None:
        if settings is not None:
            self.settings = settings
        if engine is not None:
            self.engine = engine

    @cached_property
    def settings(self) -> Settings:
        return load_settings()

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)

    def database_tokens(self, fetch: Fetch) -> DatabaseTokens:
        """The access token kept in the database for every process (storage.tokens)."""
        return DatabaseTokens(self.engine, self.settings.app_id, fetch)

    def leader_lock(self, holder: str) -> LeaderLock:
        """The lock that makes one worker at a time the scheduler (storage.leader)."""
        return LeaderLock(self.engine, holder=holder)

    def upgrade_database(self) -> None:
        migrate.upgrade(self.engine)
