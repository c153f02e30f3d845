"""How each engine is copied out and back in for ``wxops backup`` / ``wxops restore``.

SQLite: SQLite's online backup API (one step, so the copy is one read
transaction: a consistent snapshot while the server and worker keep writing,
which WAL mode lets them do). Restoring goes through the same API the other
way, so connections still open on the file see the restored database rather
than a file swapped under them.

PostgreSQL: ``pg_dump --format=custom``; back in, the schema emptied (what a
newer migration made would otherwise stay beside the restored tables) and
``pg_restore``'s script run by ``psql`` in the same single transaction. The
tools come with the server's client package (``postgresql-client``); their
major version must be the server's or newer.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import tempfile
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.engine import URL, make_url

from storage import migrate
from storage.models import Base


class BackupError(Exception):
    """``wxops backup`` or ``restore`` cannot go on: a ``code`` (a macro of
    templates/cli/errors.j2) and its ``data``."""

    def __init__(self, code: str, /, **data: object) -> None:
        super().__init__(code)
        self.code, self.data = code, data


class EngineCopy(Protocol):
    name: str
    #: The file the database is copied to, inside the backup folder.
    file_name: str

    def dump(self, into: Path, engine: Engine) -> str | None:
        """Copy the database into ``into``; the schema revision of that copy."""

    def load(self, source: Path) -> None: ...


def holds_data(engine: Engine) -> bool:
    """Whether any of wxops' tables has a row (a database only migrated holds none)."""
    with engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
        for table in Base.metadata.sorted_tables:
            if table.name not in present:
                continue
            if conn.execute(select(1).select_from(table).limit(1)).first() is not None:
                return True
    return False


def for_url(url: str) -> EngineCopy:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return SqliteCopy(_sqlite_path(parsed))
    return PostgresCopy(parsed)


def _sqlite_path(url: URL) -> Path:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        raise BackupError("backup_sqlite_memory")
    return Path(database)


class SqliteCopy:
    name = "sqlite"
    file_name = "database.sqlite3"

    def __init__(self, path: Path) -> None:
        self.path = path

    def dump(self, into: Path, engine: Engine) -> str | None:
        # Read back from the copy: wxops' own engine would queue for the write lock
        # (BEGIN IMMEDIATE) behind the server's writes to read the revision.
        if not self.path.is_file():
            raise BackupError("backup_database_missing", path=str(self.path))
        source = sqlite3.connect(self.path, timeout=30)
        target = sqlite3.connect(into)
        try:
            source.backup(target)  # pages=-1: the whole database in one step
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            return _revision(target)
        except sqlite3.Error as exc:
            raise BackupError("backup_sqlite_failed", detail=str(exc)) from None
        finally:
            target.close()
            source.close()

    def load(self, source: Path) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # immutable: no lock or -shm file in the backup folder, which may be read-only
        snapshot = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        target = sqlite3.connect(self.path, timeout=30)
        try:
            # The backup API copies pages as they are: a damaged snapshot would
            # replace a good database with a damaged one.
            if snapshot.execute("PRAGMA quick_check").fetchone() != ("ok",):
                raise BackupError("backup_damaged", path=source.name)
            snapshot.backup(target)
        except sqlite3.DatabaseError as exc:  # not a database at all, among others
            raise BackupError("backup_sqlite_failed", detail=str(exc)) from None
        finally:
            target.close()
            snapshot.close()


def _revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute(f"SELECT version_num FROM {migrate.VERSION_TABLE}").fetchone()
    except sqlite3.OperationalError:  # no such table: a database never migrated
        return None
    return None if row is None else str(row[0])


class PostgresCopy:
    name = "postgresql"
    file_name = "database.pgdump"

    def __init__(self, url: URL) -> None:
        self.url = url

    def dump(self, into: Path, engine: Engine) -> str | None:
        revision = migrate.current_revision(engine)
        _run("pg_dump", ["--format=custom", "--no-owner", "--no-privileges",
                         f"--file={into}"], self.url)
        return revision

    def load(self, source: Path) -> None:
        """The schema emptied and the dump restored in one transaction (psql
        --single-transaction around pg_restore's script): a restore that fails
        halfway leaves the database as it was. The script is written out whole
        first, so that one cut short by a pg_restore failure is never run."""
        schema = f'"{self._schema()}"'
        with tempfile.TemporaryDirectory(prefix="wxops-restore-") as work:
            script = Path(work) / "restore.sql"
            _run("pg_restore", ["--no-owner", "--no-privileges", f"--file={script}",
                                str(source)])
            _run("psql", ["--no-psqlrc", "--quiet", "--single-transaction",
                          "--set=ON_ERROR_STOP=1", f"--command=DROP SCHEMA {schema} CASCADE",
                          f"--command=CREATE SCHEMA {schema}", f"--file={script}"], self.url)

    def _schema(self) -> str:
        from sqlalchemy import create_engine

        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                return str(conn.scalar(text("SELECT current_schema()")))
        finally:
            engine.dispose()


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The database as a libpq URI for the client tools, and their environment:
    the password goes through it, not the command line other users can read."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def _run(tool: str, args: list[str], url: URL | None = None) -> None:
    """Run a PostgreSQL client tool, on the database of ``url`` if given."""
    env = dict(os.environ)
    if url is not None:
        uri, env = _libpq(url)
        args = [*args, f"--dbname={uri}"]
    try:
        done = subprocess.run([tool, *args], env=env, capture_output=True, check=False)
    except FileNotFoundError:
        raise BackupError("backup_tool_missing", tool=tool) from None
    if done.returncode:
        raise BackupError("backup_tool_failed", tool=tool,
                          detail=_first_line(done.stderr, done.returncode))


def _first_line(stderr: bytes, status: int) -> str:
    lines = [line for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[0] if lines else f"exit {status}"
