"""The worker's links check on both engines, against a local HTTP server on
127.0.0.1 (allowed by WXOPS_LINK_CHECK_PRIVATE, as only tests do): an address
that answers, one gone (404), a redirect followed, one that takes GET only, one
that redirects forever and one that hangs past the timeout. Each dead address
becomes a warning of the item's check; nothing is asked twice within the
interval; without the setting nothing on this machine is asked at all."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from sqlalchemy import Engine, select

from bot.config import load_settings
from bot.wiring import App
from bot.worker import Jobs
from storage.models import LinkCheckRow
from storage.uow import SqlUnitOfWork
from tests.integration.commanding import make_team
from workflow import usecases
from workflow.checks import CheckResult, Code
from workflow.model import Context, ItemChanges
from workflow.states import Event

TIMEOUT = 0.3  # seconds; the hanging address is let go at teardown
PATHS = ("ok", "gone", "moved", "nohead", "loop", "slow")


class Site(BaseHTTPRequestHandler):
    asked: ClassVar[Counter[str]] = Counter()
    release = threading.Event()

    def do_HEAD(self) -> None:  # http.server's names
        self._answer(head=True)

    def do_GET(self) -> None:
        self._answer(head=False)

    def _answer(self, head: bool) -> None:
        path = self.path.strip("/")
        Site.asked[path] += 1
        if path == "slow":
            Site.release.wait(2)
        status, where = {"ok": (200, ""), "moved": (302, "/ok"), "loop": (302, "/loop"),
                         "nohead": (405 if head else 200, "")}.get(path, (404, ""))
        self.send_response(status)
        if where:
            self.send_header("Location", where)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    Site.asked.clear()
    Site.release.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    Site.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def worker(engine: Engine) -> Iterator[Callable[..., Jobs]]:
    """The worker's jobs with more settings; its leader lock given back after the
    test (the PostgreSQL database is the next test's, and so is the lock)."""
    made: list[Jobs] = []

    def make(**more: str) -> Jobs:
        made.append(jobs(engine, **more))
        return made[-1]
    yield make
    for each in made:
        each.leader.release()


def jobs(engine: Engine, **more: str) -> Jobs:
    settings = load_settings({"WXOPS_APP_ID": "wx_test", "WXOPS_APP_SECRET": "s",
                              "WXOPS_TOKEN": "linkCheck", "WXOPS_LINK_CHECK_MINUTES": "30",
                              "WXOPS_LINK_TIMEOUT_SECONDS": str(TIMEOUT), **more})
    return Jobs(App(settings=settings, engine=engine), "test-links")


def in_review(engine: Engine, base: str) -> int:
    """An item in review whose reference list cites every path of the site."""
    team, ctx = make_team(engine), Context(now=datetime.now(UTC), command="test")
    cited = "".join(f"<p>[{n}] {base}/{path}</p>" for n, path in enumerate(PATHS, start=1))
    item = usecases.plan(SqlUnitOfWork(engine), team.wang, "冬衣募集", ctx)
    usecases.edit(SqlUnitOfWork(engine), team.wang, item.id,
                  ItemChanges(body=f"<p>周六收冬衣。</p><section><p>参考资料</p>{cited}</section>"),
                  ctx)
    for event in (Event.START, Event.SUBMIT):
        usecases.act(SqlUnitOfWork(engine), team.wang, item.id, event, ctx)
    return item.id


def check_of(engine: Engine, item_id: int) -> CheckResult:
    with SqlUnitOfWork(engine) as uow:
        item = uow.items.get(item_id)
        assert item is not None
        result = uow.checks.of(item_id, item.revision)
    assert result is not None
    return result


def dead(engine: Engine, item_id: int) -> dict[str, str]:
    result = check_of(engine, item_id)
    return {str(f.data["url"]).rsplit("/", 1)[1]: str(f.data["status"])
            for f in result.findings if f.code is Code.LINK_DEAD}


def statuses(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(select(LinkCheckRow.url, LinkCheckRow.status)).all()
    return {url.rsplit("/", 1)[1]: status for url, status in rows}


def test_dead_links_become_warnings_and_are_asked_once_per_interval(
        engine: Engine, site: str, worker: Callable[..., Jobs]) -> None:
    item_id = in_review(engine, site)
    checker = worker(WXOPS_LINK_CHECK_PRIVATE="1")
    checker.check_links()
    assert statuses(engine) == {"ok": "ok", "gone": "404", "moved": "ok", "nohead": "ok",
                                "loop": "redirects", "slow": "timeout"}
    assert dead(engine, item_id) == {"gone": "404", "loop": "redirects", "slow": "timeout"}
    assert Site.asked["nohead"] == 2 and Site.asked["ok"] == 2  # HEAD, then GET; and a hop
    before = sum(Site.asked.values())
    checker.check_links()
    assert sum(Site.asked.values()) == before  # nothing asked again within the interval
    assert not check_of(engine, item_id).refused


def test_without_the_tests_setting_this_machine_is_never_asked(
        engine: Engine, site: str, worker: Callable[..., Jobs]) -> None:
    item_id = in_review(engine, site)
    worker().check_links()
    assert not Site.asked and set(statuses(engine).values()) == {"blocked"}
    assert dead(engine, item_id) == {}
