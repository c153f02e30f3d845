"""A worker's job through a database outage: one line when it starts and one when it
ends, not a traceback from every job every round; other errors still raised."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest
from sqlalchemy.exc import OperationalError

from bot.job_faults import Outage, through_outages


def job_meeting(errors: list[Exception], name: str = "sync_drafts") -> Callable[[], None]:
    def job() -> None:
        if errors:
            raise errors.pop(0)

    job.__name__ = name
    return job


def cut() -> OperationalError:
    return OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked"))


def full() -> OperationalError:
    error = sqlite3.OperationalError("database or disk is full")
    error.sqlite_errorname = "SQLITE_FULL"
    return OperationalError("INSERT ...", {}, error)


def test_an_outage_is_said_once_when_it_starts_and_once_when_it_ends(
        caplog: pytest.LogCaptureFixture) -> None:
    outage = Outage()
    errors: list[Exception] = [cut(), full(), cut()]
    first = through_outages(job_meeting(errors), outage)
    other = through_outages(job_meeting(errors), outage)
    with caplog.at_level("DEBUG", logger="wxops.worker"):
        for job in (first, other, first, other, first):
            job()
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warned) == 2
    assert warned[0].startswith("database unavailable") and "database is locked" in warned[0]
    assert warned[1].startswith("database available again")
    assert not any(r.exc_info for r in caplog.records)


def test_any_other_error_is_raised_for_the_scheduler_to_log() -> None:
    wrapped = through_outages(job_meeting([ValueError("a bug")]), Outage())
    with pytest.raises(ValueError, match="a bug"):
        wrapped()
    statement = OperationalError("INSERT ...", {}, sqlite3.OperationalError("no such table: x"))
    with pytest.raises(OperationalError):
        through_outages(job_meeting([statement]), Outage())()


def test_a_job_that_did_not_need_the_database_does_not_end_the_outage(
        caplog: pytest.LogCaptureFixture) -> None:
    outage = Outage()
    errors: list[Exception] = [cut()]
    sending = through_outages(job_meeting(errors), outage)
    idle = through_outages(job_meeting([], "weekly_report"), outage)
    with caplog.at_level("WARNING", logger="wxops.worker"):
        sending()
        idle()
        assert [r.getMessage()[:20] for r in caplog.records] == ["database unavailable"]
        sending()
    assert caplog.records[-1].getMessage().startswith("database available again")
