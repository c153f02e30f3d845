"""Outbox sender throughput against the emulator, against a bare HTTP loop baseline.

Both send the same customer-service messages to the same emulator over real
sockets; the baseline is a plain ``requests`` loop doing nothing but the call.
The sender adds what makes sending safe: claiming, window checks, the
delivery marker, recording the outcome and the follower's send count. The
sender is wired as the worker wires it (``bot.worker.make_sender``): its lanes
(``--parallel``, default ``WXOPS_OUTBOX_PARALLEL``'s) and their key; on SQLite
it runs one lane whatever ``--parallel`` says.

The bare loop runs first and again last (others' load on a shared machine
drifts within a run), and once more with the environment's HTTP settings read
once beforehand (``bare, env once``), as the gateway's sessions read them: a
plain ``requests`` session reads every variable at every call.

On PostgreSQL two more baselines, the floor of any sender that keeps a
durable in-flight marker (``storage.outbox``): the bare loop with one durable commit
before each call (a single-statement UPDATE of the message's row, plain
psycopg in autocommit, ``synchronous_commit`` on), run once in one thread and
once on as many threads as the sender has lanes, each thread its own
connection and its own people.

    .venv/bin/python bench/outbox.py [--messages 2000] [--engines sqlite,postgresql]
                                     [--parallel N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bench._common import database, libpq_url  # noqa: E402
from bot import lanes  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.deliveries import handlers  # noqa: E402
from bot.emulator import DEMO_APP_ID, DEMO_APP_SECRET  # noqa: E402
from bot.gateway import Gateway, settle  # noqa: E402
from bot.sender import Sender  # noqa: E402
from bot.tokens import fetch_stable_token  # noqa: E402
from storage import followers, migrate, tickets  # noqa: E402
from storage.db import make_engine  # noqa: E402
from storage.tokens import DatabaseTokens  # noqa: E402
from storage.uow import JoinedUnitOfWork  # noqa: E402
from workflow import ticket_cases  # noqa: E402
from workflow.model import Context  # noqa: E402
from workflow.roles import Actor  # noqa: E402

PER_PERSON = 5  # the customer-service window allows 5 sends after a message


def start_emulator(port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "WXOPS_APP_ID": DEMO_APP_ID,
           "WXOPS_APP_SECRET": DEMO_APP_SECRET}
    process = subprocess.Popen([sys.executable, "-c", "from bot.cli import main; main()",
                                "emulator", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            requests.get(f"http://127.0.0.1:{port}/_emulator/health", timeout=1)
            return process
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError("emulator did not start")


def open_windows(base: str, people: list[str]) -> None:
    for openid in people:
        requests.post(f"{base}/_emulator/send", json={"openid": openid, "text": "hi"},
                      timeout=10)


@dataclass(frozen=True)
class Run:
    """A measured run: messages a second, and the CPU this process (the loop or
    the sender; not the emulator, not PostgreSQL) spent a message."""

    rate: float
    cpu_ms: float


def measured(count: int, work: Callable[[], object]) -> Run:
    started, cpu = time.perf_counter(), time.process_time()
    work()
    elapsed, spent = time.perf_counter() - started, time.process_time() - cpu
    return Run(count / elapsed, 1000 * spent / count)


def baseline(base: str, people: list[str], count: int, settled: bool = False) -> Run:
    """The bare loop: a ``requests`` session as it comes, which reads the
    environment (proxies, CA bundle, ``.netrc``) at every call; ``settled``, with
    that read once beforehand, as the gateway's sessions do (``bot.gateway``)."""
    token = fetch_stable_token(base, DEMO_APP_ID, DEMO_APP_SECRET, False)[0]
    session = requests.Session()
    if settled:
        settle(session, base)

    def loop() -> None:
        for n in range(count):
            body = {"touser": people[n // PER_PERSON], "msgtype": "text",
                    "text": {"content": f"baseline {n}"}}
            assert session.post(f"{base}/cgi-bin/message/custom/send",
                                params={"access_token": token}, json=body, timeout=10
                                ).json()["errcode"] == 0
    return measured(count, loop)


def floor(base: str, people: list[str], count: int, url: str, threads: int) -> Run:
    """The bare loop with one durable commit before each call: an UPDATE of the
    message's own row in its own transaction (autocommit, one round trip, the
    WAL flushed before it returns), the least a durable in-flight marker costs.
    On ``threads`` threads, person ``i`` on thread ``i % threads``, each thread
    with its own connection and HTTP session."""
    import psycopg

    dsn = libpq_url(url)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_floor")
        conn.execute("CREATE TABLE bench_floor (id integer PRIMARY KEY, started_at timestamptz)")
        conn.execute("INSERT INTO bench_floor (id) SELECT generate_series(0, %s)", (count,))
    token = fetch_stable_token(base, DEMO_APP_ID, DEMO_APP_SECRET, False)[0]

    def lane(lane: int) -> None:
        session = requests.Session()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("SET synchronous_commit = on")
            for n in range(count):
                if (n // PER_PERSON) % threads != lane:
                    continue
                conn.execute("UPDATE bench_floor SET started_at = now() WHERE id = %s", (n,))
                body = {"touser": people[n // PER_PERSON], "msgtype": "text",
                        "text": {"content": f"floor {n}"}}
                assert session.post(f"{base}/cgi-bin/message/custom/send",
                                    params={"access_token": token}, json=body, timeout=10
                                    ).json()["errcode"] == 0

    def lanes() -> None:
        workers = [threading.Thread(target=lane, args=(n,)) for n in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()

    run = measured(count, lanes)
    with psycopg.connect(dsn, autocommit=True) as conn:
        marked = conn.execute("SELECT count(started_at) FROM bench_floor").fetchone()
        conn.execute("DROP TABLE bench_floor")
    assert marked == (count,), marked  # every call had its marker (a thread that failed did not)
    return run


def fresh_windows(base: str, people: list[str]) -> None:
    """The emulator forgets the sends so far and each person writes again: five
    sends each are allowed once more."""
    requests.post(f"{base}/_emulator/reset", json={}, timeout=10)
    open_windows(base, people)


def prepare(url: str, people: list[str], count: int) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        staff_id = conn.execute(text(
            "INSERT INTO staff (name, roles, active, created_at) VALUES ('bench', 'admin', "
            "true, :now) RETURNING id"), {"now": now}).scalar_one()
        actor = Actor(staff_id, "bench", frozenset())
        for n, openid in enumerate(people):
            follower = followers.touch(conn, openid, now, "message").follower_id
            ticket = tickets.record_inbound(conn, follower, "text", "hi", None, now).ticket_id
            for k in range(PER_PERSON):
                ticket_cases.reply(JoinedUnitOfWork(conn, clock=lambda: now), actor, ticket,
                                   f"reply {n}.{k}", Context(now=now))
    engine.dispose()


def measure_sender(base: str, url: str, count: int, parallel: int) -> Run:
    engine = make_engine(url)
    tokens = DatabaseTokens(engine, DEMO_APP_ID, lambda force: fetch_stable_token(
        base, DEMO_APP_ID, DEMO_APP_SECRET, force))
    gateway = Gateway(DEMO_APP_ID, DEMO_APP_SECRET, base, tokens)
    sender = Sender(engine, gateway, handlers(), "bench", parallel=parallel,
                    lane_of=lanes.lane_of)
    sent: list[int] = []
    run = measured(count, lambda: sent.append(sender.drain(limit=50, max_batches=10_000)))
    sender.close()
    with engine.connect() as conn:
        done = conn.scalar(text("SELECT count(*) FROM outbox WHERE status = 'sent'"))
    engine.dispose()
    assert sent == [count] and done == count, (sent, done)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--parallel", type=int,
                        default=Settings.model_fields["outbox_parallel"].default)
    args = parser.parse_args()
    count = args.messages - args.messages % PER_PERSON
    with tempfile.TemporaryDirectory() as tmp:
        results: list[tuple[str, dict[str, Run]]] = []
        for offset, engine_kind in enumerate(args.engines.split(",")):
            port = 19100 + offset
            emulator = start_emulator(port)
            base = f"http://127.0.0.1:{port}"
            try:
                people = [f"o_bench_{engine_kind}_{i:05d}" for i in range(count // PER_PERSON)]
                open_windows(base, people)
                runs = {"bare loop": baseline(base, people, count)}
                fresh_windows(base, people)
                runs["bare, env once"] = baseline(base, people, count, settled=True)
                url = database(engine_kind, Path(tmp), "outbox")
                if engine_kind == "postgresql":
                    for threads in sorted({1, args.parallel}):
                        fresh_windows(base, people)
                        runs[f"floor x{threads}"] = floor(base, people, count, url, threads)
                fresh_windows(base, people)
                prepare(url, people, count)
                runs["sender"] = measure_sender(base, url, count, args.parallel)
                fresh_windows(base, people)  # again: the machine's load drifts during a run
                runs["bare, again"] = baseline(base, people, count)
                results.append((engine_kind, runs))
            finally:
                emulator.terminate()
                emulator.wait(timeout=10)
    report(results)


def report(results: list[tuple[str, dict[str, Run]]]) -> None:
    """Each run's rate and CPU a message; the sender's rate against each other run's."""
    for engine_kind, runs in results:
        sender = runs["sender"]
        print(f"\n{engine_kind}: {'msg/s':>8}{'CPU ms/msg':>12}{'sender / this':>15}")
        for name, run in runs.items():
            print(f"  {name:<12}{run.rate:>8.0f}{run.cpu_ms:>12.2f}"
                  f"{sender.rate / run.rate:>15.2f}")


if __name__ == "__main__":
    main()
