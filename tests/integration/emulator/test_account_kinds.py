"""The emulator plays every kind of account: what the kind may not call answers
48001 before anything is done, from the one table in workflow/capabilities.py;
receiving, passive replies and the access token work on every kind."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import click
import pytest
from click.testing import CliRunner

from bot import cli_run
from bot.cli_emulator import emulator_config, register
from bot.config import load_settings
from bot.emulator.api import ROUTES
from bot.emulator.server import start_in_thread
from bot.emulator.state import EmulatorConfig
from bot.wiring import App
from tests.integration.emulator.talking import JPEG, TOKEN, Client, Receiver, custom, send_text
from workflow.capabilities import (
    TABLE,
    UNVERIFIED_SERVICE,
    UNVERIFIED_SUBSCRIPTION,
    VERIFIED_SERVICE,
    VERIFIED_SUBSCRIPTION,
    AccountKind,
    Capability,
)

FOLLOWER = "o_follower_1"
MPNEWS = {"mpnews": {"media_id": "m"}, "msgtype": "mpnews"}
#: One call of each refused capability: path, body.
CALLS: dict[str, object] = {
    "/cgi-bin/message/custom/send": {"touser": FOLLOWER, "msgtype": "text",
                                     "text": {"content": "回复"}},
    "/cgi-bin/message/template/send": {"touser": FOLLOWER, "template_id": "t", "data": {}},
    "/cgi-bin/draft/add": {"articles": [{"title": "t", "content": "<p>c</p>",
                                         "thumb_media_id": "m"}]},
    "/cgi-bin/freepublish/submit": {"media_id": "m"},
    "/cgi-bin/freepublish/get": {"publish_id": "1"},
    "/cgi-bin/message/mass/preview": {"touser": FOLLOWER, **MPNEWS},
    "/cgi-bin/message/mass/sendall": {"filter": {"is_to_all": True}, **MPNEWS},
    "/cgi-bin/comment/list": {"msg_data_id": 1, "index": 0, "begin": 0, "count": 10,
                              "type": 0},
    "/datacube/getusersummary": {"begin_date": "2026-12-01", "end_date": "2026-12-02"},
}


def _emulator(kind: AccountKind) -> tuple[Client, Callable[[], None]]:
    url, stop = start_in_thread(EmulatorConfig(token=TOKEN, kind=kind))
    return Client(url), stop


@pytest.fixture
def small() -> Iterator[tuple[Client, Receiver]]:
    """An unverified subscription account (a person's account), pushing to a receiver."""
    receiver = Receiver()
    url, stop = start_in_thread(EmulatorConfig(token=TOKEN, push_to=receiver.url,
                                               push_delay=0.05, kind=UNVERIFIED_SUBSCRIPTION))
    yield Client(url), receiver
    stop()
    receiver.stop()


@pytest.fixture(params=[VERIFIED_SUBSCRIPTION, UNVERIFIED_SERVICE, VERIFIED_SERVICE],
                ids=lambda kind: kind.name)
def other(request: pytest.FixtureRequest) -> Iterator[tuple[AccountKind, Client]]:
    kind: AccountKind = request.param
    url, stop = start_in_thread(EmulatorConfig(token=TOKEN, kind=kind))
    yield kind, Client(url)
    stop()


def _unauthorized(answer: object) -> bool:
    return isinstance(answer, dict) and answer.get("errcode") == 48001 \
        and str(answer.get("errmsg", "")).startswith("api unauthorized")


# --- an unverified subscription account -----------------------------------------------


def test_an_unverified_subscription_account_is_refused_every_sending_api(
        small: tuple[Client, Receiver]) -> None:
    wx, _ = small
    send_text(wx)  # a follower wrote: the window would be open on any other account
    for path, body in CALLS.items():
        assert _unauthorized(wx.wx(path, body)), path
    assert _unauthorized(wx.upload("/cgi-bin/media/uploadimg", JPEG))
    assert _unauthorized(wx.upload("/cgi-bin/material/add_material", JPEG, type="thumb"))
    assert _unauthorized(wx.wx("/cgi-bin/draft/count", method="GET"))


def test_refused_calls_do_nothing(small: tuple[Client, Receiver]) -> None:
    wx, _ = small
    send_text(wx)
    assert custom(wx) == 48001
    wx.wx("/cgi-bin/message/template/send", CALLS["/cgi-bin/message/template/send"])
    wx.wx("/cgi-bin/message/mass/preview", CALLS["/cgi-bin/message/mass/preview"])
    assert wx.control(f"inbox/{FOLLOWER}", method="GET") == []
    logged = [c["path"] for c in wx.control("calls", method="GET")]
    assert "/cgi-bin/message/custom/send" in logged  # the platform saw the call, and refused it


def test_it_still_receives_replies_passively_and_gets_tokens(
        small: tuple[Client, Receiver]) -> None:
    wx, receiver = small
    answer = send_text(wx, text="报名")
    assert answer["status"] == 200 and "收到：报名" in answer["reply"]
    assert len(receiver.requests) == 1
    event = wx.control("send", {"openid": "o_new", "event": "subscribe"})
    assert event["status"] == 200
    assert wx.get_token()["expires_in"] == 7200
    stable = wx.wx("/cgi-bin/stable_token", {"grant_type": "client_credential",
                                            "appid": "wx0000000000demo",
                                            "secret": "wxops-demo-secret"}, token="")
    assert stable["access_token"]


def test_a_bad_token_is_refused_before_the_permission(small: tuple[Client, Receiver]) -> None:
    wx, _ = small
    assert wx.wx("/cgi-bin/message/custom/send", CALLS["/cgi-bin/message/custom/send"],
                 token="stale")["errcode"] == 40001


def test_health_reports_the_kind_played(small: tuple[Client, Receiver]) -> None:
    wx, _ = small
    account = wx.control("health", method="GET")["account"]
    assert account == {"kind": "subscription", "verified": False,
                       "capabilities": ["access_token", "receive"]}


# --- the other kinds: the same table -----------------------------------------------------


def _capability(path: str) -> Capability:
    return ROUTES[path].capability


def test_each_kind_is_refused_exactly_what_the_table_denies(
        other: tuple[AccountKind, Client]) -> None:
    kind, wx = other
    wx.control("send", {"openid": FOLLOWER, "event": "subscribe"})
    for path, body in CALLS.items():
        refused = _unauthorized(wx.wx(path, body))
        assert refused == (kind not in TABLE[_capability(path)]), (kind.name, path)


def test_a_verified_subscription_account_answers_but_sends_no_template_messages() -> None:
    wx, stop = _emulator(VERIFIED_SUBSCRIPTION)
    try:
        wx.control("send", {"openid": FOLLOWER, "event": "subscribe"})
        send_text(wx)
        assert custom(wx) == 0
        template = wx.wx("/cgi-bin/message/template/send",
                         CALLS["/cgi-bin/message/template/send"])
        assert _unauthorized(template)
        media_id = wx.draft()
        preview = {"touser": FOLLOWER, "mpnews": {"media_id": media_id}, "msgtype": "mpnews"}
        assert wx.wx("/cgi-bin/message/mass/preview", preview)["errcode"] == 0
    finally:
        stop()


def test_a_verified_service_account_is_the_default_and_unchanged() -> None:
    assert EmulatorConfig().kind == VERIFIED_SERVICE
    wx, stop = _emulator(VERIFIED_SERVICE)
    try:
        wx.control("send", {"openid": FOLLOWER, "event": "subscribe"})
        send_text(wx)
        assert custom(wx) == 0
        body = {"touser": FOLLOWER, "template_id": "t", "data": {}}
        assert wx.wx("/cgi-bin/message/template/send", body)["errcode"] == 0
        media_id = wx.draft()
        assert wx.wx("/cgi-bin/freepublish/submit", {"media_id": media_id})["errcode"] == 0
        assert wx.control("health", method="GET")["account"]["verified"] is True
    finally:
        stop()


def test_every_emulated_endpoint_names_a_capability_of_the_table() -> None:
    assert all(route.capability in TABLE for route in ROUTES.values())
    tokens = {p for p, r in ROUTES.items() if r.capability is Capability.ACCESS_TOKEN}
    # openapi/quota/get (interface management) is any account's, as the token is
    assert tokens == {"/cgi-bin/token", "/cgi-bin/stable_token", "/cgi-bin/openapi/quota/get"}


# --- the command line and make run ----------------------------------------------------


def test_the_emulator_plays_the_settings_kind_unless_told_another() -> None:
    default = emulator_config(App(settings=load_settings({})), None, 0.5)
    assert default.kind == VERIFIED_SERVICE
    env = {"WXOPS_ACCOUNT_KIND": "subscription", "WXOPS_ACCOUNT_VERIFIED": "0"}
    app = App(settings=load_settings(env))
    assert emulator_config(app, None, 0.5).kind == UNVERIFIED_SUBSCRIPTION
    assert emulator_config(app, None, 0.5, "service", True).kind == VERIFIED_SERVICE
    assert emulator_config(app, None, 0.5, None, True).kind == VERIFIED_SUBSCRIPTION


def test_the_command_takes_the_kind_options() -> None:
    group = click.Group("wxops")
    register(group)
    result = CliRunner().invoke(group, ["emulator", "--help"])
    assert result.exit_code == 0
    assert "--account-kind" in result.output and "--unverified" in result.output
    bad = CliRunner().invoke(group, ["emulator", "--account-kind", "enterprise"],
                             obj=App(settings=load_settings({})))
    assert bad.exit_code == 2


def test_make_run_starts_the_emulator_as_the_configured_kind() -> None:
    settings = load_settings({"WXOPS_ACCOUNT_KIND": "subscription",
                              "WXOPS_ACCOUNT_VERIFIED": "false"})
    options = cli_run._account_kind_options(settings)
    assert options == ("--account-kind", "subscription", "--unverified")
    assert cli_run._account_kind_options(load_settings({})) == (
        "--account-kind", "service", "--verified")
