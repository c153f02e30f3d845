"""The WeChat API gateway: one thin method per API the product uses.

wechatpy's methods where it has them, its generic ``post``/``get`` where it
does not. Every URL follows ``WXOPS_WECHAT_API_BASE`` (wechatpy hard-codes the
token URL and the datacube base; both are redirected here). The access token
comes from a shared ``TokenSource``; on 40001/40014/42001 the gateway
refreshes once and retries once, then raises (wechatpy's own retry is
unbounded, so it is off).

Given the account's capabilities, the gateway asks them before each call that
needs one (``NEEDS``): a call the account may not make is not made, and
raises ``NotCalled``, worded like the 48001 it would have met.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from bot import metrics
from bot.tokens import TokenSource
from bot.wechat_errors import (
    InvalidAccessToken,
    NotAuthorised,
    NotCalled,
    OutcomeUnknown,
    TransportError,
    WeChatError,
    error_for,
)
from workflow.capabilities import Capabilities, Capability, granted

log = logging.getLogger("wxops.gateway")
Json = dict[str, Any]


class _TokenSession:
    """wechatpy's session storage, answering only with the shared token.

    No expiry is reported, so wechatpy treats the token as given and never
    fetches one itself.
    """

    def __init__(self, app_id: str) -> None:
        self.key, self.token = f"{app_id}_access_token", ""

    def get(self, key: str, default: Any = None) -> Any:
        return self.token if key == self.key and self.token else default

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        if key == self.key:
            self.token = str(value)

    def delete(self, key: str) -> None:
        if key == self.key:
            self.token = ""


class _Client(WeChatClient):  # type: ignore[misc]
    def __init__(self, app_id: str, secret: str, base: str, timeout: float) -> None:
        self.token_session = _TokenSession(app_id)
        super().__init__(app_id, secret, session=self.token_session, timeout=timeout,
                         auto_retry=False)
        self.API_BASE_URL = f"{base}/cgi-bin/"
        self.datacube.API_BASE_URL = f"{base}/datacube/"
        settle(self._http, base)

    def fetch_access_token(self) -> None:
        raise InvalidAccessToken(40001, "token is managed by wxops")


def settle(session: requests.Session, base: str) -> None:
    """The environment's HTTP settings for ``base``, read once, not at every call.

    A session that trusts the environment reads it again for each request: every
    variable, twice, to find the proxies and whether ``NO_PROXY`` spares the host,
    then the CA bundle's variables and the ``.netrc`` file: 0.2 ms of CPU a call
    (1.52 against 1.33 ms a customer-service send to the emulator, in one
    process), and a running process's environment cannot change. The same
    answer is kept here: the proxies for ``base``'s host (``HTTPS_PROXY``,
    ``HTTP_PROXY``, ``ALL_PROXY``, ``NO_PROXY``) and ``REQUESTS_CA_BUNDLE`` /
    ``CURL_CA_BUNDLE``. Not kept: a ``.netrc`` login, which WeChat's API,
    authenticated by its access token, has no use for."""
    found = session.merge_environment_settings(base, {}, None, None, None)
    session.proxies, session.verify = found["proxies"], found["verify"]
    session.trust_env = False


class Gateway:
    def __init__(self, app_id: str, secret: str, base: str, tokens: TokenSource,
                 timeout: float = 5.0,
                 capabilities: Callable[[], Capabilities] | None = None) -> None:
        self._client_args = (app_id, secret, base, timeout)
        #: One wechatpy client a thread (the sender's lanes call side by side): its
        #: token slot and its HTTP session are not shared between threads.
        self._local = threading.local()
        self.tokens = tokens
        #: What the account may call now, asked before each call in NEEDS (None:
        #: nothing asked, every call is made).
        self.capabilities = capabilities

    @property
    def client(self) -> _Client:
        """This thread's wechatpy client."""
        client: _Client | None = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = _Client(*self._client_args)
        return client

    def _ask(self, capability: Capability, call: str) -> None:
        """NotCalled when the account may not use ``capability`` for ``call``."""
        if self.capabilities is not None:
            lacking(self.capabilities(), capability, call)

    def _call(self, operation: Callable[[], Any]) -> Json:
        """Run one API call with the shared token; refresh and retry once if stale."""
        token = self.tokens.get()
        try:
            return self._attempt(token, operation)
        except InvalidAccessToken:
            log.info("access token rejected; refreshing once")
            return self._attempt(self.tokens.refresh(failed=token), operation)

    def _attempt(self, token: str, operation: Callable[[], Any]) -> Json:
        self.client.token_session.token = token  # this thread's client, the next call
        try:
            result = operation()
        except WeChatClientException as exc:
            raise _translate(exc) from None
        except requests.RequestException as exc:
            detail = f"{type(exc).__name__}: {exc}"
            if _never_sent(exc):
                raise TransportError(None, detail, cause="unreachable") from None
            raise OutcomeUnknown(None, detail, cause=_lost_how(exc)) from None
        if not isinstance(result, dict):  # answered, but not as WeChat answers: unknown
            raise OutcomeUnknown(None, "response is not a JSON object", cause="not_json")
        return result

    def _post(self, path: str, data: Json, **kwargs: Any) -> Json:
        return self._call(lambda: self.client.post(path, data=data, **kwargs))

    # Customer-service messages
    def send_text(self, openid: str, content: str) -> Json:
        return self._call(lambda: self.client.message.send_text(openid, content))

    def send_image(self, openid: str, media_id: str) -> Json:
        return self._call(lambda: self.client.message.send_image(openid, media_id))

    def send_news(self, openid: str, articles: list[Json]) -> Json:
        return self._call(lambda: self.client.message.send_articles(openid, articles))

    def send_template(self, openid: str, template_id: str, data: Json,
                      url: str | None = None) -> Json:
        return self._call(lambda: self.client.message.send_template(
            openid, template_id, data, url=url))

    # Mass messages
    def preview(self, media_id: str, openid: str | None = None,
                wxname: str | None = None) -> Json:
        target = {"touser": openid} if openid else {"towxname": wxname}
        return self._post("message/mass/preview",
                          {**target, "mpnews": {"media_id": media_id}, "msgtype": "mpnews"})

    def sendall(self, media_id: str, clientmsgid: str) -> Json:
        """Mass send to every follower; WeChat dedupes ``clientmsgid`` within 24 h."""
        return self._post("message/mass/sendall", {
            "filter": {"is_to_all": True}, "mpnews": {"media_id": media_id},
            "msgtype": "mpnews", "send_ignore_reprint": 0, "clientmsgid": clientmsgid})

    # Draft box
    def draft_add(self, articles: list[Json]) -> Json:
        return self._post("draft/add", {"articles": articles})

    def draft_get(self, media_id: str) -> Json:
        return self._call(lambda: self.client.draft.get(media_id))

    def draft_update(self, media_id: str, index: int, article: Json) -> Json:
        return self._post("draft/update",
                          {"media_id": media_id, "index": index, "articles": article})

    def draft_delete(self, media_id: str) -> Json:
        return self._call(lambda: self.client.draft.delete(media_id))

    def draft_batchget(self, offset: int = 0, count: int = 20, no_content: bool = False) -> Json:
        return self._call(lambda: self.client.draft.batchget(
            offset, count, int(no_content)))

    def draft_count(self) -> Json:
        return self._call(lambda: self.client.get("draft/count"))

    # Publishing
    def publish_submit(self, media_id: str) -> Json:
        return self._call(lambda: self.client.freepublish.submit(media_id))

    def publish_get(self, publish_id: str) -> Json:
        return self._call(lambda: self.client.freepublish.get(publish_id))

    def publish_delete(self, article_id: str, index: int = 0) -> Json:
        return self._call(lambda: self.client.freepublish.delete(article_id, index))

    def published_article(self, article_id: str) -> Json:
        return self._call(lambda: self.client.freepublish.getarticle(article_id))

    def published_batchget(self, offset: int = 0, count: int = 20,
                           no_content: bool = False) -> Json:
        return self._call(lambda: self.client.freepublish.batchget(
            offset, count, int(no_content)))

    # Images
    def upload_image(self, filename: str, content: bytes) -> Json:
        """media/uploadimg: a URL usable inside article HTML, as ``{"url": ...}``.
        (wechatpy's ``media.upload_image`` answers the bare URL, which is not the
        platform's JSON; the same multipart call, its answer as sent.)"""
        return self._call(lambda: self.client.media._post(
            url="media/uploadimg", files={"media": (filename, content)}))

    def add_material(self, kind: str, filename: str, content: bytes) -> Json:
        """material/add_material: a permanent media_id (kind image or thumb)."""
        return self._call(lambda: self.client.material.add(kind, (filename, content)))

    # Comments (wechatpy's list_comment defaults are wrong: always pass index and count)
    def comment_open(self, msg_data_id: str, index: int) -> Json:
        return self._post("comment/open", {"msg_data_id": msg_data_id, "index": index})

    def comment_close(self, msg_data_id: str, index: int) -> Json:
        return self._post("comment/close", {"msg_data_id": msg_data_id, "index": index})

    def comment_list(self, msg_data_id: str, index: int, begin: int = 0, count: int = 49,
                     kind: int = 0) -> Json:
        return self._post("comment/list", {"msg_data_id": msg_data_id, "index": index,
                                           "begin": begin, "count": count, "type": kind})

    def comment_action(self, action: str, msg_data_id: str, index: int,
                       user_comment_id: int) -> Json:
        """markelect, unmarkelect or delete one comment."""
        if action not in ("markelect", "unmarkelect", "delete"):
            raise ValueError(f"unknown comment action {action}")
        return self._post(f"comment/{action}", {"msg_data_id": msg_data_id, "index": index,
                                                "user_comment_id": user_comment_id})

    def comment_reply(self, msg_data_id: str, index: int, user_comment_id: int,
                      content: str) -> Json:
        return self._post("comment/reply/add", {
            "msg_data_id": msg_data_id, "index": index, "user_comment_id": user_comment_id,
            "content": content})

    # Read-only calls that show whether the account has a capability (bot.probe):
    # each answers without changing anything on the account.
    def kf_list(self) -> Json:
        """customservice/getkflist: the customer-service staff."""
        return self._call(lambda: self.client.get("customservice/getkflist"))

    def private_templates(self) -> Json:
        """template/get_all_private_template: the account's message templates."""
        return self._call(lambda: self.client.get("template/get_all_private_template"))

    def material_count(self) -> Json:
        """material/get_materialcount: how many permanent materials of each type."""
        return self._call(lambda: self.client.get("material/get_materialcount"))

    def followers(self) -> Json:
        """user/get: the first page of the follower list."""
        return self._call(lambda: self.client.get("user/get"))

    def menu_info(self) -> Json:
        """get_current_selfmenu_info: the menu as it is now."""
        return self._call(lambda: self.client.get("get_current_selfmenu_info"))

    # Analytics (dates as yyyy-MM-dd)
    def datacube(self, name: str, begin_date: str, end_date: str) -> list[Json]:
        if name not in DATACUBE_SPANS:
            raise ValueError(f"unsupported datacube {name}")
        data = self._call(lambda: self.client.datacube._post(
            name, data={"begin_date": begin_date, "end_date": end_date}))
        return list(data.get("list", []))

    def _cube(self, name: str, begin_date: str, end_date: str) -> Json:
        return self._call(lambda: self.client.datacube._post(
            name, data={"begin_date": begin_date, "end_date": end_date}))

    def article_read(self, begin_date: str, end_date: str) -> Json:
        """datacube/getarticleread: each article's reads that day, by source; is_delay.
        https://developers.weixin.qq.com/doc/service/api/wedata/news/api_getarticleread"""
        return self._cube("getarticleread", begin_date, end_date)

    def article_share(self, begin_date: str, end_date: str) -> Json:
        """datacube/getarticleshare: each article's shares that day; is_delay.
        https://developers.weixin.qq.com/doc/service/api/wedata/news/api_getarticleshare"""
        return self._cube("getarticleshare", begin_date, end_date)

    def biz_summary(self, begin_date: str, end_date: str) -> Json:
        """datacube/getbizsummary: the account's totals of the day; is_delay.
        https://developers.weixin.qq.com/doc/service/api/wedata/news/api_getbizsummary"""
        return self._cube("getbizsummary", begin_date, end_date)

    def article_total_detail(self, begin_date: str, end_date: str) -> Json:
        """datacube/getarticletotaldetail: articles published in the range, with running
        totals for up to 30 days (detail_list); is_delay.
        https://developers.weixin.qq.com/doc/service/api/wedata/news/api_getarticletotaldetail"""
        return self._cube("getarticletotaldetail", begin_date, end_date)

    def quota_get(self, cgi_path: str) -> Json:
        """openapi/quota/get: {quota: {daily_limit, used, remain}} of one interface.
        https://developers.weixin.qq.com/doc/service/api/apimange/api_getapiquota"""
        return self._post("openapi/quota/get", {"cgi_path": cgi_path})


