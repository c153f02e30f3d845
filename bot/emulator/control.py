"""The control API under ``/_emulator/``: not WeChat's; for tests and the demo.

JSON in and out, no access token. Errors answer 400 with ``{"error": "..."}``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.routing import Map, Rule

from bot.emulator.errors import WeChatError
from bot.emulator.limits import Injection
from bot.emulator.messages import RELAYED_EVENTS
from bot.emulator.runtime import Emulator
from workflow.capabilities import granted_to

Args = dict[str, str]
ControlHandler = Callable[[Emulator, dict[str, Any], Args], object]


class ControlError(Exception):
    """A control request that makes no sense; answered with 400."""


def _int(body: dict[str, Any], key: str, default: int | None = None,
         minimum: int = 0) -> int:
    value = body.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ControlError(f"{key} must be an integer ≥ {minimum}")
    return value


def _str(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise ControlError(f"{key} is required")
    return value


def health(emu: Emulator, body: dict[str, Any], args: Args) -> object:
    kind = emu.config.kind
    return {"ok": True, "app_id": emu.config.app_id, "account_id": emu.config.account_id,
            "push_to": emu.config.push_to,
            "account": {"kind": kind.type.value, "verified": kind.verified,
                        "capabilities": sorted(granted_to(kind))}}


def calls(emu: Emulator, body: dict[str, Any], args: Args) -> object:
    with emu.state.lock:
        return list(emu.state.calls)


def clear_calls(emu: Emulator, body: dict[str, Any], args: Args) -> object:
    with emu.state.lock:
        emu.state.calls.clear()
    return {"ok": True}


def pushes(emu: Emulator, body: dict[str, Any], args: Args) -> object:
    with emu.state.lock:
        return list(emu.state.pushes)


def inbox(emu: Emulator, body: dict[str, Any], args: Args) -> object:
    with emu.state.lock:
        return list(emu.state.audience.inboxes.get(args["openid"], []))


def follower(emu: Emulator, body: dict[str, Any], args: Args) -> object:
    with emu.state.lock:
        return emu.state.audience.describe(args["openid"], emu.state.now())


def send(emu: Emulator, body: dict[str, Any], args: Args) -> object:
    """Relay a follower's text or event to the wxops server; answers its reply.
    A text with ``hosts`` (a list of URLs) goes to each of them at once instead,
    the same signed push (a retry landing on another host); answers each reply.
    Someone who unfollowed cannot write to the account until they follow again."""
    openid = _str(body, "openid")
    with emu.state.lock:
        person = emu.state.audience.followers.get(openid)
    if person is not None and not person.subscribed and body.get("event") != "subscribe":
        # The emulator's text, not wxops's: the platform it imitates lets no
        # unfollowed person write, and says so here as its control API's answer.
        raise ControlError("该用户已取消关注，不能给公众号发消息（先 /subscribe 重新关注）")
    if "text" in body:
        if not isinstance(body["text"], str):
            raise ControlError("text must be a string")
        if "hosts" in body:
            return emu.relay_copies(openid, body["text"], _hosts(body))
        return emu.relay_text(openid, body["text"])
    event = body.get("event")
    if event not in RELAYED_EVENTS:
        raise ControlError(f"give text, or event one of {sorted(RELAYED_EVENTS)}")
    key = body.get("key") or ""
    if event in ("CLICK", "VIEW", "SCAN") and not key:
        raise ControlError(f"{event} needs a key")
    return emu.relay_event(openid, str(event), str(key))


def _hosts(body: dict[str, Any]) -> list[str]:
    hosts = body["hosts"]
    if not isinstance(hosts, list) or not 1 <= len(hosts) <= 8 or not all(
            isinstance(h, str) and h.startswith(("http://", "https://")) for h in hosts):
        raise ControlError("hosts must be a list of 1-8 http(s) URLs")
    return hosts


def fail(emu: Emulator, body: dict[str, Any], args: Args) -> object:
    """Inject failures into the next ``times`` calls of ``path`` (or every call for
    ``seconds``): an errcode, a dropped connection, a delay, or an intermediary's
    HTTP ``status`` (``handled``: WeChat got the call first)."""
    with emu.state.lock:
        if "publish_status" in body:
            try:
                emu.state.failures.add_publish_status(
                    _int(body, "publish_status"), _int(body, "times", 1, minimum=1))
            except ValueError as exc:
                raise ControlError(str(exc)) from None
            return {"ok": True}
        path, injection = _str(body, "path"), _injection(body)
        if "seconds" in body:
            emu.state.failures.add_burst(path, injection, _seconds(body))
        else:
            emu.state.failures.add(path, injection, _int(body, "times", 1, minimum=1))
    return {"ok": True}


def _injection(body: dict[str, Any]) -> Injection:
    delay = body.get("delay")
    if body.get("drop") is True:
        return Injection(drop=True)
    if isinstance(delay, int | float) and not isinstance(delay, bool) and 0 < delay <= 60:
        return Injection(delay=float(delay))
    if "status" in body:
        status = _int(body, "status", minimum=400)
        if status > 599:
            raise ControlError("status must be an HTTP error status (400-599)")
        return Injection(status=status, handled=body.get("handled") is True)
    errcode = body.get("errcode")
    if not isinstance(errcode, int) or errcode == 0:
        raise ControlError("give errcode (non-zero), drop: true, delay (0-60 s) "
                           "or status (an HTTP error, 400-599)")
    return Injection(errcode=errcode)


def _seconds(body: dict[str, Any]) -> float:
    seconds = body.get("seconds")
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) \
            or not 0 < seconds <= 3600:
        raise ControlError("seconds must be a number of seconds (0-3600)")
    return float(seconds)


def _limit(body: dict[str, Any], key: str) -> int | None:
    return None if body.get(key) is None else _int(body, key)


def quota(emu: Emulator, body: dict[str, Any], args: Args) -> object:
    path = _str(body, "path")
    per_minute, per_day = _limit(body, "per_minute"), _limit(body, "per_day")
    with emu.state.lock:
        emu.state.quotas.set(path, per_minute, per_day)
    return {"ok": True}


def clock(emu: Emulator, body: dict[str, Any], args: Args) -> object:
    seconds = body.get("advance_seconds")
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        raise ControlError("advance_seconds must be a number")
    with emu.state.lock:
        emu.state.clock.advance(float(seconds))
        return {"now": emu.state.now(), "offset": emu.state.clock.offset}


def expire_tokens(emu: Emulator, body: dict[str, Any], args: Args) -> object:
    with emu.state.lock:
        emu.state.tokens.expire_all(emu.state.now())
    return {"ok": True}


def add_comment(emu: Emulator, body: dict[str, Any], args: Args) -> object:
    msg_data_id, index = _int(body, "msg_data_id"), _int(body, "index", 0)
    openid, content = _str(body, "openid"), _str(body, "content")
    with emu.state.lock:
        if (msg_data_id, index) not in emu.state.comments.threads:
            raise ControlError("no article with this msg_data_id and index")
        comment = emu.state.comments.add(msg_data_id, index, openid, content, emu.state.now())
    return {"user_comment_id": comment.user_comment_id}


def comment_thread(emu: Emulator, body: dict[str, Any], args: Args) -> object:
    """An article's comments as the official backend shows them, deleted ones
    too (``deleted``), with their replies and whether comments are open."""
    key = (int(args["msg_data_id"]), int(args["index"]))
    with emu.state.lock:
        thread = emu.state.comments.threads.get(key)
        if thread is None:
            raise ControlError("no article with this msg_data_id and index")
        return {"open": thread.open,
                "comments": [{**c.view(), "deleted": c.deleted} for c in thread.comments]}


def seed_datacube(emu: Emulator, body: dict[str, Any], args: Args) -> object:
    """Rows that replace the generated ones of their ref_date for one endpoint."""
    endpoint, rows = _str(body, "endpoint"), body.get("rows")
    if not isinstance(rows, list) or not all(
            isinstance(r, dict) and isinstance(r.get("ref_date"), str) for r in rows):
        raise ControlError("rows must be a list of objects with ref_date")
    with emu.state.lock:
        for ref_date in {r["ref_date"] for r in rows}:
            emu.state.datacube_seeds[(endpoint, ref_date)] = [
                r for r in rows if r["ref_date"] == ref_date]
    return {"ok": True}


def datacube_timing(emu: Emulator, body: dict[str, Any], args: Args) -> object:
    """When a day's data is ready (Beijing hour plus a delay) and the days marked
    delayed (``is_delay``); fields left out stay as they are."""
    delayed = body.get("delayed")
    if delayed is not None and not (isinstance(delayed, list)
                                    and all(isinstance(d, str) for d in delayed)):
        raise ControlError("delayed must be a list of yyyy-MM-dd")
    with emu.state.lock:
        timing = emu.state.datacube_timing
        timing.ready_hour = int(body.get("ready_hour", timing.ready_hour))
        timing.delay_hours = float(body.get("delay_hours", timing.delay_hours))
        if delayed is not None:
            timing.delayed = set(delayed)
    return {"ok": True}


def publications(emu: Emulator, body: dict[str, Any], args: Args) -> object:
    """Every publication with its msg_data_id, titles and article addresses."""
    with emu.state.lock:
        return emu.state.publishing.describe(emu.state.now())


def publishing_urls(emu: Emulator, body: dict[str, Any], args: Args) -> object:
    """``{"short": true}``: publications from now on get short addresses
    (``/s/<token>``, naming no article); false: the long form again."""
    short = body.get("short")
    if not isinstance(short, bool):
        raise ControlError("short must be true or false")
    with emu.state.lock:
        emu.state.publishing.short_urls = short
    return {"ok": True}


def write_draft(emu: Emulator, body: dict[str, Any], args: Args) -> object:
    """A person writes a draft in the official backend's editor (no API call)."""
    title, content = _str(body, "title"), body.get("content", "")
    if not isinstance(content, str):
        raise ControlError("content must be a string")
    with emu.state.lock, _refused():
        draft = emu.state.library.write_draft(title, content, emu.state.now())
    return {"media_id": draft.media_id, "update_time": draft.update_time}


