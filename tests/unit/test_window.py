"""The customer-service window (workflow.window), from the recorded interactions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workflow.window import Closed, Counter, Interactions, Window, window

NOW = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
HOUR, SECOND = timedelta(hours=1), timedelta(seconds=1)


@pytest.mark.parametrize(("seen", "queued", "expected"), [
    (None, 0, Window(None, Closed.UNSUBSCRIBED)),
    (Interactions(False, last_message_at=NOW), 0, Window(None, Closed.UNSUBSCRIBED)),
    (Interactions(True), 0, Window(None, Closed.EXPIRED)),
    (Interactions(True, last_message_at=NOW - 47 * HOUR), 0, Window(Counter.MESSAGE)),
    (Interactions(True, last_message_at=NOW - 48 * HOUR), 0, Window(None, Closed.EXPIRED)),
    (Interactions(True, last_message_at=NOW, message_sent=4), 0, Window(Counter.MESSAGE)),
    (Interactions(True, last_message_at=NOW, message_sent=5), 0, Window(None, Closed.USED_UP)),
    (Interactions(True, last_message_at=NOW, message_sent=3), 2, Window(None, Closed.USED_UP)),
    (Interactions(True, last_event_at=NOW - 59 * SECOND), 0, Window(Counter.EVENT)),
    (Interactions(True, last_event_at=NOW - 60 * SECOND), 0, Window(None, Closed.EXPIRED)),
    (Interactions(True, last_event_at=NOW, event_sent=2), 1, Window(None, Closed.USED_UP)),
    # a used-up message window falls back on a fresh event's
    (Interactions(True, last_message_at=NOW, message_sent=5, last_event_at=NOW), 0,
     Window(Counter.EVENT)),
])
def test_the_window(seen: Interactions | None, queued: int, expected: Window) -> None:
    assert window(seen, NOW, queued) == expected
    assert window(seen, NOW, queued).open is (expected.counter is not None)
