"""Several hosts, one database: two web servers and two workers as processes on one
PostgreSQL, one Redis and the emulator, with the two hosts' clocks 90 s ahead and
90 s behind the database's (time-machine moves each process's wall clock, as NTP
gone wrong would; libfaketime was tried and stalls Python's timed waits). The
tests share one fleet and run in order:

1. the two workers, started at the same instant on an empty database, elect one
   leader, and what runs at start runs once;
2. followers write at once to both hosts, WeChat's retries of a push land on the
   other host while the first is being answered, and staff act through both
   hosts: each push is stored once, each follower has one ticket, each reply is
   sent once, each article published once and the timed one not early, and the
   whole fleet fetched the access token once;
3. the leader is killed (SIGKILL): the other worker leads within a minute.

Who leads is read from the database (the session holding the advisory lock, named
after its worker) and from the workers' logs of leader-only jobs (as
tests/e2e/test_leader.py reads them; their timestamps are the skewed clocks', so
only who ran what is read from them, not when).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import Engine, func, select, text

from storage.db import make_engine
from storage.leader import LeaderLock
from storage.models import (
    AuditRow,
    Confirmation,
    ContentItemRow,
    Follower,
    InboundMessage,
    OutboxMessage,
    ReplyTicket,
)
from storage.uow import SqlUnitOfWork
from tests.conftest import REQUIRE_PG, PgServer, need
from tests.e2e.conftest import (
    _wait_emulator,
    free_port,
    migrate_database,
    process_env,
    wait_healthy,
    wxops,
)
from tests.e2e.test_leader import HOLDERS, WORKER
from tests.e2e.test_outbound import eventually
from tests.e2e.test_publishing import approved, team
from workflow import usecases
from workflow.model import Context, ItemChanges
from workflow.states import Event, State

REDIS_URL = os.environ.get("WXOPS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
#: Each host's clock against the database's, in seconds.
SKEW = {"a": 90, "b": -90}
WITHIN = 60.0  # seconds: the longest the account may be without a leader
FOLLOWERS = 10
#: Before `wxops …` runs: the process's wall clock (time.time, datetime.now, and so
#: the logs) moved by ``seconds`` and ticking on; monotonic time is left alone.
SKEWED = ("import datetime, time_machine; time_machine.travel(datetime.datetime.now("
          "datetime.UTC) + datetime.timedelta(seconds={seconds}), tick=True).start(); ")
LEADER_RUN = re.compile(r" DEBUG wxops\.worker (\w+) runs as the scheduler leader$", re.M)


@dataclass
class Fleet:
    emulator: str
    hosts: dict[str, str]  # host name → its server's URL
    database_url: str
    env: dict[str, str]
    workdir: Path
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, name: str, host: str, *args: str) -> subprocess.Popen[bytes]:
        """`wxops ARGS` on ``host``, whose clock is off by its SKEW (the worker's
        also logs the leader-only jobs it runs, as in test_leader.py)."""
        log = (self.workdir / f"{name}.log").open("ab")
        code = SKEWED.format(seconds=SKEW[host]) + WORKER
        process = subprocess.Popen([sys.executable, "-c", code, *args], env=self.env,
                                   cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def start_worker(self, host: str) -> None:
        self.workers[host] = self.start(f"worker-{host}", host, "worker", "--name", host)

    def log(self, name: str) -> str:
        return (self.workdir / f"{name}.log").read_text()

    def leader_runs(self) -> Counter[tuple[str, str]]:
        """(worker, job) of every leader-only job run logged."""
        return Counter((host, job) for host in self.workers
                       for job in LEADER_RUN.findall(self.log(f"worker-{host}")))

    def holders(self) -> list[str]:
        engine = make_engine(self.database_url)
        with engine.connect() as conn:
            key = {"key": LeaderLock(engine).key}
            names = [str(name) for _pid, name in conn.execute(HOLDERS, key)]
        engine.dispose()
        return names

    def say(self, openid: str, words: str, *hosts: str) -> dict[str, Any]:
        """A follower's (or staff member's) message pushed to ``hosts`` at once: to
        two of them, a push and WeChat's retry of it on the other host."""
        answer: dict[str, Any] = requests.post(f"{self.emulator}/_emulator/send", json={
            "openid": openid, "text": words,
            "hosts": [f"{self.hosts[h]}/wechat" for h in hosts]}, timeout=30).json()
        assert [a["status"] for a in answer["answers"]] == [200] * len(hosts), answer
        return answer

    def calls(self, path: str) -> list[dict[str, Any]]:
        found = requests.get(f"{self.emulator}/_emulator/calls", timeout=10).json()
        return [c for c in found if c["path"] == f"/cgi-bin/{path}"]


