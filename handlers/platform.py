"""Platform events: publish results go to the workflow; job reports are logged."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from handlers import texts
from handlers.inbound import HandlerContext, Inbound, as_int
from handlers.replies import Reply
from workflow import usecases
from workflow.model import Context

log = logging.getLogger("wxops.platform")

STATUS_OK, STATUS_PUBLISHING = 0, 1


def failure_reason(status: int) -> str:
    """Why a publish failed, by the platform's publish_status (freepublish/get codes,
    WECHAT.md), as recorded on the item and told to the admins."""
    return texts.phrase("publish_status", "failed", status=status)


def on_publish_finish(ctx: HandlerContext, msg: Inbound) -> Reply:
    """PUBLISHJOBFINISH (documented also as FREEPUBLISHJOBFINISH): record the result."""
    info = msg.fields.get("PublishEventInfo")
    if not isinstance(info, Mapping) or not info.get("publish_id"):
        log.warning("publish event without PublishEventInfo from %s", msg.openid)
        return None
    status = as_int(info.get("publish_status"), -1)
    if status == STATUS_PUBLISHING:
        return None
    article_id, url = str(info.get("article_id") or ""), first_article_url(info)
    wf_ctx = Context(now=ctx.now, comment=failure_reason(status),
                     extra={"article_id": article_id, "url": url, "status": str(status)})
    if status == STATUS_OK:
        wf_ctx = Context(now=ctx.now, extra=wf_ctx.extra)
    decision = usecases.record_publish_result(ctx.joined_uow(), str(info["publish_id"]),
                                              status == STATUS_OK, wf_ctx)
    if decision is None:
        log.info("publish result %s for %s: no item waiting for it", status, info["publish_id"])
    return None


def on_job_report(ctx: HandlerContext, msg: Inbound) -> Reply:
    """MASSSENDJOBFINISH and TEMPLATESENDJOBFINISH: the inbound log is the record."""
    return None


def first_article_url(info: Mapping[str, Any]) -> str:
    """``article_detail.item`` is a dict for one article and a list for several."""
    detail = info.get("article_detail")
    items = detail.get("item") if isinstance(detail, Mapping) else None
    if isinstance(items, Mapping):
        items = [items]
    if not isinstance(items, list):
        return ""
    ordered = sorted((i for i in items if isinstance(i, Mapping)),
                     key=lambda i: as_int(i.get("idx"), -1))
    return str(ordered[0].get("article_url") or "") if ordered else ""

