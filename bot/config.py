"""Settings: environment variables ``WXOPS_*``, optionally a TOML file.

Precedence: environment, then the TOML file named by ``WXOPS_CONFIG``, then the
defaults, which run the demo out of the box. A bad value stops start-up with
one line naming the setting (``ConfigError``), never a traceback.

Two modes: the demo (neither ``WXOPS_APP_ID`` nor ``WXOPS_APP_SECRET``) and a
real account (both). A real account needs a Token as WeChat's console accepts
it: the demo's is public, and whoever knows the Token can sign a plain-mode
push.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.config_messages import SettingProblem, first_error
from bot.emulator import DEMO_APP_ID, DEMO_APP_SECRET, DEMO_TOKEN
from handlers import texts
from handlers.hours import OfficeHours
from workflow import recheck
from workflow.capabilities import AccountKind, AccountType

PREFIX = "WXOPS_"
CONFIG = f"{PREFIX}CONFIG"  # the variable naming the TOML file
DEFAULT_DATABASE_URL = "sqlite:///var/wxops.db"
MIN_LINK_SECRET = 16
SECRET_FIELDS = frozenset({"app_secret", "encoding_aes_key", "encoding_aes_key_previous",
                           "token", "database_url", "redis_url", "link_secret",
                           "metrics_token"})
#: How the processes write their log: lines for people, or one JSON object a line.
LOG_FORMATS = ("text", "json")
#: Hosts a page address may name over plain http: this machine (the demo, tests).
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
#: WeChat's console accepts a Token of 3 to 32 English letters or digits.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9]{3,32}")
#: Variables the tests and benchmarks read; not settings, and not a typo either.
TEST_ONLY_PREFIXES = (f"{PREFIX}TEST_", f"{PREFIX}BENCH_")
TEST_ONLY_NAMES = frozenset({f"{PREFIX}REGENERATE_DOCS"})


# Vocabulary, not a sentence: the words that mark a follower's message a complaint.
DEFAULT_COMPLAINT_WORDS = "投诉,举报,差评,骗,退款,曝光,维权,不满,太差"


class ConfigError(Exception):
    """A setting is missing or malformed: which (``setting``, the variable's name,
    or None), the ``problem`` (a macro of templates/cli/settings.j2) and its
    ``data``. ``str()`` words it, naming the setting."""

    def __init__(self, setting: str | None, problem: str, /, **data: Any) -> None:
        super().__init__(problem)
        self.setting, self.problem, self.data = setting, problem, data

    def __str__(self) -> str:
        why = texts.phrase("cli/settings", self.problem, **self.data)
        if self.setting is None:
            return why
        return texts.phrase("cli/settings", "named", setting=self.setting, why=why)


class Settings(BaseModel):
    """The effective settings. Built only by :func:`load_settings`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    database_url: str = Field(DEFAULT_DATABASE_URL, description="SQLAlchemy URL of the database")
    token: str = Field(DEMO_TOKEN, description="the Token set in the WeChat console")
    app_id: str = Field("", description="AppID of the Official Account (empty: demo)")
    app_secret: str = Field("", description="AppSecret of the Official Account")
    encoding_aes_key: str = Field("", description="EncodingAESKey (43 chars), enables safe mode")
    encoding_aes_key_previous: str = Field("", description="the key before the last rotation")
    wechat_api_base: str = Field("https://api.weixin.qq.com",
                                 description="base URL of the WeChat API (or the emulator)")
    timezone: str = Field("Asia/Shanghai", description="time zone for showing and parsing times")
    redis_url: str = Field("", description="optional Redis for the shared access token")
    wechat_path: str = Field("/wechat", description="URL path WeChat pushes to")
    max_clock_skew: int = Field(300, ge=0, le=86400,
                                description="refuse pushes older than this many seconds; 0: off")
    office_hours: str = Field("", description='e.g. "mon-fri 09:00-18:00"; empty: always')
    allow_plaintext_commands: bool = Field(
        False, description="accept staff commands from unencrypted pushes (no AES key)")
    template_id_notify: str = Field("", description="template message id for staff notices "
                                    "outside the 48-hour window (empty: hold them)")
    reply_sla: int = Field(30, ge=1, le=10080,
                           description="minutes a ticket may wait before staff are told")
    outbox_backoff_seconds: float = Field(5.0, gt=0, le=3600, allow_inf_nan=False,
                                          description="first retry delay; doubles each time")
    outbox_lease_seconds: int = Field(120, ge=5, le=86400,
                                      description="a claim older than this is a dead worker's")
    outbox_parallel: int = Field(
        4, ge=1, le=6,
        description="lanes a worker drains an outbox batch on, side by side (PostgreSQL; "
                    "one person's replies on one lane, in order)")
    outbox_incident_seconds: float = Field(
        60.0, ge=0, le=3600, allow_inf_nan=False,
        description="a notice about replies given up waits this long to gather the others "
                    "given up meanwhile (one notice per person for a burst)")
    complaint_words: str = Field(DEFAULT_COMPLAINT_WORDS,
                                 description="comma-separated words that raise a ticket's priority")
    account_kind: str = Field(AccountType.SERVICE.value,
                              description="the account's type: subscription or service")
    account_verified: bool = Field(True, description="whether WeChat verified the account "
                                   "(an account registered to a person is not)")
    account_name: str = Field("", max_length=64,
                              description="the account's name, shown on its web pages")
    public_url: str = Field("", description="the https address people open wxops' web "
                            "pages at (empty: no web pages, no preview links)")
    link_secret: str = Field("", description="the key page links are signed with (empty: "
                             "derived from the AppSecret)")
    preview_link_hours: int = Field(72, ge=1, le=720,
                                    description="hours a preview link can be opened")
    reports_dir: str = Field("var/reports", min_length=1, description="the folder "
                             "reports are kept in, one HTML file each (relative: to the "
                             "working directory)")
    surveys_dir: str = Field("var/surveys", min_length=1, description="the folder of "
                             "follower surveys, one TOML file each (relative: to the "
                             "working directory; missing: no surveys)")
    report_hour: int = Field(10, ge=0, le=23, description="the hour (account's time) from "
                             "which Monday's weekly report is made, once Sunday's figures "
                             "are in")
    report_link_days: int = Field(30, ge=1, le=30, description="days a report's link can "
                                  "be opened")
    evaluation_survey_days: int = Field(3, ge=0, le=30, description="days the quarterly "
                                        "evaluation waits for the staff survey's answers "
                                        "before it is made and sent (sooner when all have "
                                        "answered)")
    recheck_days: str = Field(str(recheck.DEFAULT_DAYS), description="days between "
                              "re-checks of a published article: a default, then optional "
                              "topic=days pairs (90, policy=30, events=14)")
    recheck_hour: int = Field(9, ge=0, le=23, description="the hour (account's time) from "
                              "which the day's re-check reminders are sent")
    draft_sync_minutes: float = Field(10.0, gt=0, le=1440, allow_inf_nan=False,
                                      description="minutes between the worker's reads of "
                                      "the WeChat draft box")
    analytics_pull_minutes: float = Field(60.0, gt=0, le=1440, allow_inf_nan=False,
                                          description="minutes between the worker's asks "
                                          "for yesterday's platform figures (until complete)")
    link_check_minutes: int = Field(30, ge=1, le=10080,
                                    description="minutes between two checks of one address "
                                    "an article in review cites (does it answer?)")
    link_timeout_seconds: float = Field(5.0, gt=0, le=60, allow_inf_nan=False,
                                        description="seconds an address has to answer")
    link_check_private: bool = Field(False, description="also check addresses on private "
                                     "and loopback networks (for tests; never in production)")
    metrics_token: str = Field("", description="the bearer token a Prometheus scrape of "
                               "/metrics must send (empty, and no WXOPS_METRICS_ALLOW: "
                               "/metrics is off)")
    metrics_allow: str = Field("", description="comma-separated addresses or networks "
                               "(10.0.0.5, 10.1.0.0/16) /metrics answers (empty: any, "
                               "with the token)")
    metrics_port: int = Field(0, ge=0, le=65535, description="the port the worker serves "
                              "its own /metrics on (0: none)")
    metrics_host: str = Field("127.0.0.1", min_length=1, description="the address the "
                              "worker's /metrics listens on")
    log_format: str = Field("text", description="text (lines for people) or json (one "
                            "object a line, for a log collector)")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            backend = make_url(value).get_backend_name()
        except ArgumentError:
            raise SettingProblem("database_url_invalid") from None
        if backend not in ("sqlite", "postgresql"):
            raise SettingProblem("database_backend", backend=backend)
        if backend == "postgresql" and not driver_installed(value):  # postgresql:// is psycopg2
            raise SettingProblem("database_driver", driver=make_url(value).get_driver_name())
        return value

    @field_validator("encoding_aes_key", "encoding_aes_key_previous")
    @classmethod
    def _aes_key(cls, value: str) -> str:
        if value:
            check_aes_key(value)
        return value

    @field_validator("wechat_api_base")
    @classmethod
    def _api_base(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")) or len(value) < 10:
            raise SettingProblem("not_http")
        return value.rstrip("/")

    @field_validator("recheck_days")
    @classmethod
    def _recheck_days(cls, value: str) -> str:
        try:
            recheck.parse_days(value)
        except recheck.RecheckDaysError as bad:
            raise SettingProblem(f"recheck_{bad.code}", part=bad.part[:40],
                                 most=recheck.MAX_DAYS) from None
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long
            raise SettingProblem("timezone_unknown", name=value[:40]) from None
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise SettingProblem("redis_url")
        return value

    @field_validator("wechat_path")
    @classmethod
    def _wechat_path(cls, value: str) -> str:
        if not value.startswith("/") or len(value) > 200 or any(c in value for c in "?# "):
            raise SettingProblem("wechat_path")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        if value:
            check_public_url(value)
        return value.rstrip("/")

    @field_validator("link_secret", "metrics_token")
    @classmethod
    def _secret(cls, value: str) -> str:
        """A secret someone could guess is refused (empty: not set)."""
        if value and len(value) < MIN_LINK_SECRET:
            raise SettingProblem("link_secret_short", length=len(value), least=MIN_LINK_SECRET)
        return value

    @field_validator("metrics_allow")
    @classmethod
    def _metrics_allow(cls, value: str) -> str:
        metrics_networks(value)
        return value

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        if value.strip().lower() not in LOG_FORMATS:
            raise SettingProblem("log_format", value=value[:40], formats=LOG_FORMATS)
        return value.strip().lower()

    @field_validator("account_kind")
    @classmethod
    def _account_kind(cls, value: str) -> str:
        kinds = [t.value for t in AccountType]
        if value.strip().lower() not in kinds:
            raise SettingProblem("account_kind", value=value[:40], kinds=kinds)
        return value.strip().lower()

    @field_validator("office_hours")
    @classmethod
    def _office_hours(cls, value: str) -> str:
        OfficeHours.parse(value)
        return value

    @property
    def kind(self) -> AccountKind:
        """The kind of account, which says what it may call (workflow.capabilities)."""
        return AccountKind.parse(self.account_kind, self.account_verified)

    @property
    def hours(self) -> OfficeHours:
        return OfficeHours.parse(self.office_hours)

    @property
    def complaint_word_list(self) -> tuple[str, ...]:
        return tuple(w.strip() for w in self.complaint_words.split(",") if w.strip())

    @property
    def recheck_intervals(self) -> recheck.RecheckDays:
        return recheck.parse_days(self.recheck_days)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def demo(self) -> bool:
        """No real credentials: run against the local emulator."""
        return not (self.app_id and self.app_secret)

    @property
    def demo_account(self) -> bool:
        """The emulator's account, which ``wxops run`` gives the demo's server and
        worker: its Token is the public default, and only the emulator knows it."""
        return (self.app_id, self.app_secret) == (DEMO_APP_ID, DEMO_APP_SECRET)

    def masked(self) -> dict[str, str]:
        """Every setting as its variable's name (``WXOPS_TOKEN``) -> value, secrets masked."""
        return {f"{PREFIX}{name.upper()}": _mask(name, str(getattr(self, name)))
                for name in type(self).model_fields}


def check_public_url(value: str) -> None:
    """An address people open: https (plain http only on this machine), a host,
    no query or fragment."""
    try:
        parts = urlsplit(value)
        _ = parts.port  # a port that is not a number
    except ValueError:
        raise SettingProblem("public_url_invalid") from None
    if (parts.scheme not in ("http", "https") or not parts.hostname or parts.query
            or parts.fragment or parts.username or parts.password or " " in value):
        raise SettingProblem("public_url_invalid")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise SettingProblem("public_url_not_https")


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def metrics_networks(value: str) -> tuple[Network, ...]:
    """``WXOPS_METRICS_ALLOW`` as networks (an address alone is a network of one)."""
    networks = []
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise SettingProblem("metrics_allow", part=part[:40]) from None
    return tuple(networks)


def check_aes_key(value: str) -> bytes:
    if len(value) != 43:
        raise SettingProblem("aes_key_length", length=len(value))
    try:
        key = base64.b64decode(value + "=", validate=True)
    except binascii.Error:
        raise SettingProblem("aes_key_chars") from None
    return key


def _mask(name: str, value: str) -> str:
    if name not in SECRET_FIELDS or not value:
        return value
    if name in ("database_url", "redis_url"):
        return _mask_url(value)
    return value[:2] + "*" * max(len(value) - 4, 4) + value[-2:]


def _mask_url(value: str) -> str:
    try:
        return make_url(value).render_as_string(hide_password=True)
    except ArgumentError:
        return value.split("@")[-1]


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read the settings; raise ConfigError naming the first bad one."""
    env = dict(os.environ if environ is None else environ)
    file_values = _read_toml(env.get(f"{PREFIX}CONFIG", ""))
    env_values = _environment_values(env)
    known = set(Settings.model_fields)
    values = {k: v for k, v in {**file_values, **env_values}.items() if k in known}
    unknown = sorted(set(file_values) - known)
    if unknown:
        raise ConfigError(None, "unknown_in_file", names=unknown)
    try:
        settings = Settings.model_validate(values)
    except ValidationError as exc:
        name, problem, data = first_error(exc)
        raise ConfigError(f"{PREFIX}{name.upper()}", problem, **data) from None
    _check_account(settings)
    return settings


def _environment_values(env: dict[str, str]) -> dict[str, str]:
    values = {}
    for key, value in env.items():
        if not key.startswith(PREFIX) or key == f"{PREFIX}CONFIG":
            continue
        if not _is_utf8(value):  # undecodable bytes: os.environ keeps them as surrogates
            raise ConfigError(key, "env_not_utf8")
        values[key[len(PREFIX):].lower()] = value
    return values


def _is_utf8(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_account(s: Settings) -> None:
    """A real account needs both credentials and a Token WeChat would accept."""
    if bool(s.app_id) != bool(s.app_secret):
        given, missing = ("APP_ID", "APP_SECRET") if s.app_id else ("APP_SECRET", "APP_ID")
        raise ConfigError(f"{PREFIX}{missing}", "account_half", given=f"{PREFIX}{given}")
    if s.demo or s.demo_account:
        return
    if problem := _token_problem(s.token):
        code, data = problem
        raise ConfigError(f"{PREFIX}TOKEN", code, **data)


def _token_problem(token: str) -> tuple[str, dict[str, Any]] | None:
    """What is wrong with a real account's Token (a code and its data), or None."""
    if not token:
        return "token_missing", {}
    if token == DEMO_TOKEN:
        return "token_demo", {"token": DEMO_TOKEN}
    if not 3 <= len(token) <= 32:
        return "token_length", {"length": len(token)}
    if not TOKEN_PATTERN.fullmatch(token):
        return "token_chars", {}
    return None


def unknown_variables(environ: Mapping[str, str] | None = None) -> list[str]:
    """One warning for each ``WXOPS_*`` variable that is not a setting, with the
    setting it was probably meant to be. The environment's typos are only warned
    about: variables of other versions or tools may share the prefix."""
    env = os.environ if environ is None else environ
    return [_unknown_variable(name) for name in sorted(env)
            if name.startswith(PREFIX) and not is_known_variable(name)]


def is_known_variable(name: str) -> bool:
    """A setting, ``WXOPS_CONFIG`` or a variable of the tests and benchmarks."""
    setting = name[len(PREFIX):].lower()
    return (setting in Settings.model_fields or name == f"{PREFIX}CONFIG"
            or name in TEST_ONLY_NAMES or name.startswith(TEST_ONLY_PREFIXES))


def _unknown_variable(name: str) -> str:
    # Compared without the prefix, which every candidate shares and would make
    # anything look close.
    names = [field.upper() for field in Settings.model_fields] + ["CONFIG"]
    close = difflib.get_close_matches(name[len(PREFIX):].upper(), names, n=1)
    return texts.phrase("cli/settings", "unknown_variable", name=name,
                        close=f"{PREFIX}{close[0]}" if close else None)


def _read_toml(path: str) -> dict[str, Any]:
    if not path:
        return {}
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError(CONFIG, "config_missing", path=path) from None
    except IsADirectoryError:
        raise ConfigError(CONFIG, "config_is_dir", path=path) from None
    except OSError as exc:
        raise ConfigError(CONFIG, "config_unreadable", path=path,
                          detail=str(exc.strerror or exc)) from None
    try:
        data = tomllib.loads(_utf8_text(path, raw))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(CONFIG, "config_not_toml", path=path, detail=str(exc)) from None
    return {str(k).lower(): v for k, v in data.items()}


def _utf8_text(path: str, raw: bytes) -> str:
    """The file as text. A byte-order mark (Windows Notepad writes one) is dropped;
    any other encoding, GBK for one, is refused: guessing could garble a word."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ConfigError(CONFIG, "config_not_utf8", path=path, line=line) from None


def driver_installed(url: str) -> bool:
    """Whether the DBAPI module a database URL names can be imported (wxops brings
    psycopg 3: ``postgresql+psycopg://``; a bare ``postgresql://`` means psycopg2)."""
    try:
        make_url(url).get_dialect().import_dbapi()
    except ImportError:
        return False
    return True
