"""The worker's clock: this host's, corrected to the database server's."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from bot.clock import RETRY_SECONDS, DatabaseClock

REAL = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


class Host:
    """A host whose clock runs ``skew`` ahead of the database's; monotonic seconds
    move only when told."""

    def __init__(self, skew: timedelta) -> None:
        self.skew, self.elapsed, self.asked = skew, 0.0, 0
        self.failing = False

    def local(self) -> datetime:
        return REAL + timedelta(seconds=self.elapsed) + self.skew

    def server(self) -> datetime:
        self.asked += 1
        if self.failing:
            raise OSError("connection refused")
        return REAL + timedelta(seconds=self.elapsed)

    def clock(self) -> DatabaseClock:
        return DatabaseClock(self.server, every=60, local=self.local,
                             monotonic=lambda: self.elapsed)


def test_hosts_ahead_and_behind_read_the_database_time() -> None:
    for skew in (timedelta(seconds=90), timedelta(seconds=-90), timedelta(0)):
        host = Host(skew)
        clock = host.clock()
        assert clock() == REAL and clock.offset == -skew
        host.elapsed = 30
        assert clock() == REAL + timedelta(seconds=30)


def test_the_offset_is_measured_once_a_minute() -> None:
    host = Host(timedelta(seconds=90))
    clock = host.clock()
    for second in range(0, 60, 10):
        host.elapsed = second
        clock()
    assert host.asked == 1
    host.skew = timedelta(seconds=95)  # the host's clock drifted further
    host.elapsed = 60
    assert clock() == REAL + timedelta(seconds=60) and host.asked == 2


def test_a_database_that_cannot_be_asked_keeps_the_last_offset() -> None:
    host = Host(timedelta(seconds=90))
    clock = host.clock()
    clock()
    host.failing, host.elapsed = True, 61
    assert clock() == REAL + timedelta(seconds=61)  # measured a minute ago
    clock()
    assert host.asked == 2  # not asked again at once
    host.failing, host.elapsed = False, 61 + RETRY_SECONDS
    clock()
    assert host.asked == 3


def test_without_a_server_clock_the_host_clock_is_used_and_never_asked_again() -> None:
    asked: list[int] = []

    def sqlite() -> datetime | None:
        asked.append(1)
        return None

    clock = DatabaseClock(sqlite, local=lambda: REAL)
    assert clock() == clock() == REAL and len(asked) == 1


def test_clocks_that_agree_within_the_measurement_are_left_alone() -> None:
    host = Host(timedelta(milliseconds=30))
    assert host.clock()() == host.local()


def test_in_the_background_a_caller_never_waits_for_the_database() -> None:
    import threading

    host, answered = Host(timedelta(seconds=90)), threading.Event()
    slow_server = host.server

    def server() -> datetime:
        answered.wait(5)  # the database takes its time
        return slow_server()

    clock = DatabaseClock(server, local=host.local, monotonic=lambda: host.elapsed,
                          background=True)
    assert clock() == host.local()  # not measured yet: this host's clock
    answered.set()
    for _ in range(500):  # the thread measures
        if clock.offset:
            break
        time.sleep(0.01)
    assert clock() == REAL
