"""The WeChat emulator's API over real sockets: WeChat's endpoints and errors, quotas,
the control API and the CLI command. Pushes are in test_pushes.py."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import date, timedelta
from typing import Any

import click
import pytest
from click.testing import CliRunner

from bot.cli_emulator import emulator_config, register
from bot.config import load_settings
from bot.emulator import ACCOUNT_ID, DEMO_APP_ID, DEMO_APP_SECRET
from bot.wiring import App
from tests.integration.emulator.talking import (
    AES_KEY,
    FOLLOWER,
    JPEG,
    Client,
    custom,
    send_text,
    travel,
)

# --- tokens ---------------------------------------------------------------------------


def test_health(wx: Client) -> None:
    assert wx.control("health", method="GET")["account_id"] == ACCOUNT_ID


def test_the_chats_inbox_polls_are_not_logged(wx: Client,
                                              caplog: pytest.LogCaptureFixture) -> None:
    """Every open `wxops chat` asks for its inbox every second: in the demo's
    terminal that was a line a second per chat, burying everything else."""
    with caplog.at_level("INFO", logger="werkzeug"):
        wx.control("inbox/o_follower", method="GET")
        wx.control("health", method="GET")
    logged = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert not any("/inbox/" in line for line in logged)
    assert any("/_emulator/health" in line for line in logged)


def test_token_and_credential_errors(wx: Client) -> None:
    assert wx.get_token()["expires_in"] == 7200
    assert wx.get_token(appid="wxother")["errcode"] == 40013
    assert wx.get_token(secret="wrong")["errcode"] == 40125


def test_a_new_token_retires_the_old_one_after_five_minutes(wx: Client) -> None:
    old, new = wx.get_token()["access_token"], wx.get_token()["access_token"]
    assert wx.wx("/cgi-bin/draft/count", method="GET", token=old) == {"total_count": 0}
    wx.control("clock", {"advance_seconds": 301})
    assert wx.wx("/cgi-bin/draft/count", method="GET", token=old)["errcode"] == 40001
    assert wx.wx("/cgi-bin/draft/count", method="GET", token=new) == {"total_count": 0}


def test_missing_unknown_and_expired_tokens(wx: Client) -> None:
    wx.token()
    status, answer = wx.request("GET", "/cgi-bin/draft/count")
    assert (status, answer["errcode"]) == (200, 41001)
    assert wx.wx("/cgi-bin/draft/count", method="GET", token="bogus")["errcode"] == 40001
    wx.control("expire_tokens")
    assert wx.wx("/cgi-bin/draft/count", method="GET")["errcode"] == 42001


def test_tokens_expire_after_two_hours(wx: Client) -> None:
    wx.token()
    wx.control("clock", {"advance_seconds": 7200})
    assert wx.wx("/cgi-bin/draft/count", method="GET")["errcode"] == 42001


def test_stable_token(wx: Client) -> None:
    def stable(force: bool = False) -> Any:
        body = {"grant_type": "client_credential", "appid": DEMO_APP_ID,
                "secret": DEMO_APP_SECRET, "force_refresh": force}
        return wx.request("POST", "/cgi-bin/stable_token", json.dumps(body).encode())[1]

    first = stable()["access_token"]
    assert stable()["access_token"] == first
    forced = stable(force=True)["access_token"]
    assert forced != first
    assert stable(force=True)["errcode"] == 45011
    wx.control("clock", {"advance_seconds": 299})
    assert wx.wx("/cgi-bin/draft/count", method="GET", token=first) == {"total_count": 0}
    wx.control("clock", {"advance_seconds": 2})
    assert wx.wx("/cgi-bin/draft/count", method="GET", token=first)["errcode"] == 40001
    assert stable()["access_token"] == forced


# --- customer-service window, template, inbox ----------------------------------------------


def test_message_window_five_sends_then_45047_and_closed_after_48_hours(wx: Client) -> None:
    assert custom(wx) == 45015
    answer = send_text(wx)
    assert answer["status"] is None and "push-to" in answer["error"]  # recorded anyway
    assert [custom(wx) for _ in range(6)] == [0] * 5 + [45047]
    send_text(wx)
    assert custom(wx) == 0
    travel(wx, 48 * 3600 + 1)
    assert custom(wx) == 45015
    inbox = wx.control(f"inbox/{FOLLOWER}", method="GET")
    assert [entry["kind"] for entry in inbox] == ["custom"] * 6
    assert inbox[0]["payload"]["text"] == {"content": "回复"}


def test_event_window_three_sends_in_a_minute(wx: Client) -> None:
    wx.control("send", {"openid": FOLLOWER, "event": "CLICK", "key": "MENU_1"})
    assert [custom(wx) for _ in range(4)] == [0, 0, 0, 45047]
    wx.control("send", {"openid": FOLLOWER, "event": "subscribe"})
    wx.control("clock", {"advance_seconds": 61})
    assert custom(wx) == 45015
    follower = wx.control(f"followers/{FOLLOWER}", method="GET")
    assert follower["subscribed"] and follower["window"] is None


def test_unsubscribed_follower(wx: Client) -> None:
    send_text(wx)
    wx.control("send", {"openid": FOLLOWER, "event": "unsubscribe"})
    assert custom(wx) == 45015
    body = {"touser": FOLLOWER, "template_id": "T1", "data": {"first": {"value": "x"}}}
    assert wx.wx("/cgi-bin/message/template/send", body)["errcode"] == 43004


def test_template_message_needs_no_window(wx: Client) -> None:
    wx.control("send", {"openid": FOLLOWER, "event": "subscribe"})
    wx.control("clock", {"advance_seconds": 3600})
    body = {"touser": FOLLOWER, "template_id": "T1", "url": "https://example.org",
            "data": {"first": {"value": "审核通过"}}}
    answer = wx.wx("/cgi-bin/message/template/send", body)
    assert answer["errcode"] == 0 and isinstance(answer["msgid"], int)
    inbox = wx.control(f"inbox/{FOLLOWER}", method="GET")
    assert inbox[-1]["kind"] == "template" and inbox[-1]["payload"]["template_id"] == "T1"


def test_control_send_rejects_nonsense(wx: Client) -> None:
    status, answer = wx.request("POST", "/_emulator/send", json.dumps(
        {"openid": FOLLOWER, "event": "DANCE"}).encode())
    assert status == 400 and "event" in answer["error"]


# --- drafts ---------------------------------------------------------------------------------


def test_draft_box(wx: Client) -> None:
    media_id = wx.draft(author="志愿者", content="<p>a</p><script>x()</script>")
    item = wx.wx("/cgi-bin/draft/get", {"media_id": media_id})["news_item"][0]
    assert (item["title"], item["content"], item["author"]) == ("社区义诊", "<p>a</p>", "志愿者")
    update = {"media_id": media_id, "index": 0,
              "articles": {**item, "title": "社区义诊回顾"}}
    assert wx.wx("/cgi-bin/draft/update", update)["errcode"] == 0
    wx.draft(title="第二篇")
    assert wx.wx("/cgi-bin/draft/count", method="GET") == {"total_count": 2}
    page = wx.wx("/cgi-bin/draft/batchget", {"offset": 0, "count": 20, "no_content": 1})
    assert (page["total_count"], page["item_count"]) == (2, 2)
    titles = {i["content"]["news_item"][0]["title"] for i in page["item"]}
    assert titles == {"社区义诊回顾", "第二篇"}
    assert "content" not in page["item"][0]["content"]["news_item"][0]
    assert wx.wx("/cgi-bin/draft/delete", {"media_id": media_id})["errcode"] == 0
    assert wx.wx("/cgi-bin/draft/get", {"media_id": media_id})["errcode"] == 40007


@pytest.mark.parametrize(("article", "code"), [
    ({"title": "题" * 33}, 45003), ({"author": "作" * 17}, 45110),
    ({"digest": "摘" * 129}, 45004), ({"content": "字" * 20_000}, 45002),
    ({"thumb_media_id": "unknown"}, 40007)])
def test_draft_validation(wx: Client, article: dict[str, object], code: int) -> None:
    thumb = wx.upload("/cgi-bin/material/add_material", JPEG, type="thumb")["media_id"]
    fields = {"title": "t", "content": "c", "thumb_media_id": thumb, **article}
    assert wx.wx("/cgi-bin/draft/add", {"articles": [fields]})["errcode"] == code


def test_draft_errors(wx: Client) -> None:
    assert wx.wx("/cgi-bin/draft/add", {"articles": []})["errcode"] == 44003
    assert wx.wx("/cgi-bin/draft/batchget", {"offset": 0, "count": 21})["errcode"] == 40097
    assert wx.wx("/cgi-bin/draft/delete", {"media_id": "nope"})["errcode"] == 40007


# --- publishing errors ---------------------------------------------------------------------


def test_publish_errors(wx: Client) -> None:
    assert wx.wx("/cgi-bin/freepublish/submit", {"media_id": "nope"})["errcode"] == 40007
    assert wx.wx("/cgi-bin/freepublish/getarticle", {"article_id": "x"})["errcode"] == 53600


# --- mass sends -----------------------------------------------------------------------------


def test_preview_and_its_daily_limit(wx: Client) -> None:
    wx.control("send", {"openid": FOLLOWER, "event": "subscribe"})
    media_id = wx.draft()
    body = {"touser": FOLLOWER, "mpnews": {"media_id": media_id}, "msgtype": "mpnews"}
    assert wx.wx("/cgi-bin/message/mass/preview", body)["errcode"] == 0
    assert wx.control(f"inbox/{FOLLOWER}", method="GET")[0]["kind"] == "preview"
    wrong = {**body, "mpnews": {"media_id": "nope"}}
    assert wx.wx("/cgi-bin/message/mass/preview", wrong)["errcode"] == 40007
    codes = [wx.wx("/cgi-bin/message/mass/preview", body)["errcode"] for _ in range(100)]
    assert codes == [0] * 99 + [45009]


def test_sendall_reaches_every_subscriber_once(wx: Client) -> None:
    for openid in ("o_a", "o_b", "o_gone"):
        wx.control("send", {"openid": openid, "event": "subscribe"})
    wx.control("send", {"openid": "o_gone", "event": "unsubscribe"})
    body = {"filter": {"is_to_all": True}, "mpnews": {"media_id": wx.draft()},
            "msgtype": "mpnews", "send_ignore_reprint": 0, "clientmsgid": "item-7-rev-2"}
    sent = wx.wx("/cgi-bin/message/mass/sendall", body)
    assert sent["errcode"] == 0 and sent["msg_data_id"]
    again = wx.wx("/cgi-bin/message/mass/sendall", body)
    assert (again["errcode"], again["msg_id"]) == (45065, sent["msg_id"])
    other = {**body, "clientmsgid": "item-8"}
    assert wx.wx("/cgi-bin/message/mass/sendall", other)["errcode"] == 45009  # one a day
    assert [e["kind"] for e in wx.control("inbox/o_a", method="GET")] == ["mass"]
    assert wx.control("inbox/o_gone", method="GET") == []


# --- images ---------------------------------------------------------------------------------


def test_images(wx: Client) -> None:
    assert wx.upload("/cgi-bin/media/uploadimg", JPEG)["url"].startswith("http://mmbiz")
    assert wx.upload("/cgi-bin/media/uploadimg", b"not an image")["errcode"] == 40005
    big = JPEG + b"\x00" * (1024 * 1024)
    assert wx.upload("/cgi-bin/media/uploadimg", big)["errcode"] == 40009
    image = wx.upload("/cgi-bin/material/add_material", big, type="image")
    assert image["media_id"] and image["url"]
    too_big_thumb = JPEG + b"\x00" * 65536
    assert wx.upload("/cgi-bin/material/add_material", too_big_thumb,
                     type="thumb")["errcode"] == 40009
    assert wx.wx("/cgi-bin/media/uploadimg", {})["errcode"] == 41005


def test_the_emulator_serves_what_was_uploaded_as_the_image_host(wx: Client) -> None:
    url = wx.upload("/cgi-bin/media/uploadimg", JPEG)["url"]
    path = url.split("mmbiz.qpic.cn", 1)[1].split("?", 1)[0]
    with urllib.request.urlopen(wx.url + path, timeout=10) as got:
        assert (got.status, got.headers["Content-Type"], got.read()) == (200, "image/jpeg", JPEG)
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(wx.url + "/mmbiz_png/" + "0" * 32 + "/0", timeout=10)
    assert missing.value.code == 404


# --- comments -------------------------------------------------------------------------------


def test_comments(wx: Client) -> None:
    media_id = wx.draft(need_open_comment=1)
    msg_data_id = wx.wx("/cgi-bin/freepublish/submit", {"media_id": media_id})["msg_data_id"]
    where = {"msg_data_id": msg_data_id, "index": 0}
    first = wx.control("comments", {**where, "openid": "o_a", "content": "很有意义"})
    wx.control("comments", {**where, "openid": "o_b", "content": "报名"})
    cid = {**where, "user_comment_id": first["user_comment_id"]}
    assert wx.wx("/cgi-bin/comment/markelect", cid)["errcode"] == 0
    elected = wx.wx("/cgi-bin/comment/list", {**where, "begin": 0, "count": 10, "type": 2})
    assert elected["total"] == 1 and elected["comment"][0]["content"] == "很有意义"
    assert wx.wx("/cgi-bin/comment/reply/add", {**cid, "content": "谢谢"})["errcode"] == 0
    assert wx.wx("/cgi-bin/comment/reply/add", {**cid, "content": "再谢"})["errcode"] == 88005
    assert wx.wx("/cgi-bin/comment/unmarkelect", cid)["errcode"] == 0
    assert wx.wx("/cgi-bin/comment/delete", cid)["errcode"] == 0
    listed = wx.wx("/cgi-bin/comment/list", {**where, "begin": 0, "count": 49, "type": 0})
    assert [c["content"] for c in listed["comment"]] == ["报名"]
    assert wx.wx("/cgi-bin/comment/list", {**where, "begin": 0, "count": 50,
                                           "type": 0})["errcode"] == 40097
    assert wx.wx("/cgi-bin/comment/close", where)["errcode"] == 0
    assert wx.wx("/cgi-bin/comment/open", where)["errcode"] == 0
    assert wx.wx("/cgi-bin/comment/open", {**where, "index": 3})["errcode"] == 88001


# --- analytics ------------------------------------------------------------------------------


def _days_ago(wx: Client, days: int) -> str:
    from bot.emulator.clock import china_date

    offset = wx.control("clock", {"advance_seconds": 0})["now"]
    return china_date(offset - days * 86400).isoformat()


def test_datacube_ranges(wx: Client) -> None:
    def cube(name: str, begin: int, end: int) -> Any:
        return wx.wx(f"/datacube/{name}", {"begin_date": _days_ago(wx, begin),
                                            "end_date": _days_ago(wx, end)})

    wx.control("datacube/timing", {"ready_hour": 0})  # yesterday ready whatever the hour
    summary = cube("getusersummary", 7, 1)["list"]
    assert len(summary) == 7 and {"new_user", "cancel_user", "user_source"} <= set(summary[0])
    assert cube("getusersummary", 7, 1) == {"list": summary}  # deterministic
    assert cube("getusercumulate", 3, 1)["list"][0]["cumulate_user"] > 0
    assert cube("getusersummary", 8, 1)["errcode"] == 61501
    assert cube("getusersummary", 1, 0)["errcode"] == 61501
    assert cube("getarticlesummary", 2, 1)["errcode"] == 61501
    bad = {"begin_date": "20250101", "end_date": "2025-01-02"}
    assert wx.wx("/datacube/getusersummary", bad)["errcode"] == 61500


def test_datacube_articles_and_seeds(wx: Client) -> None:
    """The older interfaces count only the mass-sent article; the current one both.
    getarticletotal gives, for the sending day, each following stat date's running
    totals, seven at most."""
    wx.control("datacube/timing", {"ready_hour": 0})
    wx.wx("/cgi-bin/freepublish/submit", {"media_id": wx.draft(title="只发表")})
    mass = {"filter": {"is_to_all": True}, "mpnews": {"media_id": wx.draft()},
            "msgtype": "mpnews", "send_ignore_reprint": 0, "clientmsgid": "item-1"}
    sent = wx.wx("/cgi-bin/message/mass/sendall", mass)
    time.sleep(0.1)
    travel(wx, 86400)
    day = {"begin_date": _days_ago(wx, 1), "end_date": _days_ago(wx, 1)}
    rows = wx.wx("/datacube/getarticletotal", day)["list"]
    assert [(r["msgid"], r["title"]) for r in rows] == [(f"{sent['msg_data_id']}_1", "社区义诊")]
    assert [d["stat_date"] for d in rows[0]["details"]] == [day["begin_date"]]
    assert rows[0]["details"][0]["int_page_read_user"] > 0
    assert [r["msgid"] for r in wx.wx("/datacube/getarticlesummary", day)["list"]] == [
        rows[0]["msgid"]]
    current = wx.wx("/datacube/getarticletotaldetail", day)["list"]
    assert len(current) == 2 and rows[0]["msgid"] in {r["msgid"] for r in current}
    travel(wx, 9 * 86400)
    later = wx.wx("/datacube/getarticletotal", day)["list"][0]["details"]
    first = date.fromisoformat(day["begin_date"])
    assert [d["stat_date"] for d in later] == [
        (first + timedelta(days=n)).isoformat() for n in range(7)]
    reads = [d["int_page_read_user"] for d in later]
    assert reads == sorted(reads) and reads[0] == rows[0]["details"][0]["int_page_read_user"]
    seeded = [{"ref_date": day["begin_date"], "user_source": 0, "new_user": 5, "cancel_user": 1}]
    wx.control("datacube", {"endpoint": "getusersummary", "rows": seeded})
    assert wx.wx("/datacube/getusersummary", day)["list"] == seeded


# --- quotas, failure injection, call log, protocol errors ----------------------------------------


def test_quota_per_minute(wx: Client) -> None:
    wx.control("quota", {"path": "/cgi-bin/draft/count", "per_minute": 1})
    assert wx.wx("/cgi-bin/draft/count", method="GET") == {"total_count": 0}
    assert wx.wx("/cgi-bin/draft/count", method="GET")["errcode"] == 45011
    travel(wx, 61)
    assert wx.wx("/cgi-bin/draft/count", method="GET") == {"total_count": 0}


def test_injected_errors_and_dropped_connections(wx: Client) -> None:
    wx.control("fail", {"path": "/cgi-bin/draft/count", "errcode": -1, "times": 2})
    codes = [wx.wx("/cgi-bin/draft/count", method="GET").get("errcode") for _ in range(3)]
    assert codes == [-1, -1, None]
    wx.control("fail", {"path": "/cgi-bin/draft/count", "drop": True, "times": 1})
    with pytest.raises((ConnectionError, urllib.error.URLError)):
        wx.wx("/cgi-bin/draft/count", method="GET")
    assert wx.wx("/cgi-bin/draft/count", method="GET") == {"total_count": 0}
    wx.control("fail", {"path": "/cgi-bin/token", "errcode": 45009})
    assert wx.get_token()["errcode"] == 45009


def test_call_log(wx: Client) -> None:
    wx.control("calls", method="DELETE")
    send_text(wx)
    custom(wx)
    calls = wx.control("calls", method="GET")
    assert [c["path"] for c in calls] == ["/cgi-bin/token", "/cgi-bin/message/custom/send"]
    assert calls[0]["query"]["secret"] == "***"
    assert calls[1]["query"] == {"access_token": "***"}
    assert calls[1]["body"]["touser"] == FOLLOWER and calls[1]["method"] == "POST"
    wx.control("calls", method="DELETE")
    assert wx.control("calls", method="GET") == []


def test_protocol_errors(wx: Client) -> None:
    assert wx.wx("/cgi-bin/draft/count", {})["errcode"] == 43001
    assert wx.wx("/cgi-bin/draft/add", method="GET")["errcode"] == 43002
    status, answer = wx.request("GET", f"/cgi-bin/nothing?access_token={wx.token()}")
    assert (status, answer["errcode"]) == (404, 40066)
    status, answer = wx.request("POST", f"/cgi-bin/draft/add?access_token={wx.token()}",
                                b"{not json")
    assert answer["errcode"] == 47001


def test_reset(wx: Client) -> None:
    wx.draft()
    wx.control("reset")
    assert wx.get_token()["access_token"]
    wx._token = None
    assert wx.wx("/cgi-bin/draft/count", method="GET") == {"total_count": 0}


# --- the CLI command ----------------------------------------------------------------------------


def test_cli_uses_the_settings_or_the_demo_account() -> None:
    demo = emulator_config(App(settings=load_settings({})), None, 0.5)
    assert (demo.app_id, demo.app_secret) == (DEMO_APP_ID, DEMO_APP_SECRET)
    env = {"WXOPS_APP_ID": "wx1234", "WXOPS_APP_SECRET": "s", "WXOPS_TOKEN": "tok",
           "WXOPS_ENCODING_AES_KEY": AES_KEY}
    real = emulator_config(App(settings=load_settings(env)), "http://127.0.0.1:8080/wechat", 2)
    assert (real.app_id, real.token, real.encoding_aes_key, real.push_delay) == (
        "wx1234", "tok", AES_KEY, 2)
    group = click.Group("wxops")
    register(group)
    result = CliRunner().invoke(group, ["emulator", "--help"])
    assert result.exit_code == 0 and "--push-to" in result.output
