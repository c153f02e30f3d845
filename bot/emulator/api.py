"""The WeChat endpoints: one small handler each, and the routing table.

`dispatch` applies what every endpoint shares, in WeChat's order: method,
access_token, the account's permission for the endpoint's capability (48001,
before anything is done or counted), quota; the server logs the call and
injects failures before it. Each route names its capability: the one place
that maps the emulated paths onto ``workflow.capabilities``' table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.emulator import api_account as account
from bot.emulator import api_content as content
from bot.emulator.errors import WeChatError, ok
from bot.emulator.limits import MASS_PREVIEW, MASS_SENDALL
from bot.emulator.request import Call
from bot.emulator.state import EmulatorState
from bot.emulator.tokens import TOKEN_TTL
from workflow.capabilities import Capability, granted

Body = dict[str, object]
Handler = Callable[[EmulatorState, Call], Body]


@dataclass(frozen=True)
class Route:
    method: str
    handler: Handler
    capability: Capability
    auth: bool = True


def token(state: EmulatorState, call: Call) -> Body:
    q = call.query
    state.check_credentials(q.get("grant_type"), q.get("appid"), q.get("secret"))
    state.check_caller(call.remote_addr)
    return {"access_token": state.issue_token().value, "expires_in": TOKEN_TTL}


def stable_token(state: EmulatorState, call: Call) -> Body:
    b = call.body
    state.check_credentials(b.get("grant_type"), b.get("appid"), b.get("secret"))
    state.check_caller(call.remote_addr)
    issued = state.stable_token(call.flag("force_refresh"))
    return {"access_token": issued.value, "expires_in": issued.remaining(state.now())}


def custom_send(state: EmulatorState, call: Call) -> Body:
    state.send_custom(call.text("touser", 40003), call.body.get("msgtype"), call.body)
    return ok()


def template_send(state: EmulatorState, call: Call) -> Body:
    return ok(msgid=state.send_template(call.text("touser", 40003), call.body))


def _mpnews_media_id(call: Call) -> object:
    if call.body.get("msgtype") != "mpnews":
        raise WeChatError(40097, "only msgtype mpnews is emulated")
    return call.mapping("mpnews").get("media_id")


def mass_preview(state: EmulatorState, call: Call) -> Body:
    media_id = _mpnews_media_id(call)
    touser, towxname = call.body.get("touser"), call.body.get("towxname")
    if isinstance(touser, str) and touser:
        return ok(msg_id=state.preview(touser, media_id))
    if isinstance(towxname, str) and towxname:
        # A WeChat ID is not an openid: no subscription check, the inbox is the ID's.
        return ok(msg_id=state.preview(towxname, media_id, is_openid=False))
    raise WeChatError(40003)


def mass_sendall(state: EmulatorState, call: Call) -> Body:
    media_id = _mpnews_media_id(call)
    if call.mapping("filter").get("is_to_all") is not True:
        raise WeChatError(40097, "only filter.is_to_all=true is emulated")
    clientmsgid = call.body.get("clientmsgid")
    sent = state.sendall(media_id, clientmsgid if isinstance(clientmsgid, str) else "",
                         lambda: state.quotas.check(MASS_SENDALL, state.now()))
    return ok(msg_id=sent.msg_id, msg_data_id=sent.msg_data_id)


def _post(handler: Handler, capability: Capability) -> Route:
    return Route("POST", handler, capability)


def _get(handler: Handler, capability: Capability) -> Route:
    return Route("GET", handler, capability)


_DATACUBE = ("getusersummary", "getusercumulate", "getarticlesummary", "getarticletotal",
             "getarticleread", "getarticleshare", "getbizsummary", "getarticletotaldetail")

_CS, _TEMPLATE = Capability.CUSTOMER_SERVICE, Capability.TEMPLATE_MESSAGE
_MATERIALS, _PUBLISH = Capability.MATERIALS, Capability.FREE_PUBLISH
_COMMENTS, _DATA = Capability.COMMENTS, Capability.DATACUBE

ROUTES: dict[str, Route] = {
    "/cgi-bin/token": Route("GET", token, Capability.ACCESS_TOKEN, auth=False),
    "/cgi-bin/stable_token": Route("POST", stable_token, Capability.ACCESS_TOKEN, auth=False),
    "/cgi-bin/message/custom/send": _post(custom_send, _CS),
    "/cgi-bin/message/template/send": _post(template_send, _TEMPLATE),
    MASS_PREVIEW: _post(mass_preview, Capability.PREVIEW),
    MASS_SENDALL: _post(mass_sendall, Capability.MASS_SEND),
    "/cgi-bin/draft/add": _post(content.draft_add, _MATERIALS),
    "/cgi-bin/draft/get": _post(content.draft_get, _MATERIALS),
    "/cgi-bin/draft/update": _post(content.draft_update, _MATERIALS),
    "/cgi-bin/draft/delete": _post(content.draft_delete, _MATERIALS),
    "/cgi-bin/draft/batchget": _post(content.draft_batchget, _MATERIALS),
    "/cgi-bin/draft/count": _get(content.draft_count, _MATERIALS),
    "/cgi-bin/material/get_materialcount": _get(account.material_count, _MATERIALS),
    "/cgi-bin/customservice/getkflist": _get(account.kf_list, _CS),
    "/cgi-bin/template/get_all_private_template": _get(account.private_templates, _TEMPLATE),
    "/cgi-bin/user/get": _get(account.followers, Capability.USER_INFO),
    "/cgi-bin/get_current_selfmenu_info": _get(account.menu_info, Capability.MENU),
    "/cgi-bin/freepublish/submit": _post(content.publish_submit, _PUBLISH),
    "/cgi-bin/freepublish/get": _post(content.publish_get, _PUBLISH),
    "/cgi-bin/freepublish/delete": _post(content.publish_delete, _PUBLISH),
    "/cgi-bin/freepublish/getarticle": _post(content.publish_getarticle, _PUBLISH),
    "/cgi-bin/freepublish/batchget": _post(content.publish_batchget, _PUBLISH),
    "/cgi-bin/media/uploadimg": _post(content.upload_image, _MATERIALS),
    "/cgi-bin/material/add_material": _post(content.add_material, _MATERIALS),
    "/cgi-bin/comment/open": _post(content.comment_open, _COMMENTS),
    "/cgi-bin/comment/close": _post(content.comment_close, _COMMENTS),
    "/cgi-bin/comment/list": _post(content.comment_list, _COMMENTS),
    "/cgi-bin/comment/markelect": _post(content.comment_markelect, _COMMENTS),
    "/cgi-bin/comment/unmarkelect": _post(content.comment_unmarkelect, _COMMENTS),
    "/cgi-bin/comment/delete": _post(content.comment_delete, _COMMENTS),
    "/cgi-bin/comment/reply/add": _post(content.comment_reply, _COMMENTS),
    "/cgi-bin/openapi/quota/get": _post(content.quota_get, Capability.ACCESS_TOKEN),
    **{f"/datacube/{name}": _post(content.datacube_query, _DATA) for name in _DATACUBE},
}
# Endpoints that check their quota themselves, after their own earlier checks.
_OWN_QUOTA = frozenset({MASS_SENDALL})


def dispatch(state: EmulatorState, method: str, call: Call) -> Body:
    """Run one WeChat call against `state` (the caller holds `state.lock`)."""
    route = ROUTES.get(call.path)
    if route is None:
        raise WeChatError(40066)
    if method != route.method:
        raise WeChatError(43002 if route.method == "POST" else 43001)
    if route.auth:
        state.authorize(call.query.get("access_token"))
    if not granted(state.config.kind, route.capability):
        raise WeChatError(48001)  # this kind of account may not call it: nothing done
    if call.path not in _OWN_QUOTA:
        state.quotas.check(call.path, state.now())
    result = route.handler(state, call)
    state.quotas.record(call.path, state.now())
    return result