#: The one mapping from a gateway call to the capability it needs (the table in
#: workflow/capabilities.py): a 48001 from one of these says which capability the
#: account lacks (``NotAuthorised.capability``), for the sender to learn it missing.
NEEDS: dict[str, Capability] = {
    "send_text": Capability.CUSTOMER_SERVICE,
    "send_image": Capability.CUSTOMER_SERVICE,
    "send_news": Capability.CUSTOMER_SERVICE,
    "send_template": Capability.TEMPLATE_MESSAGE,
    "preview": Capability.PREVIEW,
    "sendall": Capability.MASS_SEND,
    "draft_add": Capability.MATERIALS,
    "draft_get": Capability.MATERIALS,
    "draft_update": Capability.MATERIALS,
    "draft_delete": Capability.MATERIALS,
    "draft_batchget": Capability.MATERIALS,
    "draft_count": Capability.MATERIALS,
    "upload_image": Capability.MATERIALS,
    "add_material": Capability.MATERIALS,
    "publish_submit": Capability.FREE_PUBLISH,
    "publish_get": Capability.FREE_PUBLISH,
    "publish_delete": Capability.FREE_PUBLISH,
    "published_article": Capability.FREE_PUBLISH,
    "published_batchget": Capability.FREE_PUBLISH,
    "comment_open": Capability.COMMENTS,
    "comment_close": Capability.COMMENTS,
    "comment_list": Capability.COMMENTS,
    "comment_action": Capability.COMMENTS,
    "comment_reply": Capability.COMMENTS,
    "datacube": Capability.DATACUBE,
    "article_read": Capability.DATACUBE,
    "article_share": Capability.DATACUBE,
    "biz_summary": Capability.DATACUBE,
    "article_total_detail": Capability.DATACUBE,
    "kf_list": Capability.CUSTOMER_SERVICE,
    "private_templates": Capability.TEMPLATE_MESSAGE,
    "material_count": Capability.MATERIALS,
    "followers": Capability.USER_INFO,
    "menu_info": Capability.MENU,
    "quota_get": Capability.ACCESS_TOKEN,  # interface management: every account's
}


