"""Rules of the emulated WeChat platform, on the in-memory state (no sockets)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.emulator import datacube
from bot.emulator.clock import Clock
from bot.emulator.errors import WeChatError
from bot.emulator.state import EmulatorConfig, EmulatorState
from workflow.comments import ArticleRef, from_url

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 100
FOLLOWER = "o_follower"
T0 = 1_750_000_000.0  # 2025-06-15 23:06:40 in Beijing


@pytest.fixture
def state() -> EmulatorState:
    return EmulatorState(EmulatorConfig(push_delay=1), Clock(lambda: T0))


def errcode(call) -> int:
    with pytest.raises(WeChatError) as info:
        call()
    return info.value.errcode


def text(state: EmulatorState, openid: str = FOLLOWER) -> None:
    state.send_custom(openid, "text", {"text": {"content": "hi"}})


def draft(state: EmulatorState, **article: object) -> str:
    thumb = state.library.add_material("thumb", JPEG).media_id
    fields = {"title": "标题", "content": "<p>正文</p>", "thumb_media_id": thumb, **article}
    return state.library.add_draft([fields], state.now()).media_id


# --- tokens -------------------------------------------------------------------------


def test_credentials_are_checked_in_wechats_order(state: EmulatorState) -> None:
    cfg = state.config
    assert errcode(lambda: state.check_credentials("x", cfg.app_id, cfg.app_secret)) == 40002
    assert errcode(lambda: state.check_credentials("client_credential", "wxbad", "s")) == 40013
    assert errcode(lambda: state.check_credentials("client_credential", cfg.app_id, "s")) == 40125


def test_a_new_token_leaves_the_old_one_five_minutes(state: EmulatorState) -> None:
    old = state.issue_token().value
    new = state.issue_token().value
    state.authorize(old)
    state.clock.advance(299)
    state.authorize(old)
    state.clock.advance(2)
    assert errcode(lambda: state.authorize(old)) == 40001
    state.authorize(new)


def test_token_errors(state: EmulatorState) -> None:
    token = state.issue_token().value
    assert errcode(lambda: state.authorize(None)) == 41001
    assert errcode(lambda: state.authorize("made-up")) == 40001
    state.clock.advance(7200)
    assert errcode(lambda: state.authorize(token)) == 42001


def test_stable_token_is_shared_until_forced(state: EmulatorState) -> None:
    first = state.stable_token(False)
    assert state.stable_token(False).value == first.value
    state.clock.advance(100)
    assert state.stable_token(False).remaining(state.now()) == 7100
    forced = state.stable_token(True)
    assert forced.value != first.value
    state.authorize(first.value)  # still valid for the grace period
    assert errcode(lambda: state.stable_token(True)) == 45011  # 30 s apart


def test_stable_token_force_refresh_twenty_a_day(state: EmulatorState) -> None:
    state.clock.offset = -(T0 % 86400) + 16 * 3600  # 00:00 Beijing time, a fresh day
    for _ in range(20):
        state.stable_token(True)
        state.clock.advance(31)
    assert errcode(lambda: state.stable_token(True)) == 45009


def test_stable_and_plain_tokens_do_not_invalidate_each_other(state: EmulatorState) -> None:
    stable = state.stable_token(False).value
    state.issue_token()
    state.issue_token()
    state.clock.advance(600)
    state.authorize(stable)


def test_expired_stable_token_is_replaced(state: EmulatorState) -> None:
    first = state.stable_token(False).value
    state.tokens.expire_all(state.now())
    assert errcode(lambda: state.authorize(first)) == 42001
    assert state.stable_token(False).value != first


# --- customer-service window ----------------------------------------------------------


def test_no_window_without_an_interaction(state: EmulatorState) -> None:
    assert errcode(lambda: text(state)) == 45015


def test_message_window_allows_five_sends_in_48_hours(state: EmulatorState) -> None:
    state.follower_message(FOLLOWER)
    for _ in range(5):
        text(state)
    assert errcode(lambda: text(state)) == 45047
    assert len(state.audience.inboxes[FOLLOWER]) == 5


def test_message_window_closes_after_48_hours(state: EmulatorState) -> None:
    state.follower_message(FOLLOWER)
    state.clock.advance(48 * 3600 - 1)
    text(state)
    state.clock.advance(2)
    assert errcode(lambda: text(state)) == 45015


@pytest.mark.parametrize("event", ["subscribe", "CLICK", "SCAN", "scancode_push",
                                   "scancode_waitmsg"])
def test_event_window_allows_three_sends_in_a_minute(state: EmulatorState, event: str) -> None:
    state.follower_event(FOLLOWER, event)
    for _ in range(3):
        text(state)
    assert errcode(lambda: text(state)) == 45047


@pytest.mark.parametrize("event", ["VIEW", "LOCATION", "pic_weixin"])
def test_events_that_open_no_window_leave_the_current_one(state: EmulatorState,
                                                          event: str) -> None:
    state.follower_event(FOLLOWER, event)
    assert errcode(lambda: text(state)) == 45015
    state.follower_event(FOLLOWER, "CLICK")
    text(state)
    state.follower_event(FOLLOWER, event)
    text(state)
    text(state)
    assert errcode(lambda: text(state)) == 45047  # still the click's window of three


def test_event_window_closes_after_a_minute(state: EmulatorState) -> None:
    state.follower_event(FOLLOWER, "CLICK")
    state.clock.advance(61)
    assert errcode(lambda: text(state)) == 45015


def test_the_newest_interaction_opens_a_fresh_window(state: EmulatorState) -> None:
    state.follower_message(FOLLOWER)
    for _ in range(5):
        text(state)
    assert errcode(lambda: text(state)) == 45047
    state.follower_message(FOLLOWER)
    text(state)


def test_an_event_does_not_take_away_what_a_message_gave(state: EmulatorState) -> None:
    """The message's 5-in-48-hours and a click's 3-in-a-minute are separate quotas
    (WeChat's rules since June 2023): a click neither shortens the 48 hours nor
    uses them up first."""
    state.follower_message(FOLLOWER)
    text(state)
    state.follower_event(FOLLOWER, "CLICK")
    state.clock.advance(61)  # the click's minute is over
    for _ in range(4):
        text(state)
    assert errcode(lambda: text(state)) == 45047
    state.follower_event(FOLLOWER, "CLICK")  # a fresh click: 3 more within its minute
    for _ in range(3):
        text(state)
    assert errcode(lambda: text(state)) == 45047


def test_view_does_not_open_a_window(state: EmulatorState) -> None:
    state.follower_event(FOLLOWER, "VIEW")
    assert errcode(lambda: text(state)) == 45015


def test_unsubscribed_followers_cannot_be_sent_to(state: EmulatorState) -> None:
    state.follower_message(FOLLOWER)
    state.follower_event(FOLLOWER, "unsubscribe")
    assert errcode(lambda: text(state)) == 45015
    payload = {"template_id": "t", "data": {}}
    assert errcode(lambda: state.send_template(FOLLOWER, payload)) == 43004
    assert errcode(lambda: state.send_template("o_stranger", payload)) == 40003


def test_bad_custom_message_type(state: EmulatorState) -> None:
    state.follower_message(FOLLOWER)
    assert errcode(lambda: state.send_custom(FOLLOWER, "voice", {"voice": {}})) == 40097


def test_msg_ids_are_unique(state: EmulatorState) -> None:
    assert state.follower_message(FOLLOWER) != state.follower_message(FOLLOWER)


# --- drafts --------------------------------------------------------------------------


@pytest.mark.parametrize(("article", "code"), [
    ({"title": "题" * 33}, 45003),
    ({"author": "作" * 17}, 45110),
    ({"digest": "摘" * 129}, 45004),
    ({"content": "字" * 20_000}, 45002),
    ({"content": "<p>" + "a" * 19_993 + "</p>"}, 45002),
    ({"thumb_media_id": "unknown"}, 40007),
    ({"thumb_media_id": None}, 40007),
])
def test_draft_validation(state: EmulatorState, article: dict[str, object], code: int) -> None:
    assert errcode(lambda: draft(state, **article)) == code


def test_draft_limits_are_inclusive(state: EmulatorState) -> None:
    media_id = draft(state, title="题" * 32, author="作" * 16, digest="摘" * 128,
                     content="字" * 19_999)
    assert state.library.draft(media_id).articles[0]["title"] == "题" * 32


def test_empty_or_malformed_articles(state: EmulatorState) -> None:
    assert errcode(lambda: state.library.add_draft([], state.now())) == 44003
    assert errcode(lambda: state.library.add_draft(None, state.now())) == 44003
    assert errcode(lambda: state.library.add_draft(["x"], state.now())) == 47001


def test_scripts_are_stripped(state: EmulatorState) -> None:
    media_id = draft(state, content="<p>a</p><script>alert(1)</script><SCRIPT src=x></SCRIPT>b")
    assert state.library.draft(media_id).articles[0]["content"] == "<p>a</p>b"


def test_draft_update_and_unknown_ids(state: EmulatorState) -> None:
    media_id = draft(state)
    thumb = state.library.draft(media_id).articles[0]["thumb_media_id"]
    state.library.update_draft(media_id, 0, {"title": "新", "thumb_media_id": thumb}, state.now())
    assert state.library.draft(media_id).articles[0]["title"] == "新"
    assert errcode(lambda: state.library.update_draft(media_id, 1, {}, state.now())) == 40007
    assert errcode(lambda: state.library.draft("nope")) == 40007


# --- images --------------------------------------------------------------------------


def test_image_rules(state: EmulatorState) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 10
    assert state.library.upload_image(png).startswith("http://mmbiz.qpic.cn/")
    assert errcode(lambda: state.library.upload_image(b"GIF89a")) == 40005
    assert errcode(lambda: state.library.upload_image(JPEG + b"\x00" * 1024 * 1024)) == 40009
    assert errcode(lambda: state.library.add_material("thumb", png)) == 40005
    assert errcode(lambda: state.library.add_material("thumb", JPEG + b"0" * 65536)) == 40009
    assert errcode(lambda: state.library.add_material("voice", JPEG)) == 40004
    assert state.library.add_material("image", png).media_id


# --- publishing and mass sends -----------------------------------------------------------


def test_publication_is_publishing_until_the_delay_passes(state: EmulatorState) -> None:
    media_id = draft(state)
    pub = state.submit_publication(media_id)
    assert media_id not in state.library.drafts
    assert pub.event_info(state.now())["publish_status"] == 1
    state.clock.advance(1)
    info = pub.event_info(state.now())
    assert info["publish_status"] == 0
    assert info["article_detail"] == {"count": 1, "item": [
        {"idx": 1, "article_url": pub.article_urls()[0]}]}


def test_publications_get_short_addresses_when_asked(state: EmulatorState) -> None:
    long = state.submit_publication(draft(state))
    state.publishing.short_urls = True
    short = state.submit_publication(draft(state))
    state.clock.advance(2)
    assert from_url(long.article_urls()[0]) == ArticleRef(str(long.msg_data_id), 0)
    [url] = short.article_urls()
    assert url.startswith("https://mp.weixin.qq.com/s/") and from_url(url) is None
    assert short.article_urls() == [url]  # the same address each time it is given
    listed = {p["publish_id"]: p for p in state.publishing.describe(state.now())}
    assert listed[short.publish_id]["urls"] == [url]
    assert listed[short.publish_id]["msg_data_id"] == short.msg_data_id


def test_injected_publish_failure_returns_the_draft(state: EmulatorState) -> None:
    state.failures.add_publish_status(4, 1)
    media_id = draft(state)
    pub = state.submit_publication(media_id)
    state.clock.advance(2)
    assert pub.event_info(state.now()) == {"publish_id": pub.publish_id, "publish_status": 4,
                                           "fail_idx": [1]}
    state.settle_publications()
    assert media_id in state.library.drafts
    with pytest.raises(ValueError):
        state.failures.add_publish_status(1, 1)


def test_deleting_every_article_marks_the_publication_deleted(state: EmulatorState) -> None:
    pub = state.submit_publication(draft(state))
    state.clock.advance(2)
    state.publishing.delete(pub.article_id, 0, state.now())
    assert pub.status(state.now()) == 5
    assert errcode(lambda: state.publishing.by_article("nope", state.now())) == 53600


def test_sendall_dedupes_clientmsgid_for_24_hours(state: EmulatorState) -> None:
    state.follower_message(FOLLOWER)
    media_id = draft(state)
    first = state.sendall(media_id, "c1", lambda: None)
    with pytest.raises(WeChatError) as info:
        state.sendall(media_id, "c1", lambda: None)
    assert (info.value.errcode, info.value.extra["msg_id"]) == (45065, first.msg_id)
    assert len(state.audience.inboxes[FOLLOWER]) == 1
    state.clock.advance(86400)
    assert state.sendall(media_id, "c1", lambda: None).msg_id != first.msg_id


# --- quotas and failures -------------------------------------------------------------------


def test_quotas_per_minute_and_per_day(state: EmulatorState) -> None:
    state.clock.offset = -(T0 % 86400) + 16 * 3600  # midnight in Beijing
    state.quotas.set("/x", per_minute=2, per_day=3)
    for _ in range(2):
        state.quotas.check("/x", state.now())
        state.quotas.record("/x", state.now())
    assert errcode(lambda: state.quotas.check("/x", state.now())) == 45011
    state.clock.advance(61)
    state.quotas.record("/x", state.now())
    assert errcode(lambda: state.quotas.check("/x", state.now())) == 45009
    state.clock.advance(86400)
    state.quotas.check("/x", state.now())


def test_failures_are_taken_in_order(state: EmulatorState) -> None:
    from bot.emulator.limits import Injection

    state.failures.add("cgi-bin/x", Injection(errcode=-1), 2)
    assert state.failures.take("/cgi-bin/x") == Injection(errcode=-1)
    assert state.failures.take("/cgi-bin/x") is not None
    assert state.failures.take("/cgi-bin/x") is None


# --- comments and analytics -------------------------------------------------------------


def test_comments(state: EmulatorState) -> None:
    pub = state.submit_publication(draft(state))
    board = state.comments
    first = board.add(pub.msg_data_id, 0, "o1", "好", state.now())
    board.add(pub.msg_data_id, 0, "o2", "赞", state.now())
    first.comment_type = 1
    assert board.listing(pub.msg_data_id, 0, 0, 10, 2)[0] == 1
    assert board.listing(pub.msg_data_id, 0, 0, 10, 0)[0] == 2
    assert errcode(lambda: board.listing(pub.msg_data_id, 0, 0, 50, 0)) == 40097
    assert errcode(lambda: board.listing(pub.msg_data_id, 1, 0, 10, 0)) == 88001
    board.reply(first, "谢谢", state.now())
    assert errcode(lambda: board.reply(first, "again", state.now())) == 88005
    assert errcode(lambda: board.comment(pub.msg_data_id, 0, 99)) == 88008


def test_datacube_ranges() -> None:
    today = date(2025, 6, 16)
    assert len(datacube.parse_range("getusersummary", "2025-06-09", "2025-06-15", today)) == 7
    for begin, end, code in [("2025-06-08", "2025-06-15", 61501),  # 8 days
                             ("2025-06-16", "2025-06-16", 61501),  # today
                             ("2025-06-15", "2025-06-14", 61501),  # begin after end
                             ("2025/06/14", "2025-06-15", 61500),
                             ("2025-02-30", "2025-06-15", 61500)]:
        assert errcode(lambda b=begin, e=end: datacube.parse_range(
            "getusersummary", b, e, today)) == code
    assert errcode(lambda: datacube.parse_range("getarticletotal", "2025-06-14", "2025-06-15",
                                                today)) == 61501


def test_datacube_numbers_are_deterministic() -> None:
    days = [date(2025, 6, 14)]
    rows = datacube.query("getusersummary", days, [], {})
    assert rows == datacube.query("getusersummary", days, [], {})
    assert set(rows[0]) == {"ref_date", "user_source", "new_user", "cancel_user"}
    seeded = {("getusersummary", "2025-06-14"): [{"ref_date": "2025-06-14", "new_user": 7}]}
    assert datacube.query("getusersummary", days, [], seeded) == [
        {"ref_date": "2025-06-14", "new_user": 7}]


def test_the_call_log_keeps_the_newest_calls_only(state: EmulatorState,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """An emulator left running (the demo) must not grow without end."""
    from bot.emulator import state as state_module

    monkeypatch.setattr(state_module, "LOG_LIMIT", 3)
    state.reset()
    for n in range(5):
        state.log_call("GET", f"/cgi-bin/call/{n}", {"access_token": "secret-value"}, None)
    assert [c["path"] for c in state.calls] == [f"/cgi-bin/call/{n}" for n in (2, 3, 4)]
    assert all(c["query"]["access_token"] != "secret-value" for c in state.calls)
