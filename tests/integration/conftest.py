"""The WeChat endpoint wired to a test database, and a client that talks like WeChat."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine

from bot.config import load_settings
from bot.web import create_app
from bot.wiring import App
from tests.harness.client import WeChatClient
from tests.harness.wechat import WeChatSigner

TOKEN = "wxopsTestToken"  # 3-32 letters or digits, as the WeChat console requires
APP_ID = "wx5823bf96d3bd56c7"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
OLD_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


@dataclass
class Account:
    app: App
    client: WeChatClient

    @property
    def engine(self) -> Engine:
        return self.app.engine


def make_account(engine: Engine, **settings: str) -> Account:
    env = {"WXOPS_TOKEN": TOKEN, "WXOPS_APP_ID": APP_ID, "WXOPS_APP_SECRET": "secret",
           "WXOPS_ENCODING_AES_KEY": AES_KEY, "WXOPS_ENCODING_AES_KEY_PREVIOUS": OLD_AES_KEY,
           **settings}
    app = App(settings=load_settings(env), engine=engine)
    signer = WeChatSigner(TOKEN, APP_ID, AES_KEY)
    return Account(app, WeChatClient(create_app(app), signer))


@pytest.fixture
def account(engine: Engine) -> Iterator[Account]:
    yield make_account(engine)
