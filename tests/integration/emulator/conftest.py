"""Emulators for the tests in this folder: one alone, and one pushing to a receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.emulator.server import start_in_thread
from bot.emulator.state import EmulatorConfig
from tests.integration.emulator.talking import AES_KEY, TOKEN, Client, Receiver


@pytest.fixture
def wx() -> Iterator[Client]:
    url, stop = start_in_thread(EmulatorConfig(token=TOKEN, push_delay=0.05))
    yield Client(url)
    stop()


@pytest.fixture(params=["plain", "safe"])
def pushed(request: pytest.FixtureRequest) -> Iterator[tuple[Client, Receiver]]:
    """An emulator pushing to a receiver, in plain and in safe (AES) mode."""
    aes_key = AES_KEY if request.param == "safe" else ""
    receiver = Receiver(aes_key)
    config = EmulatorConfig(token=TOKEN, encoding_aes_key=aes_key, push_to=receiver.url,
                            push_delay=0.05)
    url, stop = start_in_thread(config)
    yield Client(url), receiver
    stop()
    receiver.stop()

