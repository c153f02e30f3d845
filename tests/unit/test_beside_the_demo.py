"""A command typed beside a running demo (`wxops run` without credentials) talks
to the demo's emulator and links to its server; with credentials, or with no
demo running on the database, the settings are as given."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import demo
from bot.cli_app import BesideTheDemo


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    for name in ("WXOPS_APP_ID", "WXOPS_APP_SECRET", "WXOPS_PUBLIC_URL", "WXOPS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    url = f"sqlite:///{tmp_path / 'wxops.db'}"
    monkeypatch.setenv("WXOPS_DATABASE_URL", url)
    return url


def test_a_command_beside_the_running_demo_uses_its_emulator_and_server(database: str) -> None:
    assert BesideTheDemo().settings.demo  # no demo running: as given
    demo.record_run(database, demo.DemoRun("127.0.0.1", 8282, 9292))  # this process: alive
    settings = BesideTheDemo().settings
    assert settings.wechat_api_base == "http://127.0.0.1:9292"
    assert settings.public_url == "http://127.0.0.1:8282"
    assert settings.demo_account


def test_real_credentials_are_never_pointed_at_a_demo(database: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    demo.record_run(database, demo.DemoRun("127.0.0.1", 8282, 9292))
    monkeypatch.setenv("WXOPS_APP_ID", "wx_real")
    monkeypatch.setenv("WXOPS_APP_SECRET", "real-secret")
    monkeypatch.setenv("WXOPS_TOKEN", "realtoken123")
    settings = BesideTheDemo().settings
    assert settings.app_id == "wx_real" and settings.public_url == ""
    assert settings.wechat_api_base != "http://127.0.0.1:9292"
