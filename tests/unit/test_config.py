"""Settings: defaults that run the demo, one clear line for each bad value."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot import demo
from bot.config import ConfigError, Settings, load_settings, unknown_variables
from bot.config_messages import problem
from bot.emulator import DEMO_TOKEN
from workflow.capabilities import (
    UNVERIFIED_SERVICE,
    UNVERIFIED_SUBSCRIPTION,
    VERIFIED_SERVICE,
    VERIFIED_SUBSCRIPTION,
    AccountKind,
)

GOOD_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def test_defaults_work_out_of_the_box() -> None:
    s = load_settings({})
    assert s.database_url.startswith("sqlite:///var/")
    assert (s.timezone, s.demo, s.redis_url) == ("Asia/Shanghai", True, "")
    assert s.wechat_api_base == "https://api.weixin.qq.com"


@pytest.mark.parametrize(("name", "value", "code", "data"), [
    ("WXOPS_ENCODING_AES_KEY", "a" * 42, "aes_key_length", {"length": 42}),
    ("WXOPS_ENCODING_AES_KEY", "!" * 43, "aes_key_chars", {}),
    ("WXOPS_ENCODING_AES_KEY_PREVIOUS", "short", "aes_key_length", {"length": 5}),
    ("WXOPS_TIMEZONE", "Mars/Olympus", "timezone_unknown", {"name": "Mars/Olympus"}),
    ("WXOPS_TIMEZONE", "../../etc/passwd", "timezone_unknown", {"name": "../../etc/passwd"}),
    ("WXOPS_DATABASE_URL", "not a url", "database_url_invalid", {}),
    ("WXOPS_DATABASE_URL", "mysql://root@localhost/x", "database_backend", {"backend": "mysql"}),
    # wxops brings psycopg 3; a bare postgresql:// means psycopg2 (a traceback before)
    ("WXOPS_DATABASE_URL", "postgresql://wxops@/wxops", "database_driver", {"driver": "psycopg2"}),
    ("WXOPS_WECHAT_API_BASE", "api.weixin.qq.com", "not_http", {}),
    ("WXOPS_REDIS_URL", "localhost:6379", "redis_url", {}),
    ("WXOPS_PUBLIC_URL", "wx.example.org", "public_url_invalid", {}),
    ("WXOPS_PUBLIC_URL", "https://wx.example.org/?a=1", "public_url_invalid", {}),
    ("WXOPS_PUBLIC_URL", "https://wx.example.org:port", "public_url_invalid", {}),
    ("WXOPS_PUBLIC_URL", "http://wx.example.org", "public_url_not_https", {}),
    ("WXOPS_LINK_SECRET", "short", "link_secret_short", {"length": 5, "least": 16}),
    ("WXOPS_PREVIEW_LINK_HOURS", "0", "greater_than_equal", {"ge": 1}),
    ("WXOPS_METRICS_TOKEN", "short", "link_secret_short", {"length": 5, "least": 16}),
    ("WXOPS_METRICS_ALLOW", "10.0.0.1, intranet", "metrics_allow", {"part": "intranet"}),
    ("WXOPS_METRICS_PORT", "70000", "less_than_equal", {"le": 65535}),
    ("WXOPS_LOG_FORMAT", "xml", "log_format", {"value": "xml", "formats": ("text", "json")}),
])
def test_a_bad_value_names_the_setting_in_one_line(name: str, value: str, code: str,
                                                   data: dict[str, object]) -> None:
    assert refusal({name: value}) == (name, code, data)


@pytest.mark.parametrize(("value", "kept"), [
    ("https://wx.example.org/", "https://wx.example.org"),
    ("https://wx.example.org/wxops", "https://wx.example.org/wxops"),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),  # plain http only on this machine
    ("http://localhost:8080/", "http://localhost:8080"),
])
def test_a_public_url_is_kept_without_its_last_slash(value: str, kept: str) -> None:
    assert load_settings({"WXOPS_PUBLIC_URL": value}).public_url == kept


def test_a_refusal_reads_as_the_setting_and_the_catalogues_words() -> None:
    assert one_line_error({"WXOPS_ENCODING_AES_KEY": "a" * 42}) == (
        "WXOPS_ENCODING_AES_KEY：EncodingAESKey 必须是 43 个字符（当前 42 个）")
    assert one_line_error({"WXOPS_TIMEZONE": "Mars/Olympus"}) == (
        "WXOPS_TIMEZONE：未知时区 'Mars/Olympus'（例如 Asia/Shanghai）")


def test_toml_file_then_environment(tmp_path: Path) -> None:
    path = tmp_path / "wxops.toml"
    path.write_text('timezone = "Asia/Tokyo"\ntoken = "from-file"\n', encoding="utf-8")
    s = load_settings({"WXOPS_CONFIG": str(path), "WXOPS_TOKEN": "from-env"})
    assert (s.timezone, s.token) == ("Asia/Tokyo", "from-env")


@pytest.mark.parametrize(("content", "setting", "code"), [
    ("colour = 'blue'\n", None, "unknown_in_file"),
    ("timezone = \n", "WXOPS_CONFIG", "config_not_toml"),
])
def test_bad_toml_files(tmp_path: Path, content: str, setting: str | None, code: str) -> None:
    path = tmp_path / "wxops.toml"
    path.write_text(content, encoding="utf-8")
    assert refusal({"WXOPS_CONFIG": str(path)})[:2] == (setting, code)
    missing = str(tmp_path / "missing.toml")
    assert refusal({"WXOPS_CONFIG": missing}) == ("WXOPS_CONFIG", "config_missing",
                                                  {"path": missing})


def test_an_unknown_setting_in_the_file_is_named() -> None:
    assert "colour" in str(ConfigError(None, "unknown_in_file", names=["colour"]))


def test_masked_settings_hide_secrets() -> None:
    s = load_settings({"WXOPS_APP_SECRET": "supersecretvalue", "WXOPS_ENCODING_AES_KEY": GOOD_KEY,
                       "WXOPS_DATABASE_URL": "postgresql+psycopg://u:pw@db/wx",
                       "WXOPS_APP_ID": "wx123", "WXOPS_TOKEN": "myRealToken2024"})
    shown = s.masked()
    assert "supersecretvalue" not in shown["WXOPS_APP_SECRET"]
    assert GOOD_KEY not in shown["WXOPS_ENCODING_AES_KEY"]
    assert "pw" not in shown["WXOPS_DATABASE_URL"] and "db/wx" in shown["WXOPS_DATABASE_URL"]
    assert shown["WXOPS_APP_ID"] == "wx123" and not s.demo
    assert "myRealToken2024" not in shown["WXOPS_TOKEN"]


def one_line_error(environ: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as bad:
        load_settings(environ)
    message = str(bad.value)
    assert "\n" not in message
    return message


def refusal(environ: dict[str, str]) -> tuple[str | None, str, dict[str, object]]:
    """The setting ``load_settings`` refuses, the problem's code and its data."""
    with pytest.raises(ConfigError) as bad:
        load_settings(environ)
    assert "\n" not in str(bad.value)  # worded in one line
    return bad.value.setting, bad.value.problem, bad.value.data


