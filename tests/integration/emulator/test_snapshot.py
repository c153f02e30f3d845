"""The emulator's state file: a restarted emulator remembers what the platform would."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.emulator.server import start_in_thread
from bot.emulator.state import EmulatorConfig
from tests.integration.emulator.talking import TOKEN, Client, custom, send_text

Start = Callable[..., Client]


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Start]:
    """Starts emulators on one state file; each new one stops the one before."""
    stops: list[Callable[[], None]] = []

    def start_one(app_id: str = "wx0000000000demo") -> Client:
        while stops:
            stops.pop()()
        url, stop = start_in_thread(EmulatorConfig(app_id=app_id, token=TOKEN),
                                    state_file=tmp_path / "emulator-state.pickle")
        stops.append(stop)
        return Client(url)

    yield start_one
    while stops:
        stops.pop()()


def test_a_restart_keeps_windows_drafts_tokens_and_counts(start: Start) -> None:
    before = start()
    send_text(before)  # the follower writes: a 48-hour window of 5 sends
    assert custom(before) == 0
    draft = before.draft()
    token = before.token()

    after = start()
    # A token issued before the restart still works, and the draft is still there.
    assert after.wx("/cgi-bin/draft/count", method="GET", token=token) == {"total_count": 1}
    assert after.wx("/cgi-bin/draft/get", {"media_id": draft})["news_item"][0]["title"]
    # The window is still open, with the 4 sends the first run left.
    assert [custom(after) for _ in range(5)] == [0, 0, 0, 0, 45047]


def test_a_reset_is_remembered_too(start: Start) -> None:
    before = start()
    send_text(before)
    before.control("reset")
    assert custom(start()) == 45015


def test_an_unusable_file_is_set_aside_and_the_emulator_starts_afresh(
        start: Start, tmp_path: Path) -> None:
    state = tmp_path / "emulator-state.pickle"
    state.write_bytes(b"not a pickle")
    fresh = start()
    assert custom(fresh) == 45015
    assert (tmp_path / "emulator-state.pickle.unreadable").read_bytes() == b"not a pickle"


def test_the_state_of_another_account_is_not_used(start: Start, tmp_path: Path) -> None:
    send_text(start(app_id="wx1111111111other"))
    fresh = start()
    assert custom(fresh) == 45015
    assert (tmp_path / "emulator-state.pickle.unreadable").exists()


def test_a_state_file_that_cannot_be_written_does_not_stop_the_emulator(tmp_path: Path) -> None:
    url, stop = start_in_thread(EmulatorConfig(token=TOKEN),
                                state_file=tmp_path / "missing-folder" / "state.pickle")
    try:
        wx = Client(url)
        send_text(wx)
        assert custom(wx) == 0
    finally:
        stop()


def test_a_fresh_emulator_never_reuses_an_earlier_runs_ids() -> None:
    """Without a state file too: wxops keeps the ids an earlier run handed out, and
    would answer a reused MsgId as a retry of the old message."""
    ids = []
    for _ in range(2):
        url, stop = start_in_thread(EmulatorConfig(token=TOKEN))
        try:
            wx = Client(url)
            published = wx.wx("/cgi-bin/freepublish/submit", {"media_id": wx.draft()})
            ids.append((send_text(wx)["msg_id"], published["publish_id"]))
        finally:
            stop()
    (first_msg, first_publish), (second_msg, second_publish) = ids
    assert second_msg > first_msg and second_publish != first_publish
