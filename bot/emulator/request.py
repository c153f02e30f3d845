"""One WeChat API call as the handlers see it, and typed access to its fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.errors import WeChatError


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


@dataclass(frozen=True)
class Call:
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)
    files: Mapping[str, Upload] = field(default_factory=dict)
    malformed: bool = False  # the body was not a JSON object
    remote_addr: str = ""  # the caller's address, as the platform sees it

    def text(self, key: str, errcode: int = 47001) -> str:
        """A required non-empty string field."""
        value = self.body.get(key)
        if not isinstance(value, str) or not value:
            raise WeChatError(errcode, f"{key} is required")
        return value

    def integer(self, key: str, default: int | None = None) -> int:
        """An integer field (digits in a string are accepted, as WeChat does)."""
        value = self.body.get(key, default)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise WeChatError(47001, f"{key} must be an integer")
        return value

    def flag(self, key: str) -> bool:
        value = self.body.get(key, False)
        return value in (True, 1, "1", "true", "True")

    def mapping(self, key: str) -> dict[str, Any]:
        value = self.body.get(key)
        if not isinstance(value, dict):
            raise WeChatError(47001, f"{key} must be an object")
        return value

    def upload(self, key: str = "media") -> Upload:
        upload = self.files.get(key)
        if upload is None or not upload.data:
            raise WeChatError(41005)
        return upload