def _need_tools() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
        missing = None
    except redis.RedisError as exc:
        missing = f"no Redis at {REDIS_URL} ({exc})"
    need(missing, REQUIRE_PG, "Redis", "WXOPS_TEST_REQUIRE_POSTGRES")


@pytest.fixture(scope="module")
def fleet(pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    _need_tools()
    lent = pg_server.lend()
    database_url = next(lent)
    migrate_database(database_url)
    workdir = tmp_path_factory.mktemp("hosts")
    emulator = f"http://127.0.0.1:{free_port()}"
    hosts = {h: f"http://127.0.0.1:{free_port()}" for h in SKEW}
    # An account of its own: the token's Redis key is per AppID, so runs side by
    # side share nothing (bot/tokens.py).
    app_id = f"wx{uuid.uuid4().hex[:16]}"
    env = process_env(database_url, WXOPS_REDIS_URL=REDIS_URL,
                      WXOPS_WECHAT_API_BASE=emulator, WXOPS_PUBLIC_URL=hosts["a"],
                      WXOPS_OUTBOX_BACKOFF_SECONDS="0.3",
                      WXOPS_OUTBOX_LEASE_SECONDS="5") | {"WXOPS_APP_ID": app_id}
    fleet = Fleet(emulator, hosts, database_url, env, workdir)
    try:
        log = (workdir / "emulator.log").open("wb")
        fleet.processes.append(subprocess.Popen(
            wxops("emulator", "--port", emulator.rsplit(":", 1)[1], "--push-to",
                  f"{hosts['a']}/wechat", "--push-delay", "0.2"),
            env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT))
        servers = {h: fleet.start(f"server-{h}", h, "serve", "--port", url.rsplit(":", 1)[1],
                                  "--workers", "2") for h, url in hosts.items()}
        for h, url in hosts.items():
            wait_healthy(url, servers[h])
        _wait_emulator(emulator)
        for h in SKEW:  # at the same instant, on a database no worker has used
            fleet.start_worker(h)
        yield fleet
    finally:
        _stop(fleet)
        import redis

        redis.Redis.from_url(REDIS_URL).delete(f"wxops:access_token:{app_id}")
        next(lent, None)


def _stop(fleet: Fleet) -> None:
    for process in fleet.processes:
        if process.poll() is None:
            process.terminate()
    for process in fleet.processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def test_two_workers_started_at_once_elect_one_leader(fleet: Fleet) -> None:
    eventually(lambda: bool(fleet.leader_runs()), WITHIN)
    time.sleep(6.5)  # one interval of the busiest leader job: a second leader would show
    runners = {host for host, _job in fleet.leader_runs()}
    assert len(runners) == 1, f"leader jobs ran in both workers: {fleet.leader_runs()}"
    assert fleet.holders() == [f"wxops-leader {runners.pop()}"]
    # What a leader runs at start (the comments job) ran once in the fleet.
    assert sum(n for (_h, job), n in fleet.leader_runs().items()
               if job == "sync_comments") == 1


def _follower(fleet: Fleet, n: int) -> list[int]:
    """Two messages at the same moment, one to each host, then one whose push
    reaches both hosts at once (a retry on the other host): their MsgIds."""
    openid = f"o_fan{n:02d}"
    with ThreadPoolExecutor(2) as pool:
        both = list(pool.map(lambda h: fleet.say(openid, f"问题{n}{h}", h), SKEW))
    retried = fleet.say(openid, f"补充{n}", "a", "b")
    return [int(a["msg_id"]) for a in [*both, retried]]


def _publish_by_chat(fleet: Fleet, engine: Engine, item_id: int) -> None:
    """Reviewers and the admin through both hosts; the approval and the
    confirmation each pushed to both at once."""
    fleet.say("o_r1", f"通过 {item_id}", "a", "b")
    fleet.say("o_r2", f"终审 {item_id}", "b")
    eventually(lambda: _drafted(engine, item_id), 40)
    fleet.say("o_admin", f"发布 {item_id}", "a")
    with engine.connect() as conn:
        code = conn.scalar(select(Confirmation.code).order_by(Confirmation.id.desc()))
    fleet.say("o_admin", f"确认 {code}", "b", "a")


def _drafted(engine: Engine, item_id: int) -> bool:
    """The item's draft is in the draft box (a confirmation is void once the item
    changes, and storing the draft's id is a change)."""
    with engine.connect() as conn:
        rows = conn.execute(select(OutboxMessage.payload, OutboxMessage.status).where(
            OutboxMessage.kind == "sync_draft")).all()
    return any(p["item_id"] == item_id and status == "sent" for p, status in rows)


def _in_review(engine: Engine, ids: dict[str, int], title: str) -> int:
    """An item written and submitted: the reviewers take it from there by chat."""
    ctx = Context(now=datetime.now(UTC))
    item = usecases.plan(SqlUnitOfWork(engine), ids["creator"], title, ctx)
    usecases.act(SqlUnitOfWork(engine), ids["creator"], item.id, Event.START, ctx)
    usecases.edit(SqlUnitOfWork(engine), ids["creator"], item.id,
                  ItemChanges(body="<p>招募 20 名周末辅导志愿者。</p>"), ctx)
    usecases.act(SqlUnitOfWork(engine), ids["creator"], item.id, Event.SUBMIT, ctx)
    return item.id


def _timed(engine: Engine, ids: dict[str, int]) -> tuple[int, datetime]:
    """An item scheduled 20 s from now by the database's clock: its id and when."""
    item_id = approved(engine, ids, "定时发布")
    ctx = Context(now=datetime.now(UTC))
    usecases.act(SqlUnitOfWork(engine), ids["admin"], item_id, Event.SCHEDULE,
                 replace(ctx, when=ctx.now + timedelta(hours=1)))
    with engine.begin() as conn:
        due = conn.execute(text(
            "UPDATE content_items SET scheduled_at = clock_timestamp() + interval '20 seconds'"
            " WHERE id = :id RETURNING scheduled_at"), {"id": item_id}).scalar_one()
    return item_id, due


def _item(engine: Engine, item_id: int) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(ContentItemRow).where(ContentItemRow.id == item_id)).one()


