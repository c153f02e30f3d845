"""Handlers of the content endpoints: drafts, publishing, images, comments, analytics."""

from __future__ import annotations

from datetime import timedelta

from bot.emulator import datacube, datacube_news
from bot.emulator.errors import WeChatError, ok
from bot.emulator.request import Call
from bot.emulator.state import EmulatorState

Body = dict[str, object]


# --- draft box ------------------------------------------------------------------


def draft_add(state: EmulatorState, call: Call) -> Body:
    return {"media_id": state.library.add_draft(call.body.get("articles"), state.now()).media_id}


def draft_get(state: EmulatorState, call: Call) -> Body:
    draft = state.library.draft(call.body.get("media_id"))
    return {"news_item": draft.news_item(), "create_time": draft.create_time,
            "update_time": draft.update_time}


def draft_update(state: EmulatorState, call: Call) -> Body:
    state.library.update_draft(call.body.get("media_id"), call.integer("index"),
                               call.body.get("articles"), state.now())
    return ok()


def draft_delete(state: EmulatorState, call: Call) -> Body:
    state.library.take_draft(call.body.get("media_id"))
    return ok()


def _page(call: Call) -> tuple[int, int, bool]:
    offset, count = call.integer("offset", 0), call.integer("count", 20)
    if offset < 0 or not 1 <= count <= 20:
        raise WeChatError(40097, "count must be 1-20")
    return offset, count, call.flag("no_content")


def draft_batchget(state: EmulatorState, call: Call) -> Body:
    offset, count, no_content = _page(call)
    state.settle_publications()
    drafts = state.library.batch(offset, count)
    items = [{"media_id": d.media_id, "update_time": d.update_time,
              "content": {"news_item": d.news_item(no_content), "create_time": d.create_time,
                          "update_time": d.update_time}} for d in drafts]
    return {"total_count": len(state.library.drafts), "item_count": len(items), "item": items}


def draft_count(state: EmulatorState, call: Call) -> Body:
    state.settle_publications()
    return {"total_count": len(state.library.drafts)}


# --- publishing -------------------------------------------------------------------


def publish_submit(state: EmulatorState, call: Call) -> Body:
    pub = state.submit_publication(call.body.get("media_id"))
    return ok(publish_id=pub.publish_id, msg_data_id=pub.msg_data_id)


def publish_get(state: EmulatorState, call: Call) -> Body:
    pub = state.publishing.publication(call.integer("publish_id"))
    info = pub.event_info(state.now())
    info.setdefault("fail_idx", [])
    return ok(**info)


def publish_delete(state: EmulatorState, call: Call) -> Body:
    state.publishing.delete(call.body.get("article_id"), call.integer("index", 0), state.now())
    return ok()


def publish_getarticle(state: EmulatorState, call: Call) -> Body:
    pub = state.publishing.by_article(call.body.get("article_id"), state.now())
    return {"news_item": pub.news_item()}


def publish_batchget(state: EmulatorState, call: Call) -> Body:
    offset, count, no_content = _page(call)
    published = state.publishing.published(state.now())
    items = [{"article_id": p.article_id, "update_time": int(p.ready_at),
              "content": {"news_item": p.news_item(no_content)}}
             for p in published[offset:offset + count]]
    return {"total_count": len(published), "item_count": len(items), "item": items}


# --- images ---------------------------------------------------------------------------


def upload_image(state: EmulatorState, call: Call) -> Body:
    return {"url": state.library.upload_image(call.upload().data)}


def add_material(state: EmulatorState, call: Call) -> Body:
    material = state.library.add_material(call.query.get("type", ""), call.upload().data)
    return {"media_id": material.media_id, "url": material.url}


# --- comments -------------------------------------------------------------------------


def _where(call: Call) -> tuple[int, int]:
    return call.integer("msg_data_id"), call.integer("index", 0)


def comment_open(state: EmulatorState, call: Call) -> Body:
    state.comments.set_open(*_where(call), True)
    return ok()


def comment_close(state: EmulatorState, call: Call) -> Body:
    state.comments.set_open(*_where(call), False)
    return ok()


def comment_list(state: EmulatorState, call: Call) -> Body:
    total, rows = state.comments.listing(*_where(call), call.integer("begin", 0),
                                         call.integer("count"), call.integer("type", 0))
    return ok(total=total, comment=rows)


def _set_elected(state: EmulatorState, call: Call, elected: int) -> Body:
    state.comments.comment(*_where(call), call.integer("user_comment_id")).comment_type = elected
    return ok()


def comment_markelect(state: EmulatorState, call: Call) -> Body:
    return _set_elected(state, call, 1)


def comment_unmarkelect(state: EmulatorState, call: Call) -> Body:
    return _set_elected(state, call, 0)


def comment_delete(state: EmulatorState, call: Call) -> Body:
    state.comments.comment(*_where(call), call.integer("user_comment_id")).deleted = True
    return ok()


def comment_reply(state: EmulatorState, call: Call) -> Body:
    comment = state.comments.comment(*_where(call), call.integer("user_comment_id"))
    content = call.body.get("content")
    state.comments.reply(comment, content if isinstance(content, str) else "", state.now())
    return ok()


# --- analytics ------------------------------------------------------------------------


def datacube_query(state: EmulatorState, call: Call) -> Body:
    name = call.path.rsplit("/", 1)[-1]
    days = datacube.parse_range(name, call.body.get("begin_date"), call.body.get("end_date"),
                                state.clock.today())
    now, timing = state.now(), state.datacube_timing
    if name in datacube_news.NEWS_SPANS:
        return datacube_news.answer(name, days, state.sent_articles(), timing, now,
                                    state.clock.today() - timedelta(days=1))
    yesterday = state.clock.today() - timedelta(days=1)
    return {"list": datacube.query(name, days, state.sent_articles(), state.datacube_seeds,
                                   lambda day: timing.ready(day, now),
                                   datacube_news.last_ready(timing, now, yesterday))}


def quota_get(state: EmulatorState, call: Call) -> Body:
    """openapi/quota/get: the day's limit, use and what is left for one cgi_path."""
    daily_limit, used = state.quotas.daily(call.text("cgi_path", 76021), state.now())
    return ok(quota={"daily_limit": daily_limit, "used": used,
                     "remain": max(0, daily_limit - used)})
