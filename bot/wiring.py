"""Wiring: settings -> engine -> unit of work. The only place bot meets storage."""

from __future__ import annotations

from functools import cached_property

from sqlalchemy import Engine

from bot.config import Settings, load_settings
from storage import inbound, migrate
from storage.db import make_engine, writes_flow
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

    def writes_flow(self) -> bool:
        """A write can get through now (no writer holds the database for long)."""
        return writes_flow(self.engine)

    def failed_pushes(self) -> tuple[int, int]:
        """Pushes whose handling failed, and of those the ones the worker will retry."""
        with self.engine.connect() as conn:
            return inbound.failed_counts(conn)

    def database_tokens(self, fetch: Fetch) -> DatabaseTokens:
        """The access token kept in the database for every process (storage.tokens)."""
        return DatabaseTokens(self.engine, self.settings.app_id, fetch)

    def leader_lock(self, holder: str) -> LeaderLock:
        """The lock that makes one worker at a time the scheduler (storage.leader)."""
        return LeaderLock(self.engine, holder=holder)

    def upgrade_database(self) -> None:
        migrate.upgrade(self.engine)