def test_followers_retries_and_staff_across_two_hosts(fleet: Fleet) -> None:
    engine = make_engine(fleet.database_url)
    ids = team(engine)
    timed, due = _timed(engine, ids)
    chatted = _in_review(engine, ids, "冬季助学计划")
    with ThreadPoolExecutor(6) as pool:  # the staff at work while the followers write
        staff = pool.submit(_publish_by_chat, fleet, engine, chatted)
        msg_ids = [m for found in pool.map(lambda n: _follower(fleet, n), range(FOLLOWERS))
                   for m in found]
        staff.result()
    with engine.connect() as conn:
        stored = Counter(conn.scalars(select(InboundMessage.msg_id).where(
            InboundMessage.msg_id.in_(msg_ids))))
        tickets = {str(openid): int(n) for openid, n in conn.execute(
            select(Follower.openid, func.count(ReplyTicket.id))
            .join(ReplyTicket, ReplyTicket.follower_id == Follower.id)
            .group_by(Follower.openid))}
    assert stored == Counter(msg_ids), "a push was stored twice, or not at all"
    assert tickets == {f"o_fan{n:02d}": 1 for n in range(FOLLOWERS)}
    _replies_sent_once(fleet, engine)
    eventually(lambda: {_item(engine, i).state for i in (timed, chatted)}
               == {State.PUBLISHED.value}, 60)
    _published_once_and_not_early(fleet, engine, timed, due, chatted)
    assert len(fleet.calls("stable_token")) == 1 and fleet.calls("token") == []
    assert len({host for host, _job in fleet.leader_runs()}) == 1
    engine.dispose()


