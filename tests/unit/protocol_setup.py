"""What the protocol tests share: an account's secrets and how to build and open a push.

The ``signer`` and ``crypto`` fixtures for these secrets are in ``conftest.py``.
"""

from __future__ import annotations

from bot.protocol import InboundEnvelope, MessageCrypto, open_envelope
from tests.harness import wechat
from tests.harness.wechat import WeChatSigner

TOKEN = "wxopsTestToken"
APP_ID = "wx1234567890abcdef"
KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
OLD_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
OTHER_KEY = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
NOW = 1_700_000_000
SKEW = 300


def open_(query: dict[str, str], body: bytes, crypto: MessageCrypto | None = None,
          **kwargs: int) -> InboundEnvelope:
    options = {"now": NOW, "max_skew": SKEW, **kwargs}
    return open_envelope(query, body, token=TOKEN, crypto=crypto, **options)


def build(signer: WeChatSigner, message: wechat.Message, mode: wechat.Mode = "plain",
          **kwargs: str) -> tuple[dict[str, str], bytes]:
    return signer.build(message, mode, timestamp=str(NOW), **kwargs)
