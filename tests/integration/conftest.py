"""The WeChat endpoint wired to a test database, and a client that talks like WeChat."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.config import load_settings
from bot.web import create_app
from bot.wiring import App
from tests.harness.client import WeChatClient
from tests.harness.wechat import WeChatSigner
from tests.integration.clirun import Wxops

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


@pytest.fixture
def wxops(engine_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
          capsys: pytest.CaptureFixture[str]) -> Wxops:
    """`wxops` in this process (tests.integration.clirun) on a fresh database of each
    engine, after its own `wxops db upgrade`. A module may define its own."""
    cli = Wxops(monkeypatch, capsys, tmp_path, WXOPS_DATABASE_URL=engine_url)
    assert cli("db", "upgrade").status == 0
    return cli
