"""Database fixtures: every ``engine`` test runs on SQLite *and* PostgreSQL.
Browser tests (tests/browser) need Debian's chromium and chromium-driver.

PostgreSQL comes from ``WXOPS_TEST_DATABASE_URL`` (default: the local server's
``test`` database). Each run creates its own database there and drops it at
the end, so runs never collide. Without a reachable server the PostgreSQL half
is skipped with a loud notice, unless ``WXOPS_TEST_REQUIRE_POSTGRES=1`` (CI),
which turns that into a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from storage import migrate, rules
from storage.db import make_engine
from storage.models import Base

PG_URL = os.environ.get("WXOPS_TEST_DATABASE_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("WXOPS_TEST_REQUIRE_POSTGRES") == "1"
ENGINES = ("sqlite", "postgresql")
ENGINE_PROPERTY = "wxops_engine"
REQUIRE_BROWSER = os.environ.get("WXOPS_TEST_REQUIRE_BROWSER") == "1"
BROWSER_PROPERTY = "wxops_browser"
#: Debian's chromium and chromium-driver (tests/browser/conftest.py drives them).
BROWSER_FILES = ("/usr/bin/chromium", "/usr/bin/chromedriver")
_outcomes: Counter[tuple[str, str]] = Counter()


@cache
def postgres_unavailable() -> str | None:
    """Why PostgreSQL cannot be used, or None when it can."""
    try:
        eng = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with eng.connect() as conn:
            conn.execute(text("SELECT 1"))
        eng.dispose()
    except Exception as exc:  # any failure to connect means "not available"
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0]}"
    return None


def browser_unavailable() -> str | None:
    """Why the browser tests cannot run, or None when they can."""
    missing = [path for path in BROWSER_FILES if not os.access(path, os.X_OK)]
    if missing:
        return f"{' and '.join(missing)} not installed (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (make setup)"
    return None


def need(reason: str | None, required: bool, what: str, variable: str) -> None:
    """Skip (or, where CI requires it, fail) a test that needs ``what`` when
    ``reason`` says why it is unavailable."""
    if reason is None:
        return
    if required:
        pytest.fail(f"{what} is required ({variable}=1) but {reason}")
    pytest.skip(f"{what} unavailable: {reason}")


def _need_postgres() -> None:
    need(postgres_unavailable(), REQUIRE_PG, "PostgreSQL", "WXOPS_TEST_REQUIRE_POSTGRES")


class PgServer:
    """Creates throwaway databases on the test server, lends them to tests and drops
    them at the end of the run.

    A database a test is done with is emptied and lent again rather than dropped:
    every DROP DATABASE waits for a checkpoint of the whole server, which took
    seconds each (minutes in all) while other suites shared the machine."""

    def __init__(self) -> None:
        self.admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        self.created: list[str] = []
        self.spare: list[str] = []

    def create(self) -> str:
        """The URL of a new, empty database, kept to the end of the run."""
        name = f"wxops_test_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self._url(name)

    def lend(self) -> Iterator[str]:
        """The URL of an empty database for one test (a fixture's body): a spare one
        if there is one, else a new one; emptied for the next test afterwards."""
        url = self._url(self.spare.pop()) if self.spare else self.create()
        yield url
        self._empty(make_url(url).database or "")

    def _empty(self, name: str) -> None:
        """As new: its connections closed (and with them any advisory lock), its
        schema dropped with everything in it. A database that resists is left for
        the drop at the end, never lent half-empty."""
        engine = create_engine(self._url(name), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = current_database() "
                                  "AND pid <> pg_backend_pid()"))
                if not _alone(conn):
                    return
                conn.execute(text("SET lock_timeout = 10000"))
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        except DBAPIError:
            return
        finally:
            engine.dispose()
        self.spare.append(name)

    @staticmethod
    def _url(name: str) -> str:
        return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        """Drop every database made, in a process of its own that outlives the run:
        each DROP DATABASE waits for a checkpoint of the whole server, which at the
        end of a run (all its writes to flush) took up to 20 s a test process, and
        nothing needs to wait for throwaway databases to go."""
        self.admin.dispose()
        if self.created:
            subprocess.Popen([sys.executable, "-c", _DROP, PG_URL, *self.created],
                             start_new_session=True, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


_DROP = """import sys
from sqlalchemy import create_engine, text
with create_engine(sys.argv[1], isolation_level="AUTOCOMMIT").connect() as conn:
    for name in sys.argv[2:]:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
"""


def _alone(conn: Connection, seconds: float = 10.0) -> bool:
    """Until the sessions told to end have ended: pg_terminate_backend only signals
    them, and one that lingers still holds its advisory locks (a worker's leader
    lock), so the next test to borrow the database would find it taken."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        others = conn.execute(text("SELECT count(*) FROM pg_stat_activity "
                                   "WHERE datname = current_database() "
                                   "AND pid <> pg_backend_pid()")).scalar_one()
        if not others:
            return True
        time.sleep(0.02)
    return False


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    _need_postgres()
    server = PgServer()
    yield server
    server.drop_all()


