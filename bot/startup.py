"""What a long-running process checks before it starts, and ``/healthz`` reports.

`wxops serve`, `wxops worker`, `wxops run` and gunicorn's ``bot.wsgi:app``
warn about ``WXOPS_*`` variables that are not settings (a typo is otherwise
silently ignored) and refuse a database whose schema is not at the migration
head: on a database never migrated every push would get a 503.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine

from bot.config import PREFIX, is_known_variable
from handlers import texts
from storage import migrate

#: `wxops serve` and `wxops run` listen on DEFAULT_HOST:DEFAULT_PORT unless told
#: otherwise, and `run` puts the demo's emulator on DEFAULT_EMULATOR_PORT: `wxops
#: config check` shows the demo's settings with those addresses.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_EMULATOR_PORT = 9090


class SchemaNotCurrent(Exception):
    """The database is not at the migration head: its ``state`` says how (and
    ``state.refusal()`` what to do)."""

    def __init__(self, state: SchemaState) -> None:
        super().__init__(state.code)
        self.state = state


@dataclass(frozen=True)
class SchemaState:
    """``status``: ``ok``, ``not_migrated`` (no revision), ``outdated`` (an older
    revision of this code) or ``unrecognised`` (one this code does not know)."""

    status: str
    revision: str | None
    head: str | None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def code(self) -> str:
        """The refusal's code in templates/cli/errors.j2 (``schema_<status>``)."""
        return f"schema_{self.status}"

    @property
    def data(self) -> dict[str, str | None]:
        return {"revision": self.revision, "head": self.head}

    def refusal(self) -> str:
        """What to do about a schema not at the head, in words."""
        return texts.phrase("cli/errors", self.code, **self.data)


class SchemaCheck:
    """Compares the database's Alembic revision with this code's head. The
    migration scripts are read once; a check is then two small queries."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @cached_property
    def _revisions(self) -> tuple[str | None, frozenset[str]]:
        return migrate.known_revisions(self.engine)

    def state(self) -> SchemaState:
        """Raises SQLAlchemyError when the database cannot be reached."""
        head, known = self._revisions
        revision = migrate.current_revision(self.engine)
        if revision is None:
            return SchemaState("not_migrated", None, head)
        if revision == head:
            return SchemaState("ok", revision, head)
        return SchemaState("outdated" if revision in known else "unrecognised", revision, head)


def require_current_schema(engine: Engine) -> None:
    """Raise SchemaNotCurrent unless the schema is at the head. The check's
    connection is closed, not pooled: `wxops serve` forks gunicorn's workers
    after it, and a connection two processes share breaks in both."""
    try:
        state = SchemaCheck(engine).state()
    finally:
        engine.dispose()
    if not state.ok:
        raise SchemaNotCurrent(state)


def child_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment for the processes `wxops run` starts, without the ``WXOPS_*``
    variables that are not settings: it warned about them already, nothing reads
    them, and each child would warn again."""
    return {name: value for name, value in environ.items()
            if not name.startswith(PREFIX) or is_known_variable(name)}