def edit_draft(emu: Emulator, body: dict[str, Any], args: Args) -> object:
    """A person edits one article of a draft in the editor: its title, its
    content, or both; answers the draft's new update_time."""
    changes: dict[str, str] = {k: body[k] for k in ("title", "content") if k in body}
    if not changes or not all(isinstance(v, str) for v in changes.values()):
        raise ControlError("give title or content (strings)")
    with emu.state.lock, _refused():
        draft = emu.state.library.edit_draft(_str(body, "media_id"), _int(body, "index", 0),
                                             changes, emu.state.now())
    return {"media_id": draft.media_id, "update_time": draft.update_time}


@contextmanager
def _refused() -> Iterator[None]:
    """The platform's refusal of a control request (too long, no such draft) as a 400."""
    try:
        yield
    except WeChatError as error:
        raise ControlError(f"errcode {error.errcode}: {error.errmsg}") from None


def reset(emu: Emulator, body: dict[str, Any], args: Args) -> object:
    emu.reset()
    return {"ok": True}


def _rule(path: str, handler: ControlHandler, method: str = "POST") -> Rule:
    return Rule(f"/_emulator/{path}", endpoint=handler, methods=[method])


URLS = Map([
    _rule("health", health, "GET"),
    _rule("calls", calls, "GET"),
    _rule("calls", clear_calls, "DELETE"),
    _rule("pushes", pushes, "GET"),
    _rule("inbox/<path:openid>", inbox, "GET"),
    _rule("followers/<path:openid>", follower, "GET"),
    _rule("send", send),
    _rule("fail", fail),
    _rule("quota", quota),
    _rule("clock", clock),
    _rule("expire_tokens", expire_tokens),
    _rule("comments", add_comment),
    _rule("comments/<int:msg_data_id>/<int:index>", comment_thread, "GET"),
    _rule("datacube", seed_datacube),
    _rule("datacube/timing", datacube_timing),
    _rule("publications", publications, "GET"),
    _rule("publishing/urls", publishing_urls),
    _rule("drafts", write_draft),
    _rule("drafts/edit", edit_draft),
    _rule("reset", reset),
])