# --- the TOML file's encoding ---------------------------------------------------------------


def test_a_toml_file_that_is_not_utf8_is_one_line_naming_wxops_config(tmp_path: Path) -> None:
    path = tmp_path / "gbk.toml"
    path.write_bytes('timezone = "Asia/Shanghai"\ncomplaint_words = "投诉,骗"\n'.encode("gbk"))
    assert refusal({"WXOPS_CONFIG": str(path)}) == ("WXOPS_CONFIG", "config_not_utf8",
                                                    {"path": str(path), "line": 2})


def test_a_toml_file_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    """Windows Notepad saves UTF-8 with a BOM, which tomllib alone refuses."""
    path = tmp_path / "bom.toml"
    path.write_bytes('complaint_words = "投诉,骗"\n'.encode("utf-8-sig"))
    assert load_settings({"WXOPS_CONFIG": str(path)}).complaint_word_list == ("投诉", "骗")


def test_a_directory_as_the_toml_file_is_one_line(tmp_path: Path) -> None:
    assert refusal({"WXOPS_CONFIG": str(tmp_path)})[:2] == ("WXOPS_CONFIG", "config_is_dir")


def test_an_environment_value_that_is_not_utf8_is_refused() -> None:
    """os.environ keeps undecodable bytes (a GBK value) as surrogates."""
    gbk = "投诉".encode("gbk").decode("utf-8", "surrogateescape")
    assert refusal({"WXOPS_COMPLAINT_WORDS": gbk}) == ("WXOPS_COMPLAINT_WORDS", "env_not_utf8", {})


