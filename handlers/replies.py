"""Handlers return data; bot/ renders it as WeChat XML (with WeRoBot's replies)."""

from __future__ import annotations

from dataclasses import dataclass

from workflow.autoreply import Article


@dataclass(frozen=True)
class TextReply:
    text: str


@dataclass(frozen=True)
class NewsReply:
    articles: tuple[Article, ...]


#: None means "success": WeChat shows nothing and does not retry.
Reply = TextReply | NewsReply | None
