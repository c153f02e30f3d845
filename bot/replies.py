"""Render handler results as WeChat passive-reply XML, with WeRoBot's reply classes."""

from __future__ import annotations

import time

from werobot.replies import Article as WeRoBotArticle
from werobot.replies import ArticlesReply
from werobot.replies import TextReply as WeRoBotText

from handlers.inbound import Inbound
from handlers.replies import NewsReply, Reply, TextReply

MAX_ARTICLES = 8  # WeChat shows at most 8 articles in one passive news reply


def render(reply: Reply, msg: Inbound) -> str:
    """The reply XML, or "" for success (WeChat shows nothing, does not retry)."""
    if reply is None:
        return ""
    common = {"source": msg.account, "target": msg.openid, "time": int(time.time())}
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
    """WeRoBot puts text in CDATA; a literal "]]>" would end it early."""
    return text.replace("]]>", "]]]]><![CDATA[>")
