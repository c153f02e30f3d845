"""An account after two busy years, made up from a fixed seed: what the scale
benchmark (bench/scale.py) reads. ``fill(engine, today)`` fills a migrated,
empty database (PostgreSQL by ``COPY``, SQLite by bulk inserts):

- the published articles, their first 30 days of figures, the follower days
  and complaint comments of bench/report_data.py (``seed``), of which the
  older ones since archived, withdrawn or flagged to update;
- the rest of ``items`` content items in every state before publishing (most
  cancelled or still planned, a few scheduled, a handful of those due now),
  each with its revisions, its reviews and the audit trail of the path it took
  (a few with long trails of edits), and re-checks of the published ones;
- ``followers`` followers, ``tickets`` reply tickets from them over ``days``
  (most resolved, some waiting, a few snoozed; complaints among them) with
  their messages in and out, one in twenty naming an article in 《》, each
  ticket's closing in the audit trail;
- ``messages`` inbound messages in all: the tickets' own, and the rest
  subscribe events, menu clicks and keyword hits, a few failed.

The same arguments give the same rows on either engine, dated back from the
day it runs.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from typing import Any

from sqlalchemy import Connection, Engine, Table, func, insert, select, text, update

from bench.report_data import _answer_minutes, _opened_at, seed
from storage.models import (
    AuditRow,
    Base,
    ContentItemRow,
    Follower,
    InboundMessage,
    ReplyTicket,
    ReviewRow,
    Revision,
    Staff,
    TicketMessage,
)
from workflow.reply_queue import COMPLAINT_PRIORITY
from workflow.states import Event, State, transitions_from

SEED = 25
#: Items not yet published (or never to be), by state: how many in 10,000.
BEFORE = {State.PLANNED: 900, State.DRAFTING: 1000, State.IN_REVIEW: 200,
          State.CHANGES_REQUESTED: 150, State.FINAL_REVIEW: 100, State.APPROVED: 80,
          State.SCHEDULED: 120, State.PUBLISHING: 5, State.PUBLISH_FAILED: 5,
          State.CANCELLED: 1440}
#: The audit trail each state's items went through (after ``plan``).
PATHS: dict[State, tuple[str, ...]] = {
    State.PLANNED: (), State.DRAFTING: ("start",), State.IN_REVIEW: ("start", "submit"),
    State.CHANGES_REQUESTED: ("start", "submit", "request_changes"),
    State.FINAL_REVIEW: ("start", "submit", "approve"),
    State.APPROVED: ("start", "submit", "approve", "final_approve"),
    State.SCHEDULED: ("start", "submit", "approve", "final_approve", "schedule"),
    State.PUBLISHING: ("start", "submit", "approve", "final_approve", "publish"),
    State.PUBLISH_FAILED: ("start", "submit", "approve", "final_approve", "publish",
                           "publish_failed"),
    State.CANCELLED: ("cancel",),
    State.PUBLISHED: ("start", "submit", "approve", "final_approve", "schedule", "due",
                      "publish_succeeded"),
}
#: What became of the older published articles (a share of them each).
AFTERWARDS = ((State.ARCHIVED, 0.40), (State.WITHDRAWN, 0.04), (State.NEEDS_UPDATE, 0.02))
STAFF = 24
SCHEDULED_DUE = 3  # scheduled items whose time has come (the worker's scan finds them)
CHUNK = 20_000


@dataclass(frozen=True)
class Filled:
    items: int
    published: int
    tickets: int
    ticket_messages: int
    messages: int
    audit: int
    history_item: int  # the item with the longest audit trail
    ticket: int  # a waiting ticket


def fill(engine: Engine, today: date, items: int = 10_000, published: int = 5_000,
         tickets: int = 100_000, messages: int = 1_000_000, followers: int = 100_000,
         days: int = 730) -> Filled:
    """Fill the database behind ``engine`` (migrated, empty) with ``days`` days
    of an account ending yesterday (``today`` a local date)."""
    rng = random.Random(SEED)
    now = datetime.now(UTC)
    seeded = seed(engine, today - timedelta(days=1), articles=published, days=days,
                  tickets=0, complaints=published // 10)
    start = now - timedelta(days=days)
    with engine.begin() as conn:
        staff = _staff(conn, start)
        made = _items(conn, rng, items - published, staff, start, now)
        _retire(conn, rng, seeded.items, now)
        audit = _trails(conn, rng, staff, now)
        people = _followers(conn, followers, start)
        counts = _tickets_and_messages(conn, rng, people, staff, tickets, messages,
                                       start, now, _titles(conn))
        history = conn.scalar(select(AuditRow.item_id).where(AuditRow.item_id.is_not(None))
                              .group_by(AuditRow.item_id).order_by(func.count().desc())
                              .limit(1))
        waiting = conn.scalar(select(func.min(ReplyTicket.id))
                              .where(ReplyTicket.status == "open"))
        _sequences(conn)
    return Filled(published + made, _count(engine, State.PUBLISHED), counts[0], counts[1],
                  counts[2], audit + counts[0], int(history or 0), int(waiting or 0))


def _count(engine: Engine, state: State) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(ContentItemRow)
                               .where(ContentItemRow.state == state.value)) or 0)


def _staff(conn: Connection, start: datetime) -> list[int]:
    roles = ("admin", "reviewer", "reviewer,creator", "creator", "creator", "analyst")
    rows = [{"name": f"同事{n}", "openid": f"o_staff_{n:03d}", "roles": roles[n % len(roles)],
             "active": True, "created_at": start} for n in range(STAFF)]
    return list(conn.execute(insert(Staff).returning(Staff.id, sort_by_parameter_order=True),
                             rows).scalars())


def _items(conn: Connection, rng: random.Random, count: int, staff: list[int],
           start: datetime, now: datetime) -> int:
    """Items before publishing, spread over the whole time (the planned and
    drafting ones mostly recent), and the cancelled ones anywhere."""
    scale = count / sum(BEFORE.values())
    rows = []
    for state, share in BEFORE.items():
        for n in range(round(share * scale)):
            created = _between(rng, start if state is State.CANCELLED else
                               now - timedelta(days=120), now)
            row = {"title": f"{state.value}稿件{n}", "topic": "活动", "body": "<p>正文</p>",
                   "digest": "", "author_id": rng.choice(staff), "state": state.value,
                   "created_at": created, "updated_at": created, "revision": 1,
                   "scheduled_at": None}  # every row names the same columns
            if state is State.SCHEDULED:
                ahead = -rng.uniform(1, 30) if n < SCHEDULED_DUE else rng.uniform(1, 240)
                row["scheduled_at"] = now + timedelta(hours=ahead)
            rows.append(row)
    conn.execute(insert(ContentItemRow), rows)
    return len(rows)


def _retire(conn: Connection, rng: random.Random, published: list[int], now: datetime) -> None:
    """Of the articles published over 90 days ago, some archived, withdrawn, flagged."""
    old = conn.execute(select(ContentItemRow.id).where(
        ContentItemRow.published_at < now - timedelta(days=90))
        .order_by(ContentItemRow.id)).scalars().all()
    pool = list(old)
    rng.shuffle(pool)
    for state, share in AFTERWARDS:
        picked, pool = pool[:int(len(published) * share)], pool[int(len(published) * share):]
        conn.execute(update(ContentItemRow).where(ContentItemRow.id.in_(picked))
                     .values(state=state.value))


def _trails(conn: Connection, rng: random.Random, staff: list[int], now: datetime) -> int:
    """Revisions, reviews and audit rows for every item, by the path to its state."""
    rows = conn.execute(select(ContentItemRow.id, ContentItemRow.state, ContentItemRow.author_id,
                               ContentItemRow.created_at, ContentItemRow.published_at)
                        .order_by(ContentItemRow.id)).all()
    revisions, reviews, audit = [], [], []
    for r in rows:
        state = State(r.state)
        path = PATHS.get(state, PATHS[State.PUBLISHED])
        end = r.published_at or min(now, r.created_at + timedelta(days=3))
        events = ["plan", *path, *_after(state, rng)]
        events += ["edit"] * (rng.randrange(60, 200) if rng.random() < 0.01 else 0)
        step = (end - r.created_at) / max(1, len(events))
        at = State.PLANNED
        for n, name in enumerate(events):
            moved = transitions_from(at, Event(name))
            target = moved[0].target if moved else at
            audit.append({**_audit(r.id, rng.choice(staff), name, r.created_at + step * n),
                          "from_state": at.value, "to_state": target.value})
            at = target
        if r.published_at is not None and state is State.PUBLISHED and rng.random() < 0.7:
            audit.append({**_audit(r.id, rng.choice(staff), "recheck_ok",
                                   _between(rng, r.published_at, now)),
                          "from_state": "published", "to_state": "published"})
        for n in range(1, 2 + min(2, len(path))):
            revisions.append({"item_id": r.id, "revision": n, "title": f"稿件{r.id}",
                              "body": "<p>正文</p>", "digest": "", "editor_id": r.author_id,
                              "created_at": r.created_at})
        reviews += [_review(r.id, rng.choice(staff), name, len(path) + 1, r.created_at)
                    for name in path if name in ("approve", "final_approve", "request_changes")]
    for table, found in ((Revision.__table__, revisions), (ReviewRow.__table__, reviews),
                         (AuditRow.__table__, audit)):
        load(conn, table, found)  # type: ignore[arg-type]
    conn.execute(update(ContentItemRow).values(revision=select(func.max(Revision.revision))
                                               .where(Revision.item_id == ContentItemRow.id)
                                               .scalar_subquery()))
    return len(audit)


def _after(state: State, rng: random.Random) -> tuple[str, ...]:
    return {State.ARCHIVED: ("archive",), State.WITHDRAWN: ("withdraw",),
            State.NEEDS_UPDATE: ("flag_outdated",)}.get(state, ())


def _audit(item_id: int, actor: int, event: str, at: datetime) -> dict[str, Any]:
    return {"item_id": item_id, "subject": f"item:{item_id}", "actor_id": actor,
            "actor_name": f"同事{actor}", "event": event, "from_state": "", "to_state": "",
            "revision": 1, "comment": "", "command": "", "result": "", "at": at}


def _review(item_id: int, reviewer: int, event: str, revision: int,
            at: datetime) -> dict[str, Any]:
    stage = "final" if event == "final_approve" else "first"
    decision = "changes_requested" if event == "request_changes" else "approved"
    return {"item_id": item_id, "reviewer_id": reviewer, "stage": stage, "decision": decision,
            "revision": revision, "review_round": 1, "comment": "", "quote": "", "at": at}


def _followers(conn: Connection, count: int, start: datetime) -> list[int]:
    first = int(conn.scalar(select(func.coalesce(func.max(Follower.id), 0))) or 0) + 1
    load(conn, Follower.__table__, ({  # type: ignore[arg-type]
        "id": first + n, "openid": f"o_scale_{n:07d}", "subscribed": n % 9 != 0,
        "subscribed_at": start + timedelta(minutes=n % 1_000_000),
        "message_window_sent": 0, "event_window_sent": 0} for n in range(count)))
    return list(range(first, first + count))


def _titles(conn: Connection) -> list[str]:
    return list(conn.execute(select(ContentItemRow.title)
                             .where(ContentItemRow.published_at.is_not(None))
                             .order_by(ContentItemRow.id)).scalars())


def _tickets_and_messages(conn: Connection, rng: random.Random, people: list[int],
                          staff: list[int], count: int, messages: int, start: datetime,
                          now: datetime, titles: list[str]) -> tuple[int, int, int]:
    """``count`` tickets with their messages; inbound rows for the messages in
    and for the rest of ``messages`` (events, clicks, keyword hits)."""
    tickets: list[dict[str, Any]] = []
    said: list[dict[str, Any]] = []
    inbound: list[dict[str, Any]] = []
    audit: list[dict[str, Any]] = []
    first_ticket = _next_id(conn, ReplyTicket)
    span_days = (now - start).days
    for n in range(count):
        tid = first_ticket + n
        opened = min(now - timedelta(minutes=5),
                     _opened_at(start.date() + timedelta(days=rng.randrange(span_days + 1)), rng))
        ticket = _ticket(rng, people, staff, opened, now)
        openid = ticket.pop("openid")
        tickets.append({"id": tid, **ticket})
        for k in range(1 + (rng.random() < 0.5) + (rng.random() < 0.2)):
            at = opened + timedelta(minutes=k * 7)
            content = _said(rng, titles) if k == 0 else "请问什么时候开始报名"
            inbound.append(_inbound(len(inbound) + 1, openid, at, content))
            said.append({"ticket_id": tid, "direction": "in", "kind": "text", "content": content,
                         "inbound_id": len(inbound), "delivery": "", "created_at": at})
        if ticket["first_response_at"] is not None:
            said.append({"ticket_id": tid, "direction": "out", "kind": "text",
                         "content": "您好，报名下周开始", "staff_id": ticket["assignee_id"],
                         "delivery": "sent", "created_at": ticket["first_response_at"]})
        if ticket["resolved_at"] is not None:
            audit.append({**_audit(0, ticket["assignee_id"], "close", ticket["resolved_at"]),
                          "item_id": None, "subject": f"ticket:{tid}"})
    for n in range(len(inbound), messages):
        inbound.append(_inbound(n + 1, f"o_scale_{rng.randrange(len(people)):07d}",
                                _between(rng, start, now), None))
    first_inbound = _next_id(conn, InboundMessage)
    for row in inbound:
        row["id"] += first_inbound - 1
    for row in said:
        if row.get("inbound_id"):
            row["inbound_id"] += first_inbound - 1
    for table, found in ((InboundMessage.__table__, inbound), (ReplyTicket.__table__, tickets),
                         (TicketMessage.__table__, said), (AuditRow.__table__, audit)):
        load(conn, table, found)  # type: ignore[arg-type]
    return len(tickets), len(said), len(inbound)


def _said(rng: random.Random, titles: list[str]) -> str:
    """A follower's first message: one in twenty names an article, and of those
    one in six says something is wrong with it."""
    if rng.random() >= 0.05:
        return "请问什么时候开始报名"
    title = rng.choice(titles)
    if rng.random() < 1 / 6:
        return f"《{title}》里的报名链接打不开"
    return f"请问《{title}》说的活动还有吗"


def _ticket(rng: random.Random, people: list[int], staff: list[int], opened: datetime,
            now: datetime) -> dict[str, Any]:
    roll = rng.random()
    status = ("open" if roll < 0.015 else "pending" if roll < 0.035 else
              "snoozed" if roll < 0.04 else "resolved")
    answered = None if status == "open" else min(
        now, opened + timedelta(minutes=_answer_minutes(opened, rng)))
    follower = rng.choice(people)
    return {"follower_id": follower, "openid": f"o_scale_{follower - people[0]:07d}",
            "status": status, "priority": COMPLAINT_PRIORITY if rng.random() < 0.03 else 0,
            "assignee_id": rng.choice(staff) if status != "open" or roll < 0.005 else None,
            "summary": "请问什么时候开始报名", "opened_at": opened,
            "waiting_since": opened if status == "open" else None,
            "first_response_at": answered,
            "snoozed_until": now + timedelta(days=rng.uniform(-2, 5)) if status == "snoozed"
            else None,
            "resolved_at": answered if status == "resolved" else None,
            "resolution": "answered" if status == "resolved" else "", "version": 1}


def _inbound(n: int, openid: str, at: datetime, content: str | None) -> dict[str, Any]:
    """A text message (``content``), else an event or a menu click."""
    stamp = int(at.timestamp())
    kind = "text" if content is not None or n % 3 == 0 else "event"
    event = None if kind == "text" else ("CLICK" if n % 2 else "subscribe")
    msg_id = 24_000_000_000_000_000 + n if kind == "text" else None
    key = f"msg:{msg_id}" if msg_id else f"evt:{openid}:{stamp}:{event}:{n}"
    failed = n % 20_000 == 0
    return {"id": n, "dedupe_key": key, "from_openid": openid, "to_user": "gh_scale",
            "msg_type": kind, "event": event, "msg_id": msg_id, "create_time": stamp,
            "payload": {"MsgType": kind, "Content": content or "报名"},
            "authenticated": True, "mode": "safe", "reply": "", "received_at": at,
            "error": "database_busy" if failed else "", "handled_at": None if failed else at,
            "replay_at": at + timedelta(minutes=1) if failed else None, "failures": int(failed)}


def _between(rng: random.Random, first: datetime, last: datetime) -> datetime:
    return first + (last - first) * rng.random()


def _next_id(conn: Connection, model: type[Base]) -> int:
    table: Table = model.__table__  # type: ignore[assignment]
    return int(conn.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0) + 1


def load(conn: Connection, table: Table, rows: Iterable[dict[str, Any]]) -> int:
    """Bulk-load ``rows`` (each naming the same columns) into ``table``: ``COPY``
    on PostgreSQL, batched inserts elsewhere. Columns not named take their
    defaults from the model."""
    done = 0
    for batch in _batches(iter(rows)):
        complete = [_defaults(table, row) for row in batch]
        if conn.dialect.name == "postgresql":
            _copy(conn, table, complete)
        else:
            conn.execute(insert(table), complete)
        done += len(complete)
    return done


def _batches(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    while batch := list(islice(rows, CHUNK)):
        yield batch


def _defaults(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for column in table.columns:
        default = column.default
        if column.name in out or column.primary_key:
            continue
        if default is None or not hasattr(default, "arg"):
            out[column.name] = None  # nullable, or a server default: named by every row
            continue
        value = default.arg
        out[column.name] = value(None) if callable(value) else value
    return out


def _copy(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    columns = list(rows[0])
    json_columns = {c.name for c in table.columns if c.type.__class__.__name__ == "JSON"}
    raw = conn.connection.driver_connection
    assert raw is not None
    names = ", ".join(columns)
    with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([json.dumps(row[c], ensure_ascii=False)
                            if c in json_columns and row[c] is not None else row[c]
                            for c in columns])


def _sequences(conn: Connection) -> None:
    """Rows loaded with their ids: the id sequences continue after them."""
    if conn.dialect.name != "postgresql":
        return
    for model in (Follower, InboundMessage, ReplyTicket, TicketMessage, AuditRow):
        name = model.__tablename__
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                          f"(SELECT max(id) FROM {name}))"))


def local_today(now: datetime | None = None) -> date:
    from bench.report_data import CHINA
    return (now or datetime.now(UTC)).astimezone(CHINA).date()