@pytest.fixture(scope="session")
def pg_migrated(pg_server: PgServer) -> Iterator[Engine]:
    engine = make_engine(pg_server.create())
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "wxops.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def sqlite_engine(sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty SQLite database only, for what only SQLite has."""
    path = tmp_path / "wxops.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


def _no_leader(engine: Engine, seconds: float = 10.0) -> None:
    """End the sessions that hold an advisory lock (a worker's leader lock a test
    did not give back): the next test on this database would not lead. A
    terminated session lets its locks go only when it has ended: waited for."""
    held = ("FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
            "WHERE l.locktype = 'advisory' AND d.datname = current_database() "
            "AND l.pid <> pg_backend_pid()")
    with engine.connect() as conn:
        conn.execute(text(f"SELECT pg_terminate_backend(l.pid) {held}"))
        deadline = time.monotonic() + seconds
        while conn.execute(text(f"SELECT count(*) {held}")).scalar_one():
            if time.monotonic() > deadline:
                raise RuntimeError("a leader lock outlived its test's session")
            time.sleep(0.02)
        conn.rollback()


#: Which tables hold rows: one statement, a millisecond or two.
_FILLED = " UNION ALL ".join(f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")"
                             for t in Base.metadata.sorted_tables)
#: Every sequence of the schema back to its start, as RESTART IDENTITY would.
_RESTART = ("SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND n.nspname = current_schema()")


