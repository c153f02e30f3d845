"""Which way a publication goes, given what the account may call. Pure.

Through the platform, a publication is a draft in the draft box (``draft/*``,
which needs MATERIALS) submitted to free publishing (``freepublish/*``). An
account without either (an unverified one, or one registered to a person)
would meet 48001: its admins publish the article by hand in the official
backend and record it with its link (``已发布 12 <链接>``).
"""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import urlsplit

from workflow.capabilities import Capabilities, Capability
from workflow.errors import NotAnArticleLink

#: What a publication through the platform calls: the draft box, then freepublish.
NEEDS = (Capability.MATERIALS, Capability.FREE_PUBLISH)

#: Where an Official Account's articles live.
ARTICLE_HOST = "mp.weixin.qq.com"


class Path(StrEnum):
    """The two ways a publication can go."""

    PLATFORM = "platform"  # draft sync and freepublish submit, by the worker
    BY_HAND = "by_hand"  # admins publish in the official backend and record the link


def path(capabilities: Capabilities) -> Path:
    """The way a publication goes on an account with ``capabilities``."""
    if all(capabilities.allows(need) for need in NEEDS):
        return Path.PLATFORM
    return Path.BY_HAND


def by_hand(capabilities: Capabilities) -> bool:
    return path(capabilities) is Path.BY_HAND


def article_link(url: str) -> str:
    """``url`` without surrounding blanks when it is an article's https link on
    mp.weixin.qq.com; NotAnArticleLink otherwise."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme != "https" or parts.hostname != ARTICLE_HOST or len(parts.path) <= 1:
        raise NotAnArticleLink(url)
    return url


def deleted_by_hand(article_id: str | None, capabilities: Capabilities) -> bool:
    """Whether taking down a published article is left to the admins in the
    official backend (发表记录): wxops cannot delete it on the platform because
    it was published by hand (no ``article_id``: the platform never told wxops
    one) or because the account may not call ``freepublish/delete``."""
    return not article_id or not capabilities.allows(Capability.FREE_PUBLISH)