def lacking(capabilities: Capabilities, capability: Capability, call: str) -> None:
    """Ask before calling: NotCalled, without a call, when ``capabilities`` do not
    allow ``capability`` (by the table for the account's kind, or learnt missing)."""
    if not capabilities.allows(capability):
        learnt = granted(capabilities.kind, capability)  # so refused by the platform
        raise NotCalled(capability, call, capabilities.kind.name, learnt=learnt)


def _needing(name: str, capability: Capability, method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: Gateway, *args: Any, **kwargs: Any) -> Any:
        try:
            self._ask(capability, name)
            result = method(self, *args, **kwargs)
        except Exception as exc:
            if isinstance(exc, NotAuthorised):
                exc.capability, exc.call = capability, name
            metrics.api_call(name, errcode_label(exc))
            raise
        metrics.api_call(name, "0")
        return result
    return call


def errcode_label(exc: Exception) -> str:
    """How a call ended, for ``wxops_wechat_api_calls_total``: WeChat's errcode, or
    a word when WeChat gave none (``not_called``, ``timeout``, ``unreachable``,
    ``http_502``...; ``error`` for anything else)."""
    if not isinstance(exc, WeChatError):
        return "error"
    if exc.errcode is not None:
        return str(exc.errcode)
    cause = exc.extra.get("cause", getattr(exc, "default_cause", None))
    if cause == "http":
        return f"http_{exc.extra.get('status')}"
    return str(cause) if cause else exc.code