def _truncate(engine: Engine) -> None:
    """The shared database as a test found it: the tables the test filled emptied
    (children first), every sequence restarted, the schema's revision kept.

    A TRUNCATE of every table cost about 270 ms a test (a new file for each of
    some forty tables and their indexes); deleting the few rows a test wrote
    costs a few."""
    with engine.begin() as conn:
        # The pooled connection may be one the endpoint kept, with its 1-second
        # statement and lock timeouts still set: on a loaded machine emptying the
        # tables can take longer, and a cancelled one leaves the next test's rows.
        conn.execute(text("SET LOCAL statement_timeout = 60000"))
        conn.execute(text("SET LOCAL lock_timeout = 60000"))
        filled = set(conn.execute(text(_FILLED)).scalars())
        for table in reversed(Base.metadata.sorted_tables):
            if table.name in filled:
                conn.execute(table.delete())
        conn.execute(text(_RESTART))
        conn.execute(text("DELETE FROM alembic_version"))
        conn.execute(text("INSERT INTO alembic_version VALUES (:v)"),
                     {"v": migrate.head_revision(engine)})


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database on each engine."""
    if request.param == "sqlite":
        path = tmp_path / "wxops.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        eng = make_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
        return
    eng = request.getfixturevalue("pg_migrated")
    yield eng
    _no_leader(eng)
    _truncate(eng)
    rules.forget_cached_rules()  # the PostgreSQL database is reused by the next test


@pytest.fixture(params=ENGINES)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all, for migration tests."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    yield from server.lend()


@pytest.fixture(params=ENGINES)
def engine_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, empty database, for tests that run `wxops db upgrade`."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cli.db'}"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    yield from server.lend()


def _engine_of(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return None
    for name in ("engine", "empty_database_url", "engine_url", "database_url"):
        if name in callspec.params:
            return str(callspec.params[name])
    return None


def _is_browser_test(item: pytest.Item) -> bool:
    return "browser" in Path(str(item.fspath)).parts


#: The order the suite runs in: the tests that start wxops as processes (seconds
#: each) first, the in-process ones (milliseconds) last, so that the processes
#: that run out of work take long tests early and the run ends on short ones.
RUN_ORDER = {"e2e": 0, "browser": 1, "integration": 2, "unit": 3}


def _run_rank(item: pytest.Item) -> int:
    parts = Path(str(item.fspath)).parts
    return next((RUN_ORDER[p] for p in reversed(parts) if p in RUN_ORDER), len(RUN_ORDER))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _engine_of(item):
            item.add_marker(pytest.mark.db)
        if _is_browser_test(item):
            item.add_marker(pytest.mark.browser)
    items.sort(key=_run_rank)  # stable: each part keeps its own order


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    outcome = yield
    engine_name = _engine_of(item)
    if engine_name:  # travels with the report from a pytest-xdist worker
        outcome.get_result().user_properties.append((ENGINE_PROPERTY, engine_name))
    if _is_browser_test(item):
        outcome.get_result().user_properties.append((BROWSER_PROPERTY, "chromium"))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Counted where the reports arrive: in the one process, or in the controller
    when the tests run in several (``make test`` runs them with pytest-xdist)."""
    properties = dict(report.user_properties)
    counted = report.when == "call" or report.outcome != "passed"
    for name in (properties.get(ENGINE_PROPERTY), properties.get(BROWSER_PROPERTY)):
        if name and counted:
            _outcomes[(str(name), report.outcome)] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    tr = terminalreporter
    if hasattr(tr.config, "workerinput"):  # a pytest-xdist worker: the controller reports
        return
    tr.section("tests per database engine")
    for name in ENGINES:
        counts = {o: _outcomes[(name, o)] for o in ("passed", "failed", "skipped")}
        tr.write_line(f"{name}: {counts['passed']} passed, {counts['failed']} failed, "
                      f"{counts['skipped']} skipped")
    reason = postgres_unavailable() if _outcomes[("postgresql", "skipped")] else None
    if reason:
        _banner(tr, "THE POSTGRESQL HALF OF THE SUITE WAS SKIPPED: only SQLite was tested.",
                reason, "Start PostgreSQL or set WXOPS_TEST_DATABASE_URL; CI requires it.")
    _browser_summary(tr)


def _browser_summary(tr: pytest.TerminalReporter) -> None:
    counts = {o: _outcomes[("chromium", o)] for o in ("passed", "failed", "skipped")}
    if not any(counts.values()):
        return
    tr.section("browser tests")
    tr.write_line(f"chromium: {counts['passed']} passed, {counts['failed']} failed, "
                  f"{counts['skipped']} skipped")
    reason = browser_unavailable() if counts["skipped"] else None
    if reason:
        _banner(tr, "THE BROWSER TESTS WERE SKIPPED: no page was checked in Chromium.", reason,
                "Install them or run .ci/run; CI requires them (WXOPS_TEST_REQUIRE_BROWSER=1).")


def _banner(tr: pytest.TerminalReporter, *lines: str) -> None:
    """A notice nobody scrolling past the summary can miss."""
    tr.write_line("")
    tr.write_line("!" * 78, red=True, bold=True)
    for line in lines:
        tr.write_line(f"!! {line}", red=True, bold=True)
    tr.write_line("!" * 78, red=True, bold=True)


@pytest.fixture(autouse=True)
def _fresh_word_list() -> None:
    """Each test's database starts its ids again: a list built for another test
    could share its stamp, so no test inherits one (workflow/revision_checks.WORDS)."""
    from workflow import revision_checks
    revision_checks.WORDS.clear()
