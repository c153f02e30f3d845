"""Render handler results as WeChat passive-reply XML, with WeRoBot's reply classes."""

from __future__ import annotations

import re
import time

from werobot.replies import Article as WeRoBotArticle
from werobot.replies import ArticlesReply
from werobot.replies import TextReply as WeRoBotText

from handlers.inbound import Inbound
from handlers.replies import NewsReply, Reply, TextReply

MAX_ARTICLES = 8  # WeChat shows at most 8 articles in one passive news reply
# Characters XML 1.0 does not allow: C0 controls but tab, LF and CR; lone
# surrogates; U+FFFE and U+FFFF.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def render(reply: Reply, msg: Inbound, at: int = 0) -> str:
    """The reply XML, or "" for success (WeChat shows nothing, does not retry).
    ``at``: its CreateTime (epoch seconds), when not now."""
    if reply is None:
        return ""
    common = {"source": _cdata_safe(msg.account), "target": _cdata_safe(msg.openid),
              "time": at or int(time.time())}
    if isinstance(reply, TextReply):
        return str(WeRoBotText(content=_cdata_safe(reply.text), **common).render())
    return _news(reply, common)


def _news(reply: NewsReply, common: dict[str, object]) -> str:
    news = ArticlesReply(**common)
    for a in reply.articles[:MAX_ARTICLES]:
        news.add_article(WeRoBotArticle(
            title=_cdata_safe(a.title), description=_cdata_safe(a.description),
            img=_cdata_safe(a.picurl), url=_cdata_safe(a.url)))
    return str(news.render())


def _cdata_safe(text: str) -> str:
    """WeRoBot puts text in CDATA; a literal "]]>" would end it early, and a
    control character XML does not allow would make the whole reply unreadable
    to WeChat (the follower would see 该公众号暂时无法提供服务)."""
    return _NOT_XML.sub("", text).replace("]]>", "]]]]><![CDATA[>")
