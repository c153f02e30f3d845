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
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.config_messages import first_error
from bot.emulator import DEMO_APP_ID, DEMO_APP_SECRET, DEMO_TOKEN
from handlers.hours import OfficeHours

PREFIX = "WXOPS_"
DEFAULT_DATABASE_URL = "sqlite:///var/wxops.db"
SECRET_FIELDS = frozenset({"app_secret", "encoding_aes_key", "encoding_aes_key_previous",
                           "token", "database_url", "redis_url"})
#: WeChat's console accepts a Token of 3 to 32 English letters or digits.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9]{3,32}")
#: Variables the tests and benchmarks read; not settings, and not a typo either.
TEST_ONLY_PREFIXES = (f"{PREFIX}TEST_", f"{PREFIX}BENCH_")
TEST_ONLY_NAMES = frozenset({f"{PREFIX}REGENERATE_DOCS"})


DEFAULT_COMPLAINT_WORDS = "投诉,举报,差评,骗,退款,曝光,维权,不满,太差"


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it."""


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
    outbox_incident_seconds: float = Field(
        60.0, ge=0, le=3600, allow_inf_nan=False,
        description="a notice about replies given up waits this long to gather the others "
                    "given up meanwhile (one notice per person for a burst)")
    complaint_words: str = Field(DEFAULT_COMPLAINT_WORDS,
                                 description="comma-separated words that raise a ticket's priority")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            backend = make_url(value).get_backend_name()
        except ArgumentError:
            raise ValueError("不是合法的数据库 URL") from None
        if backend not in ("sqlite", "postgresql"):
            raise ValueError(f"只支持 sqlite 和 postgresql，而不是 {backend}")
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
            raise ValueError("必须是 http:// 或 https:// 开头的 URL")
        return value.rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long
            raise ValueError(f"未知时区 {value[:40]!r}（例如 Asia/Shanghai）") from None
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("必须是 redis://、rediss:// 或 unix:// 开头的 URL")
        return value

    @field_validator("wechat_path")
    @classmethod
    def _wechat_path(cls, value: str) -> str:
        if not value.startswith("/") or len(value) > 200 or any(c in value for c in "?# "):
            raise ValueError("必须是以 / 开头的路径，例如 /wechat")
        return value

    @field_validator("office_hours")
    @classmethod
    def _office_hours(cls, value: str) -> str:
        OfficeHours.parse(value)
        return value

    @property
    def hours(self) -> OfficeHours:
        return OfficeHours.parse(self.office_hours)

    @property
    def complaint_word_list(self) -> tuple[str, ...]:
        return tuple(w.strip() for w in self.complaint_words.split(",") if w.strip())

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


def check_aes_key(value: str) -> bytes:
    if len(value) != 43:
        raise ValueError(f"EncodingAESKey 必须是 43 个字符（当前 {len(value)} 个）")
    try:
        key = base64.b64decode(value + "=", validate=True)
    except binascii.Error:
        raise ValueError("EncodingAESKey 必须由字母、数字、+ 和 / 组成") from None
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
        raise ConfigError(f"配置文件中有未知设置：{', '.join(unknown)}")
    try:
        settings = Settings.model_validate(values)
    except ValidationError as exc:
        name, why = first_error(exc)
        raise ConfigError(f"{PREFIX}{name.upper()}：{why}") from None
    _check_account(settings)
    return settings


def _environment_values(env: dict[str, str]) -> dict[str, str]:
    values = {}
    for key, value in env.items():
        if not key.startswith(PREFIX) or key == f"{PREFIX}CONFIG":
            continue
        if not _is_utf8(value):  # undecodable bytes: os.environ keeps them as surrogates
            raise ConfigError(f"{key}：不是 UTF-8 编码的文本（请用 UTF-8 设置环境变量）")
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
        raise ConfigError(f"{PREFIX}{missing}：没有设置，而 {PREFIX}{given} 设置了；正式公众号"
                          f"两者都要设置（两者都不设置才是演示模式）")
    if s.demo or s.demo_account:
        return
    problem = _token_problem(s.token)
    if problem:
        raise ConfigError(f"{PREFIX}TOKEN：{problem}")


def _token_problem(token: str) -> str | None:
    if not token:
        return "正式公众号必须设置，与公众平台“服务器配置”里填写的 Token 相同"
    if token == DEMO_TOKEN:
        return (f"正式公众号不能用公开的演示 Token {DEMO_TOKEN}，"
                f"请换成公众平台“服务器配置”里的 Token")
    if not 3 <= len(token) <= 32:
        return f"必须是 3–32 个字符（公众平台的规则），现在是 {len(token)} 个"
    if not TOKEN_PATTERN.fullmatch(token):
        return "只能由英文字母和数字组成（公众平台的规则），不能有空格、标点或中文"
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
    hint = f"是不是 {PREFIX}{close[0]}？" if close else "设置的列表见 README 的 Configuration 一节"
    return f"环境变量 {name} 不是 wxops 的设置，已忽略（{hint}）"


def _read_toml(path: str) -> dict[str, Any]:
    if not path:
        return {}
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{PREFIX}CONFIG：找不到配置文件 {path}") from None
    except IsADirectoryError:
        raise ConfigError(f"{PREFIX}CONFIG：{path} 是目录，不是配置文件") from None
    except OSError as exc:
        raise ConfigError(f"{PREFIX}CONFIG：无法读取 {path}（{exc.strerror or exc}）") from None
    try:
        data = tomllib.loads(_utf8_text(path, raw))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{PREFIX}CONFIG：无法读取 {path}，不是合法的 TOML（{exc}）") from None
    return {str(k).lower(): v for k, v in data.items()}


def _utf8_text(path: str, raw: bytes) -> str:
    """The file as text. A byte-order mark (Windows Notepad writes one) is dropped;
    any other encoding, GBK for one, is refused: guessing could garble a word."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        hint = "GBK 文件可以用 iconv -f gbk -t utf-8 转换"
        raise ConfigError(f"{PREFIX}CONFIG：配置文件 {path} 必须是 UTF-8 编码，"
                          f"第 {line} 行有不是 UTF-8 的字节（{hint}）") from None
