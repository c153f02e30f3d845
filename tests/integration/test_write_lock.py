"""What a push does while it holds SQLite's write lock: writing, not looking up.

Every web worker waits for the lock, so a lookup made under it (a slow regex
rule above all) holds up every other push. The rules are matched before the
lock is taken; whether the sender is staff comes back from the write that
records the sender, so a follower's push makes no staff lookup at all.
"""

from __future__ import annotations

import fcntl
import io
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine

from storage import db, rules
from storage import staff as staff_directory
from storage.uow import SqlUnitOfWork
from tests.harness import wechat as wx
from tests.integration.conftest import make_account
from tests.integration.test_rules_db import add, hits
from workflow import autoreply, staff_cases
from workflow.autoreply import MatchType
from workflow.model import Context
from workflow.roles import CONSOLE_ACTOR


@pytest.fixture
def under_lock(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Records each rule match and staff lookup as made "inside" or "outside" the lock."""
    seen: list[str] = []
    holding = [False]
    enter, leave = db.SqliteWriteLock.__enter__, db.SqliteWriteLock.__exit__

    def spying_enter(self: db.SqliteWriteLock) -> None:
        enter(self)
        holding[0] = True

    def spying_exit(self: db.SqliteWriteLock, *exc: object) -> None:
        holding[0] = False
        leave(self, *exc)

    def spy(name: str, real: object) -> object:
        def wrapper(*args: object, **kwargs: object) -> object:
            seen.append(f"{name} {'inside' if holding[0] else 'outside'}")
            return real(*args, **kwargs)  # type: ignore[operator]
        return wrapper

    monkeypatch.setattr(rules, "RULES_CACHE_SECONDS", 3600)  # however slow the runner
    within = db.SqliteWriteLock.within

    @contextmanager
    def spying_within(self: db.SqliteWriteLock, seconds: float) -> Iterator[None]:
        with within(self, seconds):
            holding[0] = True
            try:
                yield
            finally:
                holding[0] = False

    monkeypatch.setattr(db.SqliteWriteLock, "__enter__", spying_enter)
    monkeypatch.setattr(db.SqliteWriteLock, "__exit__", spying_exit)
    monkeypatch.setattr(db.SqliteWriteLock, "within", spying_within)
    monkeypatch.setattr("handlers.inbound.match", spy("match", autoreply.match))
    monkeypatch.setattr(staff_directory, "actor_by_openid",
                        spy("staff", staff_directory.actor_by_openid))
    yield seen


def test_rules_are_matched_before_the_lock_and_followers_not_looked_up(
        sqlite_engine: Engine, under_lock: list[str]) -> None:
    rule = add(sqlite_engine, MatchType.REGEX, r"^活动(时间|地点)")
    account = make_account(sqlite_engine)
    first = account.client.push(wx.text("活动时间？", msg_id=1))  # reads the rules
    assert "答复" in first.text
    under_lock.clear()
    second = account.client.push(wx.text("活动地点？", sender="o_another", msg_id=2))
    assert "答复" in second.text
    assert under_lock == ["match outside"]
    assert hits(sqlite_engine, rule.id) == 2


def test_without_a_fresh_copy_of_the_rules_they_are_read_in_the_transaction(
        sqlite_engine: Engine, under_lock: list[str]) -> None:
    add(sqlite_engine, MatchType.CLICK, "MENU_HELP", reply_text="帮助菜单")
    rules.forget_cached_rules()
    account = make_account(sqlite_engine)
    reply = account.client.push(wx.event("CLICK", EventKey="MENU_HELP"))
    assert "帮助菜单" in reply.text
    assert under_lock == ["match inside"]


def test_a_staff_members_push_is_known_from_the_write_that_records_them(
        sqlite_engine: Engine, under_lock: list[str]) -> None:
    """The sender's upsert says they are staff; only then is the member read,
    once, and a member removed a moment ago is a follower on their next push."""
    from sqlalchemy.orm import Session

    from tests.integration.commanding import NOW
    from workflow.roles import Role

    with Session(sqlite_engine) as session:
        member = staff_directory.add_staff(session, "李雷", frozenset({Role.REVIEWER}), NOW,
                                           openid="o_reviewer")
        session.commit()
    account = make_account(sqlite_engine)
    help_text = account.client.push(wx.text("帮助", sender="o_reviewer", msg_id=1)).text
    assert "命令" in help_text
    assert [seen for seen in under_lock if seen.startswith("staff")] == ["staff inside"]

    staff_cases.remove(SqlUnitOfWork(sqlite_engine), CONSOLE_ACTOR, member.id,
                       Context(now=NOW))
    under_lock.clear()
    after = account.client.push(wx.text("帮助", sender="o_reviewer", msg_id=2)).text
    assert "命令" not in after  # a follower's message: acknowledged, queued
    assert [seen for seen in under_lock if seen.startswith("staff")] == []


def test_a_forked_worker_takes_the_lock_on_its_own_descriptor(tmp_path: Path) -> None:
    """gunicorn forks its workers: one sharing the parent's descriptor would
    share its lock, and the two would write at once."""
    lock = db.SqliteWriteLock(str(tmp_path / "wxops.db"))
    with lock:
        parent_fd = lock._fd()
        child = os.fork()
        if child == 0:  # the child: the parent holds the lock, so this must wait
            try:
                fd = lock._fd()
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                os._exit(0 if fd == parent_fd else 2)  # got it: shared the parent's
            except BlockingIOError:
                os._exit(1)
            except BaseException:  # the child must never return into pytest
                os._exit(3)
        _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 1


def _lock_is_free(database: str) -> bool:
    fd = os.open(f"{database}.writelock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def _rows_in_database_file(path: Path) -> int:
    """Inbound rows in the database file itself, ignoring what is still only in the WAL."""
    with sqlite3.connect(f"file:{path}?immutable=1", uri=True) as conn:
        return int(conn.execute("SELECT count(*) FROM inbound_messages").fetchone()[0])


def test_the_wal_is_checkpointed_after_the_push_released_the_lock(
        sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A checkpoint writes and syncs the database file; under the write lock
    every other worker would wait for it. SQLite's own, inside the commit, is
    pushed far back; the endpoint checkpoints after the lock is released,
    once the reply is sent."""
    path = Path(str(sqlite_engine.url.database))
    checkpoints: list[bool] = []
    real = db._checkpoint

    def spying(conn: object) -> None:
        checkpoints.append(_lock_is_free(str(path)))
        real(conn)  # type: ignore[arg-type]

    monkeypatch.setattr(db, "CHECKPOINT_EVERY", 3)
    monkeypatch.setattr(db, "_checkpoint", spying)
    account = make_account(sqlite_engine)
    for msg_id in range(1, 6):
        account.client.push(wx.text("你好", msg_id=msg_id))
        assert len(checkpoints) == msg_id // 3  # every third push, not before
    assert checkpoints == [True]
    assert _rows_in_database_file(path) == 3  # the first three were copied back
    account.client.push(wx.text("你好", msg_id=6))
    assert checkpoints == [True, True] and _rows_in_database_file(path) == 6
    kept = db.KeptConnections(sqlite_engine)
    with kept.connection() as pushing:
        setting = db._driver(pushing).execute("PRAGMA wal_autocheckpoint").fetchone()
    kept.close()
    assert setting == (db.BACKSTOP_AUTOCHECKPOINT,)


def test_the_checkpoint_waits_until_the_reply_is_sent(
        sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its disk syncs come after the follower's answer: the server sends the
    reply, then closes it (PEP 3333), and only closing checkpoints."""
    checkpoints: list[str] = []
    monkeypatch.setattr(db, "CHECKPOINT_EVERY", 1)
    monkeypatch.setattr(db, "_checkpoint", lambda conn: checkpoints.append("done"))
    account = make_account(sqlite_engine)
    query, body = account.client.signer.build(wx.text("你好", msg_id=8), "plain")
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/wechat",
               "QUERY_STRING": urlencode(query), "CONTENT_LENGTH": str(len(body)),
               "wsgi.input": io.BytesIO(body)}
    reply = account.client.app(environ, lambda status, headers: None)
    assert "收到" in b"".join(reply).decode()
    assert checkpoints == []
    reply.close()  # type: ignore[attr-defined]
    assert checkpoints == ["done"]


def test_a_failed_checkpoint_costs_the_push_nothing(
        sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """The push committed before the checkpoint: a disk error there is logged,
    and the follower is answered as usual."""

    class FailingCheckpoint:
        def __init__(self, driver: sqlite3.Connection) -> None:
            self.driver = driver

        def execute(self, sql: str) -> sqlite3.Cursor:
            if "wal_checkpoint" in sql:
                raise sqlite3.OperationalError("disk I/O error")
            return self.driver.execute(sql)

    real_driver = db._driver
    monkeypatch.setattr(db, "CHECKPOINT_EVERY", 1)
    monkeypatch.setattr(db, "_driver", lambda conn: FailingCheckpoint(real_driver(conn)))
    account = make_account(sqlite_engine)
    reply = account.client.push(wx.text("请问活动时间？", msg_id=7))
    assert "收到" in reply.text
    assert "WAL checkpoint failed: disk I/O error" in caplog.text
    again = account.client.push(wx.text("请问活动时间？", msg_id=7))
    assert again.text == reply.text  # recorded: the retry gets the stored answer
