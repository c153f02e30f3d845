"""WeChat API errors as the platform reports them: ``{"errcode": n, "errmsg": "..."}``."""

from __future__ import annotations

ERRMSG: dict[int, str] = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40004: "invalid media type",
    40005: "invalid file type",
    40007: "invalid media_id",
    40009: "invalid image size",
    40013: "invalid appid",
    40066: "invalid url",
    40097: "invalid args",
    40125: "invalid appsecret",
    41001: "access_token missing",
    41005: "media data missing",
    42001: "access_token expired",
    43001: "require GET method",
    43002: "require POST method",
    43004: "require subscribe",
    44002: "empty post data",
    44003: "empty news data",
    45002: "content size out of limit",
    45003: "title size out of limit",
    45004: "description size out of limit",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit, must slower, retry next minute",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    45065: "clientmsgid exist",
    45110: "author size out of limit",
    47001: "data format error",
    48001: "api unauthorized",
    53600: "Article ID invalid",
    61500: "date format error",
    61501: "date range error",
    88001: "msg_data is not exists",
    88005: "already reply",
    88007: "reply content beyond max len or content len is zero",
    88008: "comment is not exists",
}


class WeChatError(Exception):
    """An API call the platform refuses; `extra` fields go into the response body."""

    def __init__(self, errcode: int, errmsg: str | None = None, **extra: object) -> None:
        self.errcode = errcode
        self.errmsg = errmsg or ERRMSG.get(errcode, "error")
        self.extra = extra
        super().__init__(f"{errcode}: {self.errmsg}")

    def body(self) -> dict[str, object]:
        return {"errcode": self.errcode, "errmsg": self.errmsg, **self.extra}


OK: dict[str, object] = {"errcode": 0, "errmsg": "ok"}


def ok(**fields: object) -> dict[str, object]:
    """A success body: errcode 0 plus `fields`."""
    return {**OK, **fields}
