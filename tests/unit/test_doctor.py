"""`wxops doctor`'s pure parts: the 40164 errmsg's address, the verdict, what a
capability's table, learnt row and probe say together, which kind fits the
probes, and the report as people read it (one rendering test of the words)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.cli_doctor import WIDTH, columns, fit, report
from bot.diagnosis import (
    Check,
    Status,
    capability_check,
    clock_verdict,
    kind_check,
    skipped,
    transport_cause,
    verdict,
)
from bot.probe import Answer, Probed, fits
from bot.wechat_errors import whitelist_ip
from workflow.capabilities import (
    ALL_KINDS,
    UNVERIFIED_SERVICE,
    UNVERIFIED_SUBSCRIPTION,
    VERIFIED_SERVICE,
    VERIFIED_SUBSCRIPTION,
    Capability,
    LearntMissing,
    kinds_fitting,
)

CS, MENU, PUBLISH = Capability.CUSTOMER_SERVICE, Capability.MENU, Capability.FREE_PUBLISH


@pytest.mark.parametrize(("errmsg", "ip"), [
    ("invalid ip 120.244.112.8 ipv6 ::ffff:120.244.112.8, not in whitelist rid: "
     "5fa26c60-1a0ebdd5-32fd1cd0", "120.244.112.8"),
    ("invalid ip 101.45.43.1 ipv6 ::ffff:101.45.43.1, not in whitelist hint: "
     "[jotvMa01143580]", "101.45.43.1"),
    ("invalid ip  ipv6 2408:8207:2423::1, not in whitelist rid: 1-2-3", "2408:8207:2423::1"),
    ("invalid ip ipv6 ::ffff:10.0.0.2, not in whitelist", "10.0.0.2"),
    ("not in whitelist", None),
    ("", None),
])
def test_the_address_to_whitelist_is_read_from_40164s_errmsg(errmsg: str, ip: str | None) -> None:
    assert whitelist_ip(errmsg) == ip


def check(status: Status) -> Check:
    return Check("x", status, "p")


def test_the_verdict_fails_only_on_a_failure() -> None:
    assert verdict([check(Status.OK), check(Status.WARN), check(Status.SKIP)]) == 0
    assert verdict([check(Status.OK), check(Status.FAIL)]) == 1
    assert verdict([]) == 0


def probed(cap: Capability, answer: Answer, errcode: int | None = None) -> Probed:
    return Probed(cap, answer, "call", errcode, "detail")


ALLOWED, REFUSED, FAILED = Answer.ALLOWED, Answer.REFUSED, Answer.FAILED
SINCE = LearntMissing(datetime(2026, 12, 1, tzinfo=UTC), 48001, "send_text")


@pytest.mark.parametrize(("granted", "learnt", "answer", "status", "problem"), [
    (True, None, ALLOWED, Status.OK, "works"),
    (True, None, None, Status.OK, "by_table"),
    (True, None, REFUSED, Status.WARN, "refused"),
    (True, SINCE, REFUSED, Status.WARN, "refused"),
    (True, None, FAILED, Status.FAIL, "probe_failed"),
    (True, SINCE, ALLOWED, Status.WARN, "works_but_learnt"),
    (True, SINCE, None, Status.WARN, "learnt_missing"),
    # A capability the kind has not got is no failure, whatever its call said...
    (False, None, REFUSED, Status.SKIP, "not_granted"),
    (False, SINCE, None, Status.SKIP, "not_granted"),
    (False, None, FAILED, Status.SKIP, "not_granted"),
    # ...unless the platform allowed it: the kind setting is then the question.
    (False, None, ALLOWED, Status.WARN, "allowed_beyond_kind"),
])
def test_a_capability_line_weighs_table_learnt_row_and_probe(
        granted: bool, learnt: LearntMissing | None, answer: Answer | None, status: Status,
        problem: str) -> None:
    found = capability_check(CS, granted, learnt, probed(CS, answer) if answer else None)
    assert (found.code, found.status, found.problem) == ("capability.customer_service",
                                                         status, problem)


def test_a_capability_learnt_missing_names_the_reset_command() -> None:
    found = capability_check(CS, True, SINCE, probed(CS, ALLOWED))
    assert found.data["fix"] == "wxops capabilities reset customer_service"
    assert found.data["learnt_missing_since"] == "2026-12-01T00:00:00+00:00"


def test_which_kinds_fit_the_answers() -> None:
    assert kinds_fitting({}) == ALL_KINDS  # nothing asked: every kind fits
    assert kinds_fitting({CS: False, MENU: False}) == (UNVERIFIED_SUBSCRIPTION,)
    assert kinds_fitting({CS: False, MENU: True}) == (UNVERIFIED_SERVICE,)
    assert kinds_fitting({CS: True, Capability.TEMPLATE_MESSAGE: True}) == (VERIFIED_SERVICE,)
    assert kinds_fitting({CS: True, Capability.TEMPLATE_MESSAGE: False}) == (
        VERIFIED_SUBSCRIPTION,)
    # Verified, yet free publishing refused (an account registered to a person): none.
    assert kinds_fitting({CS: True, PUBLISH: False}) == ()


def test_a_failed_probe_says_nothing_of_the_kind_and_the_settings_kind_comes_first() -> None:
    answers = {CS: probed(CS, ALLOWED), MENU: probed(MENU, FAILED)}
    assert fits(VERIFIED_SERVICE, answers) == (VERIFIED_SERVICE, VERIFIED_SUBSCRIPTION)
    assert fits(VERIFIED_SUBSCRIPTION, answers)[0] == VERIFIED_SUBSCRIPTION


def test_the_kind_line_says_which_setting_fits() -> None:
    wrong = kind_check(VERIFIED_SERVICE, (UNVERIFIED_SUBSCRIPTION,), 7)
    assert (wrong.status, wrong.problem) == (Status.FAIL, "kind_wrong")
    assert wrong.data["fix"] == "WXOPS_ACCOUNT_KIND=subscription WXOPS_ACCOUNT_VERIFIED=false"
    assert kind_check(VERIFIED_SERVICE, (VERIFIED_SERVICE,), 7).status is Status.OK
    assert kind_check(VERIFIED_SERVICE, (), 7).problem == "no_kind_fits"
    assert kind_check(VERIFIED_SERVICE, ALL_KINDS, 0).problem == "nothing_answered"


@pytest.mark.parametrize(("detail", "cause"), [
    ("stable_token: HTTPConnectionPool(...): Max retries exceeded (Caused by "
     "NewConnectionError(': Failed to establish a new connection: [Errno 111] Connection "
     "refused'))", "refused"),
    ("ConnectTimeoutError(..., 'Connection to 10.0.0.1 timed out. (connect timeout=5)')",
     "timeout"),
    ("NameResolutionError: Failed to resolve 'api.example'", "dns"),
    ("stable_token: Expecting value: line 1 column 1", "other"),
])
def test_how_a_connection_failed(detail: str, cause: str) -> None:
    assert transport_cause(detail) == cause


def test_a_long_line_is_broken_to_the_terminal_width() -> None:
    line = "✗ 数据库：连不上（" + "很长的原因" * 30 + "）"
    fitted = fit(line).splitlines()
    assert len(fitted) > 1 and all(columns(part) <= WIDTH for part in fitted)
    assert "".join(p.removeprefix("    ") for p in fitted) == line
    assert columns("中a") == 3


#: One check of every kind the report can show, with the data the checks give.
EVERY_CHECK = [
    Check("settings", Status.OK, "loaded", {"demo": False, "app_id": "wx5823bf96d3bd56c7"}),
    Check("access_token", Status.FAIL, "ip_not_whitelisted",
          {"errcode": 40164, "errmsg": "invalid ip 203.0.113.9", "ip": "203.0.113.9",
           "app_id": "wx5823bf96d3bd56c7"}),
    Check("access_token", Status.FAIL, "unreachable",
          {"address": "https://api.weixin.qq.com", "cause": "timeout", "detail": "…"}),
    Check("access_token", Status.FAIL, "wrong_secret", {"errcode": 40125, "errmsg": ""}),
    Check("server_url", Status.FAIL, "token_mismatch",
          {"address": "https://wx.example.org/wechat", "http_status": 403}),
    Check("server_url", Status.SKIP, "no_url", {"path": "/wechat"}),
    Check("aes_key", Status.WARN, "safe_mode_off"),
    Check("database", Status.FAIL, "not_migrated",
          {"status": "not_migrated", "revision": None, "head": "0014",
           "fix": "wxops db upgrade"}),
    Check("worker", Status.FAIL, "stale", {"worker": "web1:4242", "age_seconds": 600,
                                           "last_beat": "", "fix": "wxops worker"}),
    skipped("outbox", "no_database"),
    Check("outbox", Status.WARN, "dead_rows", {"dead": 3, "pending": 0,
                                               "fix": "wxops outbox dead"}),
    clock_verdict(0.3, 300),
    clock_verdict(-92.4, 300),
    clock_verdict(412.0, 300),
    Check("clock", Status.OK, "same_host"),
    capability_check(CS, True, None, probed(CS, REFUSED, 48001)),
    capability_check(PUBLISH, False, None, None),
    capability_check(MENU, True, None, probed(MENU, ALLOWED)),
    kind_check(VERIFIED_SERVICE, (UNVERIFIED_SUBSCRIPTION,), 7),
]


@pytest.mark.parametrize(("offset", "max_skew", "status", "problem"), [
    (0.0, 300, Status.OK, "agrees"), (-0.9, 300, Status.OK, "agrees"),
    (1.0, 300, Status.WARN, "off"), (-299.9, 300, Status.WARN, "off"),
    (300.0, 300, Status.FAIL, "far_off"), (-3600.0, 300, Status.FAIL, "far_off"),
    (3600.0, 0, Status.WARN, "off"),  # the skew check off: nothing is refused for it
])
def test_a_clock_a_second_off_is_worth_a_look_and_one_past_the_skew_fails(
        offset: float, max_skew: int, status: Status, problem: str) -> None:
    check = clock_verdict(offset, max_skew)
    assert (check.status, check.problem) == (status, problem)
    assert check.data["offset_seconds"] == round(offset, 1)


def test_the_report_reads_in_chinese_within_80_columns() -> None:
    text = report(EVERY_CHECK)
    lines = text.splitlines()
    assert all(columns(line) <= WIDTH for line in lines), text
    assert lines[0] == "✓ 配置：已读取（AppID wx5823bf96d3bd56c7）"
    assert "✗ access_token：本机出口 IP 203.0.113.9 不在白名单（40164）" in lines
    assert any("IP 白名单中加入 203.0.113.9" in line for line in lines)
    assert any(line.startswith("✗ 服务器地址：Token 不一致") for line in lines)
    assert "  → 运行 wxops db upgrade" in lines
    assert "! 客服消息：微信拒绝（48001），已记为缺失" in lines
    assert any(line.startswith("– 发布能力：此类账号没有") for line in lines)
    assert "✓ 自定义菜单：可用（菜单接口）" in lines
    assert "  → 设置 WXOPS_ACCOUNT_KIND=subscription WXOPS_ACCOUNT_VERIFIED=false" in lines
    assert lines[-1].startswith("8 项未通过")
