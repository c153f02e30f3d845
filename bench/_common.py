"""Shared by the benchmarks: a throwaway PostgreSQL database, or a SQLite file."""

from __future__ import annotations

import atexit
import os
from pathlib import Path

from sqlalchemy import create_engine, text

PG_ADMIN = os.environ.get("WXOPS_TEST_DATABASE_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def database(kind: str, workdir: Path, name: str) -> str:
    """A fresh database URL: a file under ``workdir``, or a new PostgreSQL database."""
    if kind == "sqlite":
        workdir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{workdir / f'{name}.db'}"
    db_name = f"wxops_bench_{name}_{os.getpid()}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}"'))
        conn.execute(text(f'CREATE DATABASE "{db_name}"'))
    admin.dispose()
    atexit.register(_drop, db_name)
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{db_name}"


def _drop(db_name: str) -> None:
    """Benchmark databases go when the run ends (FORCE: a server may still be closing)."""
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
    admin.dispose()
