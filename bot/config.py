"""Settings: environment variables ``WXOPS_*``, optionally a TOML file.

Precedence: environment, then the TOML file named by ``WXOPS_CONFIG``, then the
defaults, which run the demo out of the box. A bad value stops start-up with
one line naming the setting (``ConfigError``), never a traceback.
"""

from __future__ import annotations

import base64
import binascii
import os
import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from handlers.hours import OfficeHours

PREFIX = "WXOPS_"
DEFAULT_DATABASE_URL = "sqlite:///var/wxops.db"
SECRET_FIELDS = frozenset({"app_secret", "encoding_aes_key", "encoding_aes_key_previous",
                           "token", "database_url", "redis_url"})


DEFAULT_COMPLAINT_WORDS = "投诉,举报,差评,骗,退款,曝光,维权,不满,太差"


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it."""


class Settings(BaseModel):
    """The effective settings. Built only by :func:`load_settings`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    database_url: str = Field(DEFAULT_DATABASE_URL, description="SQLAlchemy URL of the database")
    token: str = Field("wxops-demo-token", description="the Token set in the WeChat console")
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
    outbox_backoff_seconds: float = Field(5.0, gt=0, le=3600,
                                          description="first retry delay; doubles each time")
    outbox_lease_seconds: int = Field(120, ge=5, le=86400,
                                      description="a claim older than this is a dead worker's")
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
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"未知时区 {value!r}（例如 Asia/Shanghai）") from None
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

    def masked(self) -> dict[str, str]:
        """Every setting as ``WXOPS_NAME -> value``, secrets masked."""
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
    env_values = {k[len(PREFIX):].lower(): v for k, v in env.items()
                  if k.startswith(PREFIX) and k != f"{PREFIX}CONFIG"}
    known = set(Settings.model_fields)
    values = {k: v for k, v in {**file_values, **env_values}.items() if k in known}
    unknown = sorted(set(file_values) - known)
    if unknown:
        raise ConfigError(f"配置文件中有未知设置：{', '.join(unknown)}")
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(_first_error(exc)) from None


def _read_toml(path: str) -> dict[str, Any]:
    if not path:
        return {}
    try:
        with Path(path).open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{PREFIX}CONFIG：找不到配置文件 {path}") from None
    except (tomllib.TOMLDecodeError, OSError) as exc:
        raise ConfigError(f"{PREFIX}CONFIG：无法读取 {path}（{exc}）") from None
    return {str(k).lower(): v for k, v in data.items()}


_PYDANTIC_MESSAGES = {
    "int_parsing": "必须是整数",
    "int_from_float": "必须是整数",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "string_type": "必须是字符串",
    "int_type": "必须是整数",
}


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    name = str(err["loc"][0]) if err["loc"] else "?"
    ctx = err.get("ctx", {})
    template = _PYDANTIC_MESSAGES.get(err["type"])
    message = template.format(**ctx) if template else str(ctx.get("error") or err["msg"])
    return f"{PREFIX}{name.upper()}：{message}"
