"""The unit of work: one SQLAlchemy session, one transaction, all repositories."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from storage.archive import SqlArchive
from storage.assets import SqlAssets
from storage.checks import SqlRevisionChecks, SqlSensitiveWords, SqlUploadedImages
from storage.confirmations import SqlConfirmations
from storage.drafts import SqlBoxDrafts
from storage.evaluation import SqlEvaluationRecords
from storage.followers import SqlInteractions
from storage.links import SqlPageLinks
from storage.liveness import SqlLinkChecks
from storage.old_content import SqlOldContentView
from storage.queue_ops import SqlCannedReplies, SqlQueueView
from storage.rechecks import SqlRecheckView
from storage.repositories import (
    SqlAuditLog,
    SqlItemRepository,
    SqlOutbox,
    SqlReviewRepository,
)
from storage.rules import SqlRuleRepository
from storage.staff import SqlStaffRepository
from storage.tickets import SqlTicketRepository
from storage.views import SqlFeedbackLog, SqlFiguresView, SqlHeldNotices, SqlWorkView


def utcnow() -> datetime:
    return datetime.now(UTC)


class SqlUnitOfWork:
    """Implements ``workflow.ports.UnitOfWork``. Re-enterable one block at a time."""

    items: SqlItemRepository
    reviews: SqlReviewRepository
    checks: SqlRevisionChecks
    words: SqlSensitiveWords
    uploads: SqlUploadedImages
    drafts: SqlBoxDrafts
    assets: SqlAssets
    liveness: SqlLinkChecks
    audit: SqlAuditLog
    archive: SqlArchive
    outbox: SqlOutbox
    work: SqlWorkView
    figures: SqlFiguresView
    old_content: SqlOldContentView
    rechecks: SqlRecheckView
    feedback: SqlFeedbackLog
    evaluation: SqlEvaluationRecords
    notices: SqlHeldNotices
    rules: SqlRuleRepository
    staff: SqlStaffRepository
    confirmations: SqlConfirmations
    tickets: SqlTicketRepository
    interactions: SqlInteractions
    queue: SqlQueueView
    canned: SqlCannedReplies
    links: SqlPageLinks
    session: Session

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utcnow) -> None:
        self._factory = sessionmaker(engine, expire_on_commit=False)
        self._clock = clock
        self._active = False

    def __enter__(self) -> Self:
        if self._active:
            raise RuntimeError("unit of work is already open")
        self._active = True
        self.session = self._factory()
        self._bind_repositories(self._clock())
        return self

    def _bind_repositories(self, now: datetime) -> None:
        self.items = SqlItemRepository(self.session, now)
        self.reviews = SqlReviewRepository(self.session)
        self.checks = SqlRevisionChecks(self.session)
        self.words = SqlSensitiveWords(self.session)
        self.uploads = SqlUploadedImages(self.session)
        self.drafts = SqlBoxDrafts(self.session)
        self.assets = SqlAssets(self.session)
        self.liveness = SqlLinkChecks(self.session)
        self.audit = SqlAuditLog(self.session)
        self.archive = SqlArchive(self.session)
        self.outbox = SqlOutbox(self.session)
        self.work = SqlWorkView(self.session)
        self.figures = SqlFiguresView(self.session)
        self.old_content = SqlOldContentView(self.session)
        self.rechecks = SqlRecheckView(self.session)
        self.feedback = SqlFeedbackLog(self.session)
        self.evaluation = SqlEvaluationRecords(self.session)
        self.notices = SqlHeldNotices(self.session)
        self.rules = SqlRuleRepository(self.session)
        self.staff = SqlStaffRepository(self.session)
        self.confirmations = SqlConfirmations(self.session)
        self.tickets = SqlTicketRepository(self.session)
        self.interactions = SqlInteractions(self.session)
        self.queue = SqlQueueView(self.session)
        self.canned = SqlCannedReplies(self.session)
        self.links = SqlPageLinks(self.session)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self.session.rollback()  # a no-op after commit; undoes anything uncommitted
        finally:
            self.session.close()
            self._active = False

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()



class JoinedUnitOfWork(SqlUnitOfWork):
    """A unit of work inside a transaction someone else owns (one inbound push).

    Each block gets a Session on the owner's connection that works in a
    SAVEPOINT: ``commit()`` releases it, leaving the block without commit rolls
    back to it, and the owner commits or rolls back the whole push.
    """

    def __init__(self, conn: Connection, clock: Callable[[], datetime] = utcnow) -> None:
        self._conn = conn
        self._clock = clock
        self._active = False

    def __enter__(self) -> Self:
        if self._active:
            raise RuntimeError("unit of work is already open")
        self._active = True
        self.session = Session(bind=self._conn, join_transaction_mode="create_savepoint",
                               expire_on_commit=False)
        self._bind_repositories(self._clock())
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self.session.close()  # rolls back to the savepoint unless committed
        finally:
            self._active = False
