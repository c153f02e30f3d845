"""Handlers return data; bot/ renders it as WeChat XML (with WeRoBot's replies)."""

from __future__ import annotations

from dataclasses import dataclass

from workflow.autoreply import Article

#: The most one passive text reply may carry, in UTF-8 bytes. WeChat shows at most
#: 2047 (its early interface documentation said "不超过2048字节"; measured, 2048 is
#: already refused, and the follower gets "该公众号暂时无法提供服务" instead: see
#: ``bot.emulator.push.PASSIVE_TEXT_MAX_BYTES`` for the sources). Today's
#: documentation no longer states the figure, so replies keep 47 bytes (about 15
#: Chinese characters, less than one notice line) below the measured edge.
TEXT_REPLY_BYTES = 2000


@dataclass(frozen=True)
class TextReply:
    text: str


@dataclass(frozen=True)
class NewsReply:
    articles: tuple[Article, ...]


#: None means "success": WeChat shows nothing and does not retry.
Reply = TextReply | NewsReply | None