# --- a real account: both credentials and a Token WeChat accepts ---------------------------

REAL = {"WXOPS_APP_ID": "wx5823bf96d3bd56c7", "WXOPS_APP_SECRET": "real-secret"}


@pytest.mark.parametrize(("token", "code"), [
    ("", "token_missing"),
    (DEMO_TOKEN, "token_demo"),
    ("my token", "token_chars"),
    ("my-token", "token_chars"),
    ("令牌token", "token_chars"),
    ("ab", "token_length"),
    ("a" * 33, "token_length"),
])
def test_a_real_account_refuses_a_token_wechat_would_not_accept(token: str, code: str) -> None:
    setting, problem, data = refusal({**REAL, "WXOPS_TOKEN": token})
    assert (setting, problem) == ("WXOPS_TOKEN", code)
    if token and token != DEMO_TOKEN:  # a real Token is a secret
        assert token not in one_line_error({**REAL, "WXOPS_TOKEN": token})
        assert token not in str(data)


def test_a_real_account_refuses_the_demo_token_by_default() -> None:
    assert refusal(REAL) == ("WXOPS_TOKEN", "token_demo", {"token": DEMO_TOKEN})


def test_a_real_account_refuses_a_bad_token_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "wxops.toml"
    path.write_text('token = "with space"\n', encoding="utf-8")
    assert refusal({**REAL, "WXOPS_CONFIG": str(path)})[:2] == ("WXOPS_TOKEN", "token_chars")


@pytest.mark.parametrize("token", ["abc", "a" * 32, "wxopsToken2024", "123456"])
def test_a_real_account_accepts_3_to_32_letters_or_digits(token: str) -> None:
    s = load_settings({**REAL, "WXOPS_TOKEN": token})
    assert s.token == token and not s.demo


def test_the_demo_keeps_the_public_token() -> None:
    assert load_settings({}).token == DEMO_TOKEN
    assert load_settings({"WXOPS_TOKEN": ""}).demo


def test_the_demo_processes_keep_the_public_token() -> None:
    """`wxops run` gives its server and worker the emulator's account: no real Token."""
    s = load_settings(demo.environment("http://127.0.0.1:9090"))
    assert (s.token, s.demo, s.demo_account) == (DEMO_TOKEN, False, True)


@pytest.mark.parametrize(("given", "missing"), [
    ({"WXOPS_APP_ID": "wx5823bf96d3bd56c7"}, "WXOPS_APP_SECRET"),
    ({"WXOPS_APP_SECRET": "real-secret"}, "WXOPS_APP_ID"),
])
def test_one_credential_without_the_other_is_refused(given: dict[str, str], missing: str) -> None:
    """Not a silent fall-back to the demo: the operator thinks it is production."""
    other = next(iter(given))
    assert refusal({**given, "WXOPS_TOKEN": "wxopsToken2024"}) == (missing, "account_half",
                                                                   {"given": other})


# --- pydantic's refusals, in Chinese ---------------------------------------------------------


