"""Fixtures of the protocol tests (``test_protocol.py``, ``test_crypto.py``)."""

from __future__ import annotations

import pytest

from bot.protocol import MessageCrypto
from tests.harness.wechat import WeChatSigner
from tests.unit.protocol_setup import APP_ID, KEY, TOKEN


@pytest.fixture
def signer() -> WeChatSigner:
    return WeChatSigner(TOKEN, APP_ID, KEY)


@pytest.fixture
def crypto() -> MessageCrypto:
    return MessageCrypto(TOKEN, KEY, APP_ID)