def _replies_sent_once(fleet: Fleet, engine: Engine) -> None:
    """The admin answers every ticket through one host or the other; each answer
    reaches its follower once."""
    with engine.connect() as conn:
        tickets = conn.execute(select(ReplyTicket.id, Follower.openid).join(
            Follower, ReplyTicket.follower_id == Follower.id)).all()
    for n, (ticket_id, openid) in enumerate(tickets):
        fleet.say("o_admin", f"回 T{ticket_id} 答{openid}", "ab"[n % 2])

    def all_sent() -> bool:
        with engine.connect() as conn:
            return set(conn.scalars(select(OutboxMessage.status).where(
                OutboxMessage.kind == "cs_reply"))) == {"sent"}

    eventually(all_sent, 30)
    sent = Counter((c["body"]["touser"], c["body"]["text"]["content"])
                   for c in fleet.calls("message/custom/send"))
    assert {(openid, f"答{openid}") for _t, openid in tickets} <= set(sent)
    assert all(sent[(openid, f"答{openid}")] == 1 for _t, openid in tickets), sent
    with engine.connect() as conn:
        assert set(conn.scalars(select(OutboxMessage.attempts).where(
            OutboxMessage.kind == "cs_reply"))) == {1}


def _published_once_and_not_early(fleet: Fleet, engine: Engine, timed: int, due: datetime,
                                  chatted: int) -> None:
    """One submission each (the emulator's publications, by the publish_id each
    item kept), the timed one not before it was due by the database's clock."""
    published = requests.get(f"{fleet.emulator}/_emulator/publications", timeout=10).json()
    assert len(fleet.calls("freepublish/submit")) == len(published) == 2
    when = {p["publish_id"]: p["submitted_at"] for p in published}
    assert due.timestamp() <= when[int(_item(engine, timed).publish_id)] \
        <= due.timestamp() + 30, (when, due)
    assert int(_item(engine, chatted).publish_id) in when
    with engine.connect() as conn:
        approvals = conn.scalar(select(func.count()).select_from(AuditRow).where(
            AuditRow.item_id == chatted, AuditRow.event == Event.APPROVE.value))
    assert approvals == 1


def test_the_leader_killed_the_other_worker_leads_within_a_minute(fleet: Fleet) -> None:
    # The fleet may be new (pytest's processes can share out this module's tests):
    # its workers elect a leader first.
    eventually(lambda: len(fleet.holders()) == 1, WITHIN)
    [holder] = fleet.holders()
    leader = holder.removeprefix("wxops-leader ")
    [survivor] = set(SKEW) - {leader}
    ran_before = fleet.leader_runs()
    fleet.workers[leader].send_signal(signal.SIGKILL)
    fleet.workers[leader].wait(timeout=15)
    killed = time.monotonic()

    def survivor_leads() -> bool:
        runs = fleet.leader_runs() - ran_before
        return fleet.holders() == [f"wxops-leader {survivor}"] and any(
            host == survivor for host, _job in runs)

    eventually(survivor_leads, WITHIN)
    took = time.monotonic() - killed
    assert took < WITHIN
    fleet.workers[survivor].send_signal(signal.SIGTERM)
    assert fleet.workers[survivor].wait(timeout=20) == 0
    assert "Traceback" not in fleet.log(f"worker-{survivor}")
    print(f"the survivor led {took:.1f} s after the leader was killed")