for _name, _capability in NEEDS.items():
    setattr(Gateway, _name, _needing(_name, _capability, getattr(Gateway, _name)))


#: Longest span in days each datacube accepts (WECHAT.md).
DATACUBE_SPANS = {"getusersummary": 7, "getusercumulate": 7, "getarticlesummary": 1,
                  "getarticletotal": 1, "getarticleread": 1, "getarticleshare": 1,
                  "getbizsummary": 1, "getarticletotaldetail": 1}


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the request cannot have reached WeChat: the connection was never
    made (refused, DNS, connect timeout) or the request could not be built. A read
    timeout, or a connection reset or closed once the request was on its way,
    leaves the outcome unknown."""
    if isinstance(exc, requests.ConnectTimeout | requests.URLRequired
                  | requests.exceptions.InvalidURL | requests.exceptions.MissingSchema
                  | requests.exceptions.InvalidSchema):
        return True
    if isinstance(exc, requests.ConnectionError):
        reason = exc.args[0] if exc.args else None
        reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps it
        return isinstance(reason, NewConnectionError | ConnectTimeoutError)
    return False


def _lost_how(exc: requests.RequestException) -> str:
    """How a request that went out lost its answer: it timed out, or the connection
    was cut (reset, closed, a body cut short)."""
    return "timeout" if isinstance(exc, requests.Timeout) else "cut"


#: An intermediary's statuses that say it did not pass the call on ("try later"):
#: the request never reached WeChat. Any other status without WeChat's errcode
#: (a 502 or 504 above all) may come after WeChat got the call.
NOT_FORWARDED = frozenset({429, 503})


def _translate(exc: WeChatClientException) -> WeChatError:
    errcode = exc.errcode if isinstance(exc.errcode, int) else None
    if errcode is not None:
        return error_for(errcode, str(exc.errmsg or ""))
    # An HTTP error without WeChat's errcode comes from something between us and
    # WeChat (a proxy, a load balancer).
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if not isinstance(status, int):
        return OutcomeUnknown(None, "no usable response")
    detail = f"HTTP {status} from an intermediary"
    error = TransportError if status in NOT_FORWARDED else OutcomeUnknown
    return error(None, detail, cause="http", status=status)