@pytest.mark.parametrize(("name", "value", "code", "data"), [
    ("WXOPS_ALLOW_PLAINTEXT_COMMANDS", "maybe", "bool_parsing", {}),
    ("WXOPS_OUTBOX_BACKOFF_SECONDS", "0", "greater_than", {"gt": 0}),
    ("WXOPS_OUTBOX_BACKOFF_SECONDS", "-1", "greater_than", {"gt": 0}),
    ("WXOPS_OUTBOX_BACKOFF_SECONDS", "abc", "float_parsing", {}),
    ("WXOPS_OUTBOX_BACKOFF_SECONDS", "nan", "finite_number", {}),
    ("WXOPS_OUTBOX_BACKOFF_SECONDS", "inf", "finite_number", {}),
    ("WXOPS_OUTBOX_BACKOFF_SECONDS", "-inf", "finite_number", {}),
    ("WXOPS_OUTBOX_BACKOFF_SECONDS", "3601", "less_than_equal", {"le": 3600}),
    ("WXOPS_MAX_CLOCK_SKEW", "5.5", "int_parsing", {}),
    ("WXOPS_MAX_CLOCK_SKEW", "-1", "greater_than_equal", {"ge": 0}),
    ("WXOPS_MAX_CLOCK_SKEW", "9" * 5000, "int_parsing_size", {}),
    ("WXOPS_OUTBOX_LEASE_SECONDS", "1", "greater_than_equal", {"ge": 5}),
    ("WXOPS_OUTBOX_PARALLEL", "0", "greater_than_equal", {"ge": 1}),
    ("WXOPS_OUTBOX_PARALLEL", "7", "less_than_equal", {"le": 6}),
    ("WXOPS_REPLY_SLA", "99999", "less_than_equal", {"le": 10080}),
    ("WXOPS_DRAFT_SYNC_MINUTES", "0", "greater_than", {"gt": 0}),
    ("WXOPS_DRAFT_SYNC_MINUTES", "1441", "less_than_equal", {"le": 1440}),
    ("WXOPS_ANALYTICS_PULL_MINUTES", "0", "greater_than", {"gt": 0}),
    ("WXOPS_ANALYTICS_PULL_MINUTES", "1441", "less_than_equal", {"le": 1440}),
    ("WXOPS_TIMEZONE", "x" * 300, "timezone_unknown", {"name": "x" * 40}),
])
def test_pydantic_refusals_are_chinese(name: str, value: str, code: str,
                                       data: dict[str, object]) -> None:
    assert refusal({name: value}) == (name, code, data)
    message = one_line_error({name: value})
    assert "Input" not in message and "should" not in message


def test_pydantic_refusals_read_as_the_catalogue_words_them() -> None:
    assert one_line_error({"WXOPS_OUTBOX_BACKOFF_SECONDS": "3601"}) == (
        "WXOPS_OUTBOX_BACKOFF_SECONDS：不能大于 3600")
    assert one_line_error({"WXOPS_ALLOW_PLAINTEXT_COMMANDS": "maybe"}) == (
        "WXOPS_ALLOW_PLAINTEXT_COMMANDS：必须是 1 或 0（也可以写 true/false、yes/no、on/off）")


@pytest.mark.parametrize(("line", "name", "code"), [
    ("token = 5", "WXOPS_TOKEN", "string_type"),
    ("allow_plaintext_commands = [1]", "WXOPS_ALLOW_PLAINTEXT_COMMANDS", "bool_type"),
    ("max_clock_skew = 5.5", "WXOPS_MAX_CLOCK_SKEW", "int_from_float"),
    ("outbox_backoff_seconds = nan", "WXOPS_OUTBOX_BACKOFF_SECONDS", "finite_number"),
    ("outbox_backoff_seconds = 'x'", "WXOPS_OUTBOX_BACKOFF_SECONDS", "float_parsing"),
    ("reply_sla = 2020-01-01", "WXOPS_REPLY_SLA", "int_type"),
])
def test_toml_values_of_the_wrong_type_are_chinese(tmp_path: Path, line: str, name: str,
                                                   code: str) -> None:
    path = tmp_path / "wxops.toml"
    path.write_text(line + "\n", encoding="utf-8")
    assert refusal({"WXOPS_CONFIG": str(path)})[:2] == (name, code)
    assert "Input" not in one_line_error({"WXOPS_CONFIG": str(path)})


HOSTILE = ["maybe", "0", "-1", "abc", "nan", "inf", "1e400", "5.5", "9" * 5000, "", "x" * 300]


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_no_value_of_any_setting_gets_an_english_refusal(field: str) -> None:
    for value in HOSTILE:
        try:
            load_settings({f"WXOPS_{field.upper()}": value})
        except ConfigError as exc:
            why = str(exc).split("：", 1)[1]
            assert re.search(r"[\u4e00-\u9fff]", why), (value, why)
            assert "Input should" not in why and "Value error" not in why


def test_an_error_type_without_a_message_is_still_not_english() -> None:
    assert problem("some_new_type", {}) == ("unknown_type", {"error_type": "some_new_type"})
    assert str(ConfigError("WXOPS_TOKEN", "unknown_type", error_type="some_new_type")) == (
        "WXOPS_TOKEN：取值无效（some_new_type）")
    assert problem("less_than_equal", {"le": 3600.0}) == ("less_than_equal", {"le": 3600})


# --- WXOPS_* variables that are not settings -------------------------------------------------


