"""The preview page in headless Chromium at a phone's width, served by a real
``wxops serve``: it reads like an article, scrolls only down, runs none of the
draft's script, and closed links show their Chinese refusal pages."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

from bot.links import PageAddresses
from storage import staff
from storage.models import PageLink as PageLinkRow
from storage.uow import SqlUnitOfWork
from tests.browser.conftest import PageServer
from workflow import link_cases, usecases
from workflow.model import Context, ItemChanges
from workflow.roles import CONSOLE_ACTOR, Role

#: A draft that tries to run script three ways and to be wider than a phone.
DRAFT = (
    '<section><p>冬季助学计划今年走进三所山区小学。</p>'
    '<script>window.pwned = 1; document.title = "pwned";</script>'
    '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="2000" '
    'onerror="window.pwned = 2" onload="window.pwned = 3">'
    '<a href="javascript:window.pwned=4">点这里</a>'
    '<p>' + "长" * 40 + "https://example.org/" + "a" * 300 + '</p>'
    '<table><tr>' + "<td>一列很宽的表格内容</td>" * 30 + '</tr></table></section>'
)


def _now() -> datetime:
    return datetime.now(UTC)


def _item(server: PageServer, body: str = DRAFT) -> int:
    ctx = Context(now=_now(), command="test")
    with SqlUnitOfWork(server.app.engine) as uow:
        found = staff.add_staff(uow.session, f"作者{_now().timestamp()}",
                                frozenset({Role.CREATOR}), _now())
        uow.commit()
    item = usecases.plan(server.app.uow(), found.id, "冬季助学：山区小学的第一堂课", ctx)
    usecases.edit(server.app.uow(), found.id, item.id, ItemChanges(body=body), ctx)
    return item.id


def _link(server: PageServer, item_id: int) -> tuple[int, str]:
    addresses = PageAddresses.from_settings(server.app.settings)
    made = link_cases.preview(server.app.uow(), CONSOLE_ACTOR, item_id,
                              Context(now=_now(), command="test"), openid=None,
                              lifetime=addresses.lifetime)
    assert made.link is not None
    return made.link.id, addresses.url(made.link)


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as refused:
        return refused.code


def _refusal(browser: Any, url: str) -> str:
    browser.get(url)
    heading = browser.find_element("id", "refused")
    assert heading.text  # a Chinese heading, not an empty or a server error page
    return str(heading.get_attribute("data-why"))


def test_the_preview_reads_on_a_phone_and_runs_no_script(browser: Any,
                                                         page_server: PageServer) -> None:
    _, url = _link(page_server, _item(page_server))
    browser.get(url)
    assert browser.find_element("id", "title").text == "冬季助学：山区小学的第一堂课"
    assert "冬季助学计划今年走进三所山区小学。" in browser.find_element("id", "body").text
    assert "助学公益" in browser.find_element("css selector", ".meta").text
    assert browser.execute_script("return window.innerWidth") == 375
    widths = browser.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"the page scrolls sideways: {widths}"
    browser.find_element("link text", "点这里").click()  # its javascript: address was taken away
    assert browser.execute_script("return typeof window.pwned") == "undefined"
    assert browser.title == "冬季助学：山区小学的第一堂课（预览）"


def test_revoked_expired_and_tampered_links_show_their_pages(browser: Any,
                                                             page_server: PageServer) -> None:
    item_id = _item(page_server, "正文")
    (revoked_id, revoked), (expired_id, expired), (_, fine) = (
        _link(page_server, item_id) for _ in range(3))
    link_cases.revoke(page_server.app.uow(), CONSOLE_ACTOR, revoked_id, Context(now=_now()))
    with page_server.app.engine.begin() as conn:
        conn.execute(update(PageLinkRow).where(PageLinkRow.id == expired_id)
                     .values(expires_at=_now() - timedelta(minutes=1)))
    tampered = fine[:-3] + ("xyz" if not fine.endswith("xyz") else "abc")
    assert (_status(revoked), _status(expired), _status(tampered), _status(fine)) == (
        410, 410, 404, 200)
    assert _refusal(browser, revoked) == "revoked"
    assert _refusal(browser, expired) == "expired"
    assert _refusal(browser, tampered) == "unknown"
    assert "链接已失效" in browser.title or "找不到页面" in browser.title
