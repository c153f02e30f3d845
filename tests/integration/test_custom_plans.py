"""Custom plans are set once a transaction, and again in the next one."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session

from storage.plans import custom_plans


def test_custom_plans_are_set_once_a_transaction_and_in_each_new_one(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("plan_cache_mode is PostgreSQL's")
    said: list[str] = []

    def record(*args: object) -> None:
        said.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        with Session(engine) as session:
            for _ in range(2):  # two transactions, custom_plans asked twice in each
                with session.begin():
                    custom_plans(session)
                    custom_plans(session)
                    mode = session.execute(text("SHOW plan_cache_mode")).scalar()
                    assert mode == "force_custom_plan"
    finally:
        event.remove(engine, "before_cursor_execute", record)
    sets = [s for s in said if s.startswith("SET LOCAL")]
    assert len(sets) == 2
