"""SQLAlchemy 2.0 models: the schema of record. Change it only with a migration."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
    literal_column,
    text,
    true,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.functions import FunctionElement

from storage.types import UTCDateTime
from workflow.recheck import RECHECK_WORDS

# Stable constraint names, so migrations can refer to them on every engine.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


#: Partial indexes' conditions, as their queries state them (migration 0029).
CHECKS = "event IN ('recheck_ok', 'flag_outdated', 'withdraw')"
TITLED_LIKE = "%《%"
TITLED = f"direction = 'in' AND content LIKE '{TITLED_LIKE}'"
#: Such a message with a re-check word in it (workflow.recheck.RECHECK_WORDS:
#: storage/rechecks.py states the same words; migration 0033).
WORDED = TITLED + " AND (" + " OR ".join(f"content LIKE '%{w}%'" for w in RECHECK_WORDS) + ")"
#: What ``str.strip()`` takes off (every character ``str.isspace()`` is true of).
BLANKS = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
          + "".join(chr(c) for c in range(0x2000, 0x200b)) + "\u2028\u2029\u202f\u205f\u3000")
#: The items whose titles followers can name (migration 0033's index of them).
EVER_PUBLISHED = "published_at IS NOT NULL"


class Stripped(FunctionElement[str]):
    """A text as ``str.strip()`` leaves it (storage/titles.py): ``btrim`` on
    PostgreSQL, which keeps that name when it shows the index (its ``trim(a,
    b)`` it shows as ``TRIM(BOTH b FROM a)``), ``trim`` on SQLite. The blanks
    are a literal: an index of the expression serves the query only so."""

    name = "stripped"
    type = String()
    inherit_cache = True


@compiles(Stripped)
def _stripped(element: Stripped, compiler: Any, **kw: Any) -> str:
    return f"trim({compiler.process(element.clauses, **kw)}, '{BLANKS}')"


@compiles(Stripped, "postgresql")
def _stripped_pg(element: Stripped, compiler: Any, **kw: Any) -> str:
    return f"btrim({compiler.process(element.clauses, **kw)}, '{BLANKS}')"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON}


class Staff(Base):
    __tablename__ = "staff"
    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    roles: Mapped[str] = mapped_column(String(128))  # comma-separated Role values
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime | None]


class StaffInvite(Base):
    __tablename__ = "staff_invites"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    roles: Mapped[str] = mapped_column(String(128))
    name: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))


class Follower(Base):
    __tablename__ = "followers"
    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    subscribed: Mapped[bool] = mapped_column(Boolean, default=True)
    source_scene: Mapped[str | None] = mapped_column(String(128))
    subscribed_at: Mapped[datetime | None]
    unsubscribed_at: Mapped[datetime | None]
    last_interaction_at: Mapped[datetime | None]
    last_interaction_kind: Mapped[str | None] = mapped_column(String(16))  # message | event
    last_message_at: Mapped[datetime | None]
    last_event_at: Mapped[datetime | None]
    # Customer-service budget: 5 sends in 48 h after a message, 3 in 1 min after an event.
    message_window_start: Mapped[datetime | None]
    message_window_sent: Mapped[int] = mapped_column(Integer, default=0)
    event_window_start: Mapped[datetime | None]
    event_window_sent: Mapped[int] = mapped_column(Integer, default=0)


class ArticleMetaColumns:
    """What an article says of itself (``workflow.model.ArticleMeta``), kept on
    the item and on each of its revisions: columns of the same names."""

    cover: Mapped[str] = mapped_column(String(512), default="")  # the cover's media_id
    byline: Mapped[str] = mapped_column(Text, default="", server_default="")
    cover_file: Mapped[str] = mapped_column(Text, default="", server_default="")
    comments: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    sources: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    expires_on: Mapped[date | None] = mapped_column(Date)
    theme: Mapped[str] = mapped_column(String(32), default="", server_default="")


class ContentItemRow(ArticleMetaColumns, Base):
    __tablename__ = "content_items"
    # The items a follower's 《title》 names, by title as stripped (storage/titles.py).
    __table_args__ = (Index("ix_content_items_stripped_title", Stripped(literal_column("title")),
                            sqlite_where=text(EVER_PUBLISHED),
                            postgresql_where=text(EVER_PUBLISHED)),)
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(128))
    topic: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    digest: Mapped[str] = mapped_column(String(256), default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(32), index=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    review_round: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    planned_at: Mapped[datetime | None]
    due_on: Mapped[date | None] = mapped_column(Date)
    scheduled_at: Mapped[datetime | None] = mapped_column(index=True)
    published_at: Mapped[datetime | None] = mapped_column(index=True)  # 统计, reports
    draft_media_id: Mapped[str | None] = mapped_column(String(128))
    publish_id: Mapped[str | None] = mapped_column(String(64), index=True)
    article_id: Mapped[str | None] = mapped_column(String(128))
    url: Mapped[str | None] = mapped_column(String(1024))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Revision(ArticleMetaColumns, Base):
    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("item_id", "revision"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("content_items.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(Text, default="")
    digest: Mapped[str] = mapped_column(String(256), default="")
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime]


class ReviewRow(Base):
    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("content_items.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    stage: Mapped[str] = mapped_column(String(16))
    decision: Mapped[str] = mapped_column(String(32))
    revision: Mapped[int] = mapped_column(Integer)
    review_round: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    quote: Mapped[str] = mapped_column(Text, default="", server_default="")
    at: Mapped[datetime]


class AuditRow(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_item_id_id", "item_id", "id"),
        # The re-checks (storage/rechecks.py CHECK_EVENTS): a few rows among the trail's.
        Index("ix_audit_log_checks", "item_id", "id", sqlite_where=text(CHECKS),
              postgresql_where=text(CHECKS)),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("content_items.id"))
    subject: Mapped[str] = mapped_column(String(64), default="")  # e.g. "ticket:5", "rule:3"
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))  # None = the system
    actor_name: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str] = mapped_column(String(32), default="")
    to_state: Mapped[str] = mapped_column(String(32), default="")
    revision: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    command: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime]


class InboundMessage(Base):
    """Every message WeChat pushed. ``dedupe_key`` makes a retry a no-op."""

    __tablename__ = "inbound_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    from_openid: Mapped[str] = mapped_column(String(64))
    to_user: Mapped[str] = mapped_column(String(64), default="")
    msg_type: Mapped[str] = mapped_column(String(32))
    event: Mapped[str | None] = mapped_column(String(64))
    msg_id: Mapped[int | None] = mapped_column(BigInteger)
    create_time: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]]
    authenticated: Mapped[bool] = mapped_column(Boolean, default=False)
    mode: Mapped[str] = mapped_column(String(16), default="plain")
    reply: Mapped[str | None] = mapped_column(Text)  # the passive reply; "" means "success"
    #: What the reply was rendered from, when it was rendered after the push was
    #: recorded (storage.one_trip): a retry renders it again from this.
    reply_outcome: Mapped[dict[str, Any] | None]
    error: Mapped[str] = mapped_column(Text, default="")  # why handling failed, if it did
    received_at: Mapped[datetime]
    handled_at: Mapped[datetime | None]
    #: When the worker handles a push again whose handling failed for a reason
    #: that passes (a busy or slow database); None when nobody will unless asked.
    replay_at: Mapped[datetime | None]
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    # Only failed pushes are indexed: staff list them, /healthz counts them and
    # the worker finds the ones due again, without reading the whole log.
    __table_args__ = (Index("ix_inbound_messages_failed", "replay_at",
                            sqlite_where=text("error <> ''"),
                            postgresql_where=text("error <> ''")),)


class InboundNonce(Base):
    """Replay guard: a (timestamp, nonce) pair may only come back with the same body.

    The plain-mode signature does not cover the body, so a captured query
    string could otherwise carry any forged body (see WECHAT.md). Only pushes
    whose body is not authenticated are recorded here. The pair is the key
    (clustered on SQLite: one b-tree, one page written a push), and pruning
    goes by the signed timestamp, oldest first.
    """

    __tablename__ = "inbound_nonces"
    __table_args__ = ({"sqlite_with_rowid": False},)
    timestamp: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    body_hash: Mapped[str] = mapped_column(String(64))


class AccountText(Base):
    """Admin-editable texts (the welcome message...) overriding the shipped templates."""

    __tablename__ = "account_texts"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    updated_at: Mapped[datetime]


class ReplyTicket(Base):
    __tablename__ = "reply_tickets"
    __table_args__ = (
        Index("ix_reply_tickets_status_waiting", "status", "waiting_since"),
        # A follower's unresolved ticket, looked up on every message (migration 0006).
        Index("ix_reply_tickets_follower_status", "follower_id", "status"),
        # The queue in its order (storage/queue_ops.py), resolved tickets left out.
        Index("ix_reply_tickets_queue", "priority", "waiting_since", "id",
              sqlite_where=text("status <> 'resolved'"),
              postgresql_where=text("status <> 'resolved'")),
        # 队列's counts of the waiting and the snoozed, from the index alone (0036).
        Index("ix_reply_tickets_unresolved", "status", "snoozed_until",
              sqlite_where=text("status <> 'resolved'"),
              postgresql_where=text("status <> 'resolved'")),
        # 统计's first answers, read from the index alone (migration 0031).
        Index("ix_reply_tickets_answered", "first_response_at", "opened_at"),
        Index("ix_reply_tickets_priority_opened", "priority", "opened_at"),  # complaints
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    follower_id: Mapped[int] = mapped_column(ForeignKey("followers.id"))
    status: Mapped[str] = mapped_column(String(16))  # open | pending | snoozed | resolved
    priority: Mapped[int] = mapped_column(Integer, default=0)  # higher first
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    summary: Mapped[str] = mapped_column(String(256), default="")
    opened_at: Mapped[datetime]
    waiting_since: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    snoozed_until: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str] = mapped_column(String(64), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)


class TicketMessage(Base):
    __tablename__ = "ticket_messages"
    # Followers' messages naming an article in 《》, by time: what the re-checks
    # read (storage/rechecks.py TITLED), without reading every message.
    __table_args__ = (Index("ix_ticket_messages_titled", "created_at",
                            sqlite_where=text(TITLED), postgresql_where=text(TITLED)),
                      Index("ix_ticket_messages_worded", "created_at",
                            sqlite_where=text(WORDED), postgresql_where=text(WORDED)),
                      # A ticket's thread, and its last message (max(id)) in one
                      # entry whatever the thread's length: every follow-up asks.
                      Index("ix_ticket_messages_ticket_id_id", "ticket_id", "id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("reply_tickets.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(8))  # in | out
    kind: Mapped[str] = mapped_column(String(16))  # text, image, voice, video, location, link
    content: Mapped[str] = mapped_column(Text, default="")
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"))
    # queued, sent, refused, or unknown (sent, and no answer came)
    delivery: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[datetime]


class TicketNote(Base):
    __tablename__ = "ticket_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("reply_tickets.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class AutoReplyRule(Base):
    __tablename__ = "auto_reply_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    match_type: Mapped[str] = mapped_column(String(16))  # exact | contains | regex | click
    pattern: Mapped[str] = mapped_column(String(256))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    active_from: Mapped[time | None] = mapped_column(Time)
    active_until: Mapped[time | None] = mapped_column(Time)
    reply_type: Mapped[str] = mapped_column(String(16), default="text")  # text | news
    reply_text: Mapped[str] = mapped_column(Text, default="")
    reply_articles: Mapped[dict[str, Any] | None]
    hits: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime]


class OutboxMessage(Base):
    """An outbound effect waiting to be sent, written with the change that caused it.

    status: pending (due at next_attempt_at), sending (claimed by a worker),
    sent, held (a staff notice waiting for the person's next message),
    refused (the platform or the window says it cannot be delivered), dead,
    cancelled (a notice whose news stopped being true before it went out).
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next_attempt", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]]
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    recipient: Mapped[str | None] = mapped_column(String(64), index=True)  # openid, if any
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_by: Mapped[str] = mapped_column(String(64), default="")
    claimed_at: Mapped[datetime | None]
    # Written, in its own commit, just before a worker starts working on a claimed
    # row: a row claimed by a worker that died but never started is safe to resume.
    attempt_started_at: Mapped[datetime | None]
    # Written the moment the platform accepted the call, in its own commit: a
    # worker that dies before recording the rest never sends the row again.
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # A dead row the platform may have acted on (the call went out and no answer
    # came, or its worker died or stalled with it in flight): resent only by force.
    in_doubt: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    dead_at: Mapped[datetime | None]


class LearntCapability(Base):
    """A capability the platform refused (48001) although the table grants it to
    the account's kind: since when, and the errcode and call that showed it."""

    __tablename__ = "learnt_capabilities"
    capability: Mapped[str] = mapped_column(String(32), primary_key=True)
    missing_since: Mapped[datetime]
    errcode: Mapped[int | None] = mapped_column(Integer)
    call: Mapped[str] = mapped_column(String(64))


class WorkerHeartbeat(Base):
    """A running worker: when it started and when it last said it was alive."""

    __tablename__ = "worker_heartbeats"
    worker: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime]
    beat_at: Mapped[datetime]
    # Whether it held the scheduler leader lock at its last check (migration 0031).
    leading: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Confirmation(Base):
    """A pending dangerous action: done only when the same person sends 确认 CODE
    in time, and only if the subject has not changed since (same version)."""

    __tablename__ = "confirmations"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    action: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(Integer)
    subject_version: Mapped[int] = mapped_column(Integer)
    # What was typed with the request (复查 12 删除 过时了); NULL: issued before 0011.
    note: Mapped[str | None] = mapped_column(Text)
    command: Mapped[str] = mapped_column(Text, default="")  # for the audit log
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class RecheckSignalRow(Base):
    """A signal the worker spotted in the platform's data that pulls an item's
    re-check forward (workflow/recheck.py: an old article's reads spike)."""

    __tablename__ = "recheck_signals"
    __table_args__ = (UniqueConstraint("item_id", "kind", "signal_day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("content_items.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    signal_day: Mapped[date] = mapped_column(Date)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    found_at: Mapped[datetime]


class RecheckDateRow(Base):
    """A published item's next re-check as ``workflow.recheck.due_of`` last
    computed it (the whole ``Due``), kept until a trigger marks the item
    (migration 0035, storage/rechecks.py)."""

    __tablename__ = "recheck_dates"
    __table_args__ = (Index("ix_recheck_dates_due_on", "due_on", "item_id"),)
    item_id: Mapped[int] = mapped_column(ForeignKey("content_items.id", ondelete="CASCADE"),
                                         primary_key=True)
    due_on: Mapped[date] = mapped_column(Date)
    planned_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(128))
    topic: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(Integer)
    signal_kind: Mapped[str | None] = mapped_column(String(16))
    signal_on: Mapped[date | None] = mapped_column(Date)
    signal_detail: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    last_at: Mapped[datetime | None]
    last_verdict: Mapped[str | None] = mapped_column(String(16))
    last_actor_id: Mapped[int | None] = mapped_column(Integer)
    last_actor_name: Mapped[str | None] = mapped_column(String(64))
    last_note: Mapped[str | None] = mapped_column(Text)


class RecheckMarkRow(Base):
    """An item whose re-check facts changed since its date was kept (written by
    the triggers of migration 0035; claimed by 复查)."""

    __tablename__ = "recheck_marks"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(Integer)


class RecheckNoteRow(Base):
    """A follower's message quoting a title in 《》 since the dates were kept:
    复查 finds the items it names (written by the triggers of migration 0035)."""

    __tablename__ = "recheck_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(Integer)


class RecheckQuoteRow(Base):
    """A title a follower's message quotes in 《》, stripped: the messages that
    may name an item, found by its title (kept by 复查 from the notes; every
    quote again when every date is computed)."""

    __tablename__ = "recheck_quotes"
    title: Mapped[str] = mapped_column(String(64), primary_key=True)
    message_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class RecheckBasisRow(Base):
    """What the kept dates were computed under (``workflow.recheck.basis_of``);
    emptied by a trigger when a fact is changed in place (migration 0035)."""

    __tablename__ = "recheck_basis"
    id: Mapped[int] = mapped_column(primary_key=True)
    basis: Mapped[str] = mapped_column(Text)


#: Tables computed from the others and kept in step by triggers: a copy of the
#: database leaves them out, and its first 复查 computes them again.
DERIVED = ("recheck_dates", "recheck_marks", "recheck_notes", "recheck_quotes",
           "recheck_basis")


class ReportRow(Base):
    """A report made (workflow/report.py): its page as served, where it was kept
    on disk, and when the weekly job sent its link (so it is sent once)."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("kind", "first_day", "last_day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # week | month | range | quarter
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    made_at: Mapped[datetime]
    html: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(String(500), default="")
    sent_at: Mapped[datetime | None]


class PageLink(Base):
    """A link to a web page (workflow.pages): the address carries ``key``, signed;
    ``id`` is how people name it. Checked on every opening: revoked, expired."""

    __tablename__ = "page_links"
    __table_args__ = (CheckConstraint("(item_id IS NULL) <> (report_id IS NULL)",
                                      name="one_page"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    # A preview's item (its version and revision when the link was made); a
    # report's link names the report instead, and its item fields are 0.
    item_id: Mapped[int | None] = mapped_column(ForeignKey("content_items.id"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    item_version: Mapped[int] = mapped_column(Integer)
    item_revision: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class CannedReply(Base):
    """Saved answers staff use with ``回 T5 #地址``."""

    __tablename__ = "canned_replies"
    shortcut: Mapped[str] = mapped_column(String(32), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    updated_at: Mapped[datetime]


class AccessToken(Base):
    """The shared access token (when Redis is not configured)."""

    __tablename__ = "access_tokens"
    app_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PlatformAsset(Base):
    """Things uploaded to WeChat once and reused: the default cover's media_id..."""

    __tablename__ = "platform_assets"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class ArticleMetric(Base):
    __tablename__ = "article_metrics"
    __table_args__ = (
        UniqueConstraint("msgid", "day"),
        # Each article's day 7 (查看's comparison, 统计's suggestions), newest first.
        Index("ix_article_metrics_age", "age", "published_on"),
        Index("ix_article_metrics_day", "day"),  # a period's figures
        # An item's days by age: its totals, and its day 7 (统计's suggestions).
        Index("ix_article_metrics_item_age", "item_id", "age"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("content_items.id"))
    msgid: Mapped[str] = mapped_column(String(64))  # WeChat's "msgid_index" article key
    day: Mapped[date] = mapped_column(Date)
    reads: Mapped[int] = mapped_column(Integer, default=0)
    read_users: Mapped[int] = mapped_column(Integer, default=0)
    shares: Mapped[int] = mapped_column(Integer, default=0)
    share_users: Mapped[int] = mapped_column(Integer, default=0)
    favorites: Mapped[int] = mapped_column(Integer, default=0)
    # Running totals since publishing (getarticletotaldetail; workflow/analytics.py).
    total_reads: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    total_shares: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    likes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    zaikan: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    comments: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    read_sources: Mapped[dict[str, int]] = mapped_column(
        JSON, default=dict, server_default=text("'{}'"))
    published_on: Mapped[date | None] = mapped_column(Date)
    age: Mapped[int | None] = mapped_column(Integer)  # day since publishing: 1 is the first


class AnalyticsDay(Base):
    """One datacube endpoint's answer for one day, and how final it is."""

    __tablename__ = "analytics_days"
    endpoint: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # complete | delayed | open
    through: Mapped[date] = mapped_column(Date)
    rows: Mapped[list[Any]] = mapped_column(JSON, default=list)
    fetched_at: Mapped[datetime]


class FollowerMetric(Base):
    __tablename__ = "follower_metrics"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    new_users: Mapped[int] = mapped_column(Integer, default=0)
    cancel_users: Mapped[int] = mapped_column(Integer, default=0)
    cumulate_users: Mapped[int] = mapped_column(Integer, default=0)


class StaffSurveyRound(Base):
    """The staff survey of a quarter (workflow.evaluation): when it was asked."""

    __tablename__ = "staff_surveys"
    quarter: Mapped[str] = mapped_column(String(8), primary_key=True)  # e.g. 2026Q4
    asked_at: Mapped[datetime]


class StaffSurveyAnswerRow(Base):
    """One member's answers to a quarter's staff survey: a row when asked, filled
    in as they answer (one set a person a quarter)."""

    __tablename__ = "staff_survey_answers"
    __table_args__ = (UniqueConstraint("quarter", "staff_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    quarter: Mapped[str] = mapped_column(ForeignKey("staff_surveys.quarter"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    slowed: Mapped[str] = mapped_column(Text, default="")
    change: Mapped[str] = mapped_column(Text, default="")
    rating: Mapped[int | None] = mapped_column(Integer)
    asked_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]


class ProcessFeedback(Base):
    __tablename__ = "process_feedback"
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    content: Mapped[str] = mapped_column(Text)
    quarter: Mapped[str] = mapped_column(String(8), index=True)  # e.g. 2026Q4
    created_at: Mapped[datetime]


class RevisionCheckRow(Base):
    """What workflow.checks found on one revision of an item (findings and facts as JSON)."""

    __tablename__ = "revision_checks"
    __table_args__ = (UniqueConstraint("item_id", "revision"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("content_items.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)
    refused: Mapped[bool] = mapped_column(Boolean)
    sensitive: Mapped[bool] = mapped_column(Boolean)
    result: Mapped[dict[str, Any]]
    checked_at: Mapped[datetime]


class SensitiveWordRow(Base):
    """One line of the organisation's sensitive-word list: a word, or a regex when ``pattern``."""

    __tablename__ = "sensitive_words"
    __table_args__ = (UniqueConstraint("text", "pattern"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(256))
    category: Mapped[str] = mapped_column(String(64))
    pattern: Mapped[bool] = mapped_column(Boolean)
    added_at: Mapped[datetime]


class UploadedImageRow(Base):
    """An image uploaded with media/uploadimg, by the hash of the bytes sent:
    the same image is never uploaded twice."""

    __tablename__ = "uploaded_images"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(String(1024))
    uploaded_at: Mapped[datetime]


class BoxDraftRow(Base):
    """A draft seen in the WeChat draft box (workflow/draft_box.py): its first
    article as last seen, the item it is attached to, and what was judged."""

    __tablename__ = "box_drafts"
    id: Mapped[int] = mapped_column(primary_key=True)  # the number people pick it by
    media_id: Mapped[str] = mapped_column(String(128), unique=True)
    title: Mapped[str] = mapped_column(String(128), default="")
    content: Mapped[str] = mapped_column(Text, default="")
    update_time: Mapped[int] = mapped_column(BigInteger, default=0, index=True)  # last seen
    judged_time: Mapped[int] = mapped_column(BigInteger, default=0)  # update_time last judged
    item_id: Mapped[int | None] = mapped_column(ForeignKey("content_items.id"), index=True)
    revision: Mapped[int | None] = mapped_column(Integer)  # the item's, last taken
    seen_at: Mapped[datetime]


class UploadedMaterialRow(Base):
    """A cover uploaded with material/add_material (type image), by the hash of
    the bytes sent: its permanent media_id is the draft's ``thumb_media_id``."""

    __tablename__ = "uploaded_materials"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    media_id: Mapped[str] = mapped_column(String(128))
    url: Mapped[str] = mapped_column(String(1024))
    uploaded_at: Mapped[datetime]


class AssetRow(Base):
    """One of the team's materials (``wxops assets``), its bytes with it: a backup
    of the database is a backup of the materials."""

    __tablename__ = "assets"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    file_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    credit: Mapped[str] = mapped_column(String(200))
    consent: Mapped[str] = mapped_column(String(200))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    added_at: Mapped[datetime]


class KeptImageRow(Base):
    """A body image prepared for an account that could not upload it, kept by the
    hash of its bytes so the preview page can show it (workflow/kept_images.py)."""

    __tablename__ = "kept_images"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    kept_at: Mapped[datetime]


class LinkCheckRow(Base):
    """Whether an address one revision of an item cites answered, and when it
    was asked (workflow/link_liveness.py)."""

    __tablename__ = "link_checks"
    __table_args__ = (UniqueConstraint("item_id", "revision", "url"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("content_items.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(String(2048), index=True)
    status: Mapped[str] = mapped_column(String(16))
    checked_at: Mapped[datetime]


class CommentThreadRow(Base):
    """A published item's comments on the platform (workflow/comments.py): the
    article they belong to, once mapped, and when they were last read."""

    __tablename__ = "comment_threads"
    item_id: Mapped[int] = mapped_column(
        ForeignKey("content_items.id", ondelete="CASCADE"), primary_key=True)
    msg_data_id: Mapped[str | None] = mapped_column(String(32))
    article_index: Mapped[int | None] = mapped_column(Integer)  # 0-based
    # why the item is not mapped, if it is not
    unmapped: Mapped[str] = mapped_column(String(32), default="", server_default="")
    checked_at: Mapped[datetime | None]


class CommentTicketRow(Base):
    """A reply ticket opened by a comment: the item, the article (an item published
    again is a new article) and the platform's comment id. One ticket per comment,
    however often it is read."""

    __tablename__ = "comment_tickets"
    __table_args__ = (UniqueConstraint("msg_data_id", "article_index", "user_comment_id"),)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("reply_tickets.id", ondelete="CASCADE"), primary_key=True)
    # Indexed (0035): a few items' comments are found by their item (复查).
    item_id: Mapped[int] = mapped_column(ForeignKey("content_items.id", ondelete="CASCADE"),
                                         index=True)
    msg_data_id: Mapped[str] = mapped_column(String(32))
    article_index: Mapped[int] = mapped_column(Integer)  # 0-based
    user_comment_id: Mapped[int] = mapped_column(BigInteger)
    # "", elected or deleted: what staff did to the comment
    status: Mapped[str] = mapped_column(String(16), default="", server_default="")


class SurveyAnswerSetRow(Base):
    """A follower's answers to one survey (workflow/surveys.py): one set per
    follower and survey. ``question`` is the 0-based question waiting for an
    answer; ``answers`` one JSON value per question answered."""

    __tablename__ = "survey_answer_sets"
    __table_args__ = (
        UniqueConstraint("survey", "follower_id"),
        # the sender's write finds their survey in progress by it (storage.followers)
        Index("ix_survey_answer_sets_follower_state", "follower_id", "state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    survey: Mapped[str] = mapped_column(String(64))
    follower_id: Mapped[int] = mapped_column(ForeignKey("followers.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16))  # started|finished|abandoned|expired
    question: Mapped[int] = mapped_column(Integer, default=0)
    answers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class ArchiveEntryRow(Base):
    """An item written to the archive (workflow/archive.py): when it was archived or
    one of its articles came down, its article as it stood then (the platform's
    HTML once read, else the revision's), its source and its history as JSON."""

    __tablename__ = "archive_entries"
    __table_args__ = (UniqueConstraint("item_id", "article_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("content_items.id", ondelete="CASCADE"),
                                         index=True)
    # the platform's article this entry keeps ("" : none, as for an item published by hand)
    article_id: Mapped[str] = mapped_column(String(128), default="")
    reason: Mapped[str] = mapped_column(String(16))  # archive | withdraw | replaced
    revision: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(128))
    html: Mapped[str] = mapped_column(Text, default="")  # the revision's, as sent to the draft
    platform_html: Mapped[str | None] = mapped_column(Text)  # freepublish/getarticle's
    platform_read_at: Mapped[datetime | None]
    meta: Mapped[dict[str, Any]]
    taken_at: Mapped[datetime]
