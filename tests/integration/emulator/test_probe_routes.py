"""The read-only calls `wxops doctor` and the worker's start-up check probe
with: answered with the account's data, or 48001 where the kind may not call
them; and the IP whitelist, which turns a token fetch from elsewhere into 40164
with the caller's address in the errmsg, as the platform words it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.cli_emulator import register
from bot.emulator.api import ROUTES
from bot.emulator.server import start_in_thread
from bot.emulator.state import EmulatorConfig
from bot.wechat_errors import whitelist_ip
from tests.integration.emulator.talking import TOKEN, Client, send_text
from workflow.capabilities import ALL_KINDS, TABLE, AccountKind

#: What doctor probes, and the field each answer carries.
PROBES = {
    "/cgi-bin/customservice/getkflist": "kf_list",
    "/cgi-bin/template/get_all_private_template": "template_list",
    "/cgi-bin/material/get_materialcount": "image_count",
    "/cgi-bin/user/get": "total",
    "/cgi-bin/get_current_selfmenu_info": "is_menu_open",
}


@pytest.fixture(params=ALL_KINDS, ids=lambda kind: kind.name)
def played(request: pytest.FixtureRequest) -> Iterator[tuple[AccountKind, Client]]:
    url, stop = start_in_thread(EmulatorConfig(token=TOKEN, kind=request.param))
    yield request.param, Client(url)
    stop()


def test_each_probe_answers_or_is_refused_as_the_table_says(
        played: tuple[AccountKind, Client]) -> None:
    kind, wx = played
    for path, field in PROBES.items():
        answer = wx.wx(path, method="GET")
        if kind in TABLE[ROUTES[path].capability]:
            assert field in answer and "errcode" not in answer, (kind.name, path, answer)
        else:
            assert answer["errcode"] == 48001, (kind.name, path)


def test_the_follower_list_holds_who_follows() -> None:
    url, stop = start_in_thread(EmulatorConfig(token=TOKEN))
    try:
        wx = Client(url)
        send_text(wx)
        listed = wx.wx("/cgi-bin/user/get", method="GET")
        assert listed["total"] == 1 and listed["data"]["openid"] == ["o_follower_1"]
    finally:
        stop()


def test_a_probe_is_a_get_as_on_the_platform() -> None:
    url, stop = start_in_thread(EmulatorConfig(token=TOKEN))
    try:
        assert Client(url).wx("/cgi-bin/user/get", {})["errcode"] == 43001
    finally:
        stop()


def test_a_token_fetched_from_outside_the_whitelist_is_refused_naming_the_address() -> None:
    url, stop = start_in_thread(EmulatorConfig(token=TOKEN, ip_whitelist=("10.0.0.1",)))
    try:
        refused = Client(url).get_token()
        assert refused["errcode"] == 40164
        assert refused["errmsg"].startswith("invalid ip 127.0.0.1 ipv6 ::ffff:127.0.0.1, "
                                            "not in whitelist rid: ")
        assert whitelist_ip(refused["errmsg"]) == "127.0.0.1"
    finally:
        stop()
    url, stop = start_in_thread(EmulatorConfig(token=TOKEN, ip_whitelist=("127.0.0.1",)))
    try:
        assert Client(url).get_token()["expires_in"] == 7200
    finally:
        stop()


def test_the_command_takes_a_whitelist(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[EmulatorConfig] = []
    monkeypatch.setattr("bot.emulator.server.serve", lambda app, host, port: seen.append(
        app.emulator.config))
    monkeypatch.setattr("bot.cli_emulator.ensure_free", lambda host, port: None)
    register(cli)
    result = CliRunner().invoke(cli, ["emulator", "--ip-whitelist", "10.0.0.1, 10.0.0.2"],
                                env={"WXOPS_DATABASE_URL": "sqlite://"})
    assert result.exit_code == 0, result.output
    assert seen[0].ip_whitelist == ("10.0.0.1", "10.0.0.2")
    assert "10.0.0.1、10.0.0.2" in result.output
