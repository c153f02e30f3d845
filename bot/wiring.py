"""Wiring: settings -> engine -> unit of work. The only place bot meets storage.

Besides ``App`` (one process's engine and what is built on it), the seams
every other bot module takes from here instead of importing storage: each is
named by a contract in ``bot/seams.py`` (or ``workflow/ports.py``) and bound
to its storage implementation here, once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from bot import seams
from bot.clock import DatabaseClock
from bot.config import Settings, load_settings
from storage import (
    analytics,
    archive,
    capabilities,
    comments,
    db,
    followers,
    heartbeats,
    inbound,
    incidents,
    migrate,
    one_trip,
    outbox,
    platform,
    reports,
    upkeep,
)
from storage import metrics as _operations_state
from storage.capabilities import SqlLearntCapabilities
from storage.clock import server_now
from storage.db import KeptConnections, make_engine, writes_flow
from storage.leader import LeaderLock
from storage.push import RawPushStore
from storage.surveys import SqlSurveyAnswers
from storage.texts import SqlAccountTexts, SqlTexts
from storage.tickets import RawTicketInbox
from storage.tokens import DatabaseTokens, Fetch
from storage.uow import JoinedUnitOfWork, SqlUnitOfWork
from workflow.capabilities import Capabilities, learnt

if TYPE_CHECKING:
    from handlers.texts import TextSource
    from workflow.ports import LearntCapabilities, PushStore, SurveyAnswers, TicketInbox

#: The write lock, and what a database fault means.
database: seams.Database = db
#: The inbound log (the endpoint's prepared statements, the replayer, the CLI).
inbound_log: seams.InboundLog = inbound
#: A follower's text in one statement on PostgreSQL (the endpoint's usual push).
one_trip_pushes: seams.OneTripPushes = one_trip
#: The outbox table (the sender, ``wxops outbox``).
outbox_log: seams.OutboxLog = outbox
#: What the outbox deliveries read and write besides the outbox.
platform_records: seams.PlatformRecords = platform
analytics_records: seams.AnalyticsRecords = analytics
send_window: seams.SendWindow = followers
incident_log: seams.IncidentLog = incidents
#: Capabilities learnt missing (the sender records a 48001 there).
learnt_capabilities: seams.LearntCapabilitiesLog = capabilities
#: Article comments read in: threads, their mapping, the tickets comments open.
comment_records = comments
#: The archive: entries, and what an export reads and an import writes.
archive_records = archive
#: Reports made: their pages, where they were kept, whether they were sent.
report_records = reports
#: What a scrape of /metrics reads of the database (``operations_state.read``).
operations_state = _operations_state
#: The worker's hourly upkeep of the database (SQLite's planner statistics).
database_upkeep = upkeep
#: Each running worker's heartbeat (the worker writes it, ``wxops doctor`` reads it).
worker_heartbeats: seams.Heartbeats = heartbeats
#: A unit of work inside a transaction the caller owns (a push, a sent row).
joined_uow: seams.JoinUnitOfWork = JoinedUnitOfWork
#: What handling one push reads and records on the push's own connection.
push_store: Callable[[Connection], PushStore] = RawPushStore
push_texts: Callable[[Connection], TextSource] = SqlTexts
ticket_inbox: Callable[[Connection], TicketInbox] = RawTicketInbox
#: Followers' answer sets to the surveys (a push's, ``wxops survey results``).
survey_answers: Callable[[Connection], SurveyAnswers] = SqlSurveyAnswers
#: ``wxops texts`` and the demo's welcome.
account_texts: Callable[[Session], seams.AccountTexts] = SqlAccountTexts
add_follower: seams.AddFollower = followers.add_follower


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

    #: Whether the engine may make a SQLite file that is not there (``wxops db
    #: upgrade``, ``wxops run`` and ``wxops restore`` do; the CLI's other
    #: commands do not: ``storage.db.make_engine``). Set before the engine is used.
    creates_database = True

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url, create=self.creates_database)

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)

    @cached_property
    def clock(self) -> DatabaseClock:
        """UTC now by the database server's clock, which every host shares
        (bot/clock.py): the worker's leases and due times are read by it."""
        return DatabaseClock(lambda: server_now(self.engine), background=True)

    def database_now(self) -> datetime | None:
        """Now by the database server's clock, read at once (None on SQLite, whose
        clock is this host's); its faults are raised (``wxops doctor``)."""
        return server_now(self.engine)

    def kept_connections(self, wait: float | None = None) -> seams.KeptConnections:
        """Connections kept open between pushes, for the inbound endpoint."""
        return KeptConnections(self.engine, wait=wait)

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

    def learnt_capabilities(self) -> LearntCapabilities:
        """Capabilities learnt missing, on this process's engine (storage.capabilities)."""
        return SqlLearntCapabilities(self.engine)

    def capabilities(self) -> Capabilities:
        """The account's capabilities now: the settings' kind less what was learnt
        missing. One query: callers on a hot path keep it a while
        (``bot.handling``)."""
        return learnt(self.settings.kind, self.learnt_capabilities().missing())

    def leader_lock(self, holder: str) -> LeaderLock:
        """The lock that makes one worker at a time the scheduler (storage.leader)."""
        return LeaderLock(self.engine, holder=holder)

    def upgrade_database(self) -> None:
        migrate.upgrade(self.engine)
