"""The database going away under inbound load, with the server and the worker as
processes and WeChat's pushes sent to them on loopback: on PostgreSQL the
connections cut and new ones refused for a few seconds (a TCP proxy between the
processes and the database); on SQLite the disk full. WeChat is only ever told
"got it" (a 200) for a push that is stored; anything else is a status it retries.
Once the fault passes the same processes take pushes again, /healthz says so, and
every push WeChat retried is stored exactly once."""

from __future__ import annotations

import errno
import itertools
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url

from storage.db import make_engine
from storage.models import InboundMessage, TicketMessage
from tests.conftest import PgServer
from tests.e2e.conftest import APP_ID, TOKEN, Stack, start_stack
from tests.e2e.test_outbound import eventually
from tests.harness import wechat as wx
from tests.harness.tcp_proxy import TcpProxy

#: Answers WeChat retries: the push was not taken (and nothing of it kept).
RETRYABLE = {503}
_MSG_IDS = itertools.count(24_000_000_000_000_001)


@dataclass
class Pushes:
    """Follower messages pushed as WeChat pushes them, and what each was answered."""

    stack: Stack
    answers: dict[int, list[int | None]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    signer: wx.WeChatSigner = field(default_factory=lambda: wx.WeChatSigner(TOKEN, APP_ID))

    def push(self, msg_id: int) -> int | None:
        """One try (a fresh nonce, as each of WeChat's retries has): the status, or
        None when no answer came within WeChat's 5 s."""
        query, body = self.signer.build(wx.text(content(msg_id), sender=f"o_load{msg_id % 7}",
                                                msg_id=msg_id, create_time=int(time.time())))
        try:
            status: int | None = requests.post(f"{self.stack.server}/wechat", params=query,
                                               data=body, timeout=5).status_code
        except requests.RequestException:
            status = None
        with self.lock:
            self.answers.setdefault(msg_id, []).append(status)
        return status

    def load(self, seconds: float, senders: int = 3) -> None:
        """Pushes from ``senders`` at once, one after another, for ``seconds``."""
        deadline = time.monotonic() + seconds

        def sender() -> None:
            while time.monotonic() < deadline:
                self.push(next(_MSG_IDS))
                time.sleep(0.05)

        with ThreadPoolExecutor(senders) as pool:
            for _ in range(senders):
                pool.submit(sender)

    def retry_until_taken(self, seconds: float = 30) -> None:
        """WeChat's retries of every push not answered 200, until each is."""
        deadline = time.monotonic() + seconds
        for msg_id, tries in list(self.answers.items()):
            while tries[-1] != 200:
                assert time.monotonic() < deadline, f"push {msg_id} never taken: {tries}"
                if self.push(msg_id) != 200:
                    time.sleep(0.3)

    def statuses(self) -> set[int | None]:
        return {s for tries in self.answers.values() for s in tries}


def content(msg_id: int) -> str:
    return f"断库测试 {msg_id}"


def stored(engine: Engine) -> tuple[dict[int, int], dict[str, int]]:
    """How many times each msg_id was recorded, and each content put in a ticket."""
    with engine.connect() as conn:
        recorded = conn.execute(select(InboundMessage.msg_id, func.count())
                                .group_by(InboundMessage.msg_id)).all()
        ticketed = conn.execute(select(TicketMessage.content, func.count())
                                .where(TicketMessage.direction == "in")
                                .group_by(TicketMessage.content)).all()
    return ({int(k): int(v) for k, v in recorded if k is not None},
            {str(k): int(v) for k, v in ticketed})


def each_stored_once(stack: Stack, pushes: Pushes) -> None:
    """Every push answered 200 is recorded once and reaches the queue once (a push
    kept for the worker, after a passing fault, reaches it when the worker replays it)."""
    engine = make_engine(stack.database_url)
    try:
        expected_ids = {m: 1 for m in pushes.answers}
        expected_texts = {content(m): 1 for m in pushes.answers}
        eventually(lambda: stored(engine) == (expected_ids, expected_texts), seconds=30)
        with engine.connect() as conn:
            unhandled = conn.scalar(select(func.count()).select_from(InboundMessage)
                                    .where(InboundMessage.error != ""))
        assert unhandled == 0
    finally:
        engine.dispose()


def healthz(stack: Stack) -> int:
    try:
        return requests.get(f"{stack.server}/healthz", timeout=5).status_code
    except requests.RequestException:
        return 0


@pytest.fixture
def proxied_stack(pg_server: PgServer, tmp_path: Path) -> Iterator[tuple[Stack, TcpProxy]]:
    """The stack on PostgreSQL, every connection of its processes through a proxy."""
    for url in pg_server.lend():
        target = make_url(url)
        with TcpProxy(target.host or "127.0.0.1", target.port or 5432) as proxy:
            through = target.set(host="127.0.0.1", port=proxy.port)
            for stack in start_stack(through.render_as_string(hide_password=False), tmp_path):
                yield stack, proxy


def test_postgresql_cut_and_refusing_under_load_loses_and_doubles_nothing(
        proxied_stack: tuple[Stack, TcpProxy]) -> None:
    stack, proxy = proxied_stack
    stack.start_worker("w1")
    started(stack, "w1")
    pushes = Pushes(stack)
    server_pid = stack.processes[1].pid
    with ThreadPoolExecutor(1) as pool:
        load = pool.submit(pushes.load, 9.0)
        time.sleep(2)
        cut = proxy.refuse(4.0)  # every connection dropped, new ones refused
        time.sleep(1)
        during = healthz(stack)
        cut.join()
        load.result(timeout=30)
    assert during == 503  # honest while the database is away
    eventually(lambda: healthz(stack) == 200, seconds=15)  # and again after, same process
    assert stack.processes[1].poll() is None and stack.processes[1].pid == server_pid
    assert pushes.statuses() <= {200} | RETRYABLE | {None}, pushes.statuses()
    assert RETRYABLE & pushes.statuses()  # the fault was met, not missed
    assert sum(t[0] == 200 for t in pushes.answers.values()) >= 10  # and there was load
    pushes.retry_until_taken()
    each_stored_once(stack, pushes)
    for _ in range(5):  # the same processes keep taking pushes
        assert pushes.push(next(_MSG_IDS)) == 200
    each_stored_once(stack, pushes)
    said_by_worker(stack)


def started(stack: Stack, worker: str) -> None:
    """The worker is through its start-up (its capability probe has run)."""
    log = stack.workdir / f"worker-{worker}.log"
    eventually(lambda: "capability probe" in log.read_text(encoding="utf-8"), seconds=20)


def said_by_worker(stack: Stack, lines: frozenset[int] = frozenset({1})) -> None:
    """The worker said the outage in a line when it began and one when it ended (if
    its jobs met it at all), not in a traceback from each job each round."""
    log = (stack.workdir / "worker-w1.log").read_text(encoding="utf-8")
    assert "Traceback" not in log
    said = log.count("database unavailable")
    assert said in lines and said == log.count("database available again")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB filesystem of its own (tmpfs), for a database that can fill it."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path) -> Path:
    """Every free byte of ``disk`` taken by one file."""
    filler = disk / "filler"
    # Unbuffered: a buffered file would try the bytes that did not fit again as it
    # closes, and fail there (whether any are left depends on the free space).
    with filler.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 65536)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


@pytest.fixture
def stack_on_small_disk(small_disk: Path, tmp_path: Path) -> Iterator[Stack]:
    """The stack on SQLite, its database alone on the small filesystem."""
    yield from start_stack(f"sqlite:///{small_disk / 'wxops.db'}", tmp_path)


def test_a_full_disk_refuses_pushes_retryably_and_half_writes_none(
        stack_on_small_disk: Stack, small_disk: Path) -> None:
    """SQLite on a disk that fills up: each push is stored whole or answered 503
    (WeChat retries it), never 200 with nothing stored; once space is freed the
    same processes store the retries, each once."""
    stack = stack_on_small_disk
    stack.start_worker("w1")
    started(stack, "w1")
    pushes = Pushes(stack)
    for _ in range(5):
        assert pushes.push(next(_MSG_IDS)) == 200
    filler = fill(small_disk)
    pushes.load(4.0, senders=2)
    full = pushes.statuses()
    filler.unlink()
    assert full <= {200, 503}, full
    assert 503 in full  # the disk full was met
    pushes.retry_until_taken()
    each_stored_once(stack, pushes)
    said_by_worker(stack, lines=frozenset({0, 1}))  # a job may not have needed to write