def test_a_misspelled_variable_is_warned_about_with_a_suggestion() -> None:
    warnings = unknown_variables({"WXOPS_MAX_CLOCKSKEW": "5", "WXOPS_TOKEN": "x", "HOME": "/"})
    assert warnings == ["环境变量 WXOPS_MAX_CLOCKSKEW 不是 wxops 的设置，已忽略"
                        "（是不是 WXOPS_MAX_CLOCK_SKEW？）"]


def test_a_variable_like_no_setting_gets_no_suggestion() -> None:
    [warning] = unknown_variables({"WXOPS_DEBUG": "1"})
    assert "WXOPS_DEBUG" in warning and "是不是" not in warning and "\n" not in warning


def test_settings_and_test_only_variables_are_not_warned_about() -> None:
    names = [f"WXOPS_{f.upper()}" for f in Settings.model_fields] + [
        "WXOPS_CONFIG", "WXOPS_TEST_ANYTHING", "WXOPS_BENCH_ANYTHING", "WXOPS_REGENERATE_DOCS"]
    assert unknown_variables(dict.fromkeys(names, "1")) == []


ROOT = Path(__file__).resolve().parents[2]
#: Misspellings written on purpose, in the tests of the warning.
DELIBERATE = {"WXOPS_MAX_CLOCKSKEW", "WXOPS_DEBUG", "WXOPS_TEST_ANYTHING", "WXOPS_BENCH_ANYTHING"}


def wxops_names_in_the_repository() -> set[str]:
    skip = {".git", ".venv", "var", "node_modules", "__pycache__", ".mypy_cache",
            ".ruff_cache", ".pytest_cache"}
    names: set[str] = set()
    for path in ROOT.rglob("*"):
        parts = set(path.relative_to(ROOT).parts)
        if path.is_file() and not parts & skip and not any(p.endswith(".egg-info")
                                                            for p in parts):
            text = path.read_text(encoding="utf-8", errors="ignore")
            names |= set(re.findall(r"\bWXOPS_[A-Z0-9_]*[A-Z0-9]\b", text))
    return names


def test_no_wxops_variable_read_anywhere_in_the_repository_is_warned_about() -> None:
    """Code, tests, benchmarks, deploy/ and docs: every WXOPS_ name but the
    deliberate misspellings above is a setting or a documented test-only one."""
    names = wxops_names_in_the_repository()
    assert {"WXOPS_TEST_CRASH_AFTER_SEND", "WXOPS_BENCH_SEPARATE_DB",
            "WXOPS_REGENERATE_DOCS", "WXOPS_TEST_DATABASE_URL"} <= names
    assert unknown_variables(dict.fromkeys(names - DELIBERATE, "1")) == []
    assert len(unknown_variables(dict.fromkeys(DELIBERATE, "1"))) == 2  # the scan sees them


# --- the kind of account ----------------------------------------------------------


def test_the_account_is_a_verified_service_account_by_default() -> None:
    s = load_settings({})
    assert (s.account_kind, s.account_verified) == ("service", True)
    assert s.kind == VERIFIED_SERVICE


@pytest.mark.parametrize(("kind", "verified", "expected"), [
    ("subscription", "0", UNVERIFIED_SUBSCRIPTION),
    ("Subscription", "false", UNVERIFIED_SUBSCRIPTION),
    ("service", "no", UNVERIFIED_SERVICE),
    ("subscription", "1", VERIFIED_SUBSCRIPTION),
])
def test_the_kind_of_account_is_set(kind: str, verified: str, expected: AccountKind) -> None:
    s = load_settings({"WXOPS_ACCOUNT_KIND": kind, "WXOPS_ACCOUNT_VERIFIED": verified})
    assert s.kind == expected


def test_a_kind_that_is_not_one_is_refused_naming_the_setting() -> None:
    assert refusal({"WXOPS_ACCOUNT_KIND": "订阅号"}) == (
        "WXOPS_ACCOUNT_KIND", "account_kind",
        {"value": "订阅号", "kinds": ["subscription", "service"]})
    assert one_line_error({"WXOPS_ACCOUNT_KIND": "enterprise"}) == (
        "WXOPS_ACCOUNT_KIND：必须是 subscription 或 service（订阅号或服务号），"
        "而不是 'enterprise'")


def test_verified_must_be_a_boolean() -> None:
    assert refusal({"WXOPS_ACCOUNT_VERIFIED": "maybe"}) == (
        "WXOPS_ACCOUNT_VERIFIED", "bool_parsing", {})
