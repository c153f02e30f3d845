"""Page links decided (workflow.pages, workflow.link_cases over the fakes), signed
(bot.links) and sanitised (bot.pages.preview)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.config import load_settings
from bot.links import PageAddresses, signing_key
from bot.pages.preview import safe_html
from bot.pages.render import refused
from tests.unit.fakes import FakeUnitOfWork
from workflow import link_cases, pages
from workflow.capabilities import FULL, UNVERIFIED_SUBSCRIPTION, Capabilities
from workflow.errors import ItemNotFound, LinkNotFound, LinkRefused, PreviewUnavailable
from workflow.model import ContentItem, Context
from workflow.pages import MAX_LIFETIME, PageKind
from workflow.roles import Actor, Role

NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)
REVIEWER = Actor(2, "李雷", frozenset({Role.REVIEWER}))


def _link(**changes: object) -> pages.PageLink:
    made = pages.issue(PageKind.PREVIEW, 3, 5, 2, 2, NOW, DAY, "k" * 22)
    return made if not changes else pages.PageLink(**{**made.__dict__, **changes})


def test_a_link_lives_its_lifetime_and_never_past_the_maximum() -> None:
    assert _link().expires_at == NOW + DAY
    long = pages.issue(PageKind.PREVIEW, 3, 5, 2, None, NOW, timedelta(days=400), "k")
    assert long.expires_at == NOW + MAX_LIFETIME
    with pytest.raises(ValueError):
        pages.issue(PageKind.PREVIEW, 3, 5, 2, None, NOW, timedelta(0), "k")


@pytest.mark.parametrize(("found", "at", "why"), [
    (None, NOW, "unknown"),
    (_link(revoked_at=NOW), NOW, "revoked"),
    (_link(), NOW + DAY, "expired"),  # the moment it expires, it is gone
    (_link(revoked_at=NOW), NOW + 2 * DAY, "revoked"),  # revoked says more than expired
])
def test_an_opening_is_refused_with_its_reason(found: pages.PageLink | None, at: datetime,
                                               why: str) -> None:
    with pytest.raises(LinkRefused) as refusal:
        pages.opened(found, PageKind.PREVIEW, at)
    assert refusal.value.why == why


def test_a_live_link_opens() -> None:
    assert pages.opened(_link(), PageKind.PREVIEW, NOW + DAY - timedelta(seconds=1)) == _link()


def test_withdrawn_and_cancelled_items_end_their_links() -> None:
    from workflow.states import State
    assert {s for s in State if pages.ends_links(s)} == {State.WITHDRAWN, State.CANCELLED}


def _uow() -> FakeUnitOfWork:
    uow = FakeUnitOfWork([REVIEWER])
    uow.items.add(ContentItem(id=0, title="冬季助学", author_id=1, body="正文", revision=2,
                              version=5))
    return uow


def _ask(uow: FakeUnitOfWork, capabilities: Capabilities, lifetime: timedelta | None,
         actor: Actor = REVIEWER, item_id: int = 1) -> link_cases.PreviewAsked:
    return link_cases.preview(uow, actor, item_id, Context(now=NOW, capabilities=capabilities),
                              openid="o_li", lifetime=lifetime, key=lambda: "key1")


def test_preview_makes_a_link_for_the_items_revision_and_queues_the_phone() -> None:
    uow = _uow()
    asked = _ask(uow, FULL, DAY)
    assert asked.phone and asked.link is not None
    assert (asked.link.id, asked.link.key, asked.link.item_version,
            asked.link.item_revision, asked.link.created_by) == (1, "key1", 5, 2, REVIEWER.id)
    assert [row[0] for row in uow.outbox.rows.values()] == ["preview"]


def test_an_account_without_previews_gets_a_link_and_queues_nothing() -> None:
    uow = _uow()
    asked = _ask(uow, Capabilities(UNVERIFIED_SUBSCRIPTION), DAY)
    assert (asked.phone, asked.link is not None, uow.outbox.rows) == (False, True, {})


def test_without_previews_and_an_address_preview_is_refused() -> None:
    uow = _uow()
    with pytest.raises(PreviewUnavailable) as refusal:
        _ask(uow, Capabilities(UNVERIFIED_SUBSCRIPTION), None)
    assert (refusal.value.item_id, refusal.value.kind) == (1, "unverified-subscription")
    assert (uow.links.rows, uow.outbox.rows) == ({}, {})


def test_an_unknown_item_is_named_before_anything_else() -> None:
    with pytest.raises(ItemNotFound):
        _ask(_uow(), Capabilities(UNVERIFIED_SUBSCRIPTION), None, item_id=9)


def test_opening_shows_the_linked_revision_and_whether_a_newer_one_exists() -> None:
    uow = _uow()
    _ask(uow, FULL, DAY)
    shown = link_cases.open_preview(uow, "key1", NOW)
    assert (shown.text.title, shown.text.body, shown.outdated) == ("冬季助学", "正文", False)
    item = uow.items.rows[1]
    uow.items.rows[1] = ContentItem(**{**item.__dict__, "revision": 3, "body": "新的"})
    uow.links.articles[(1, 2)] = shown.text
    again = link_cases.open_preview(uow, "key1", NOW)
    assert (again.text.body, again.outdated, again.latest) == ("正文", True, 3)


def test_revoking_a_link_and_an_items_links() -> None:
    uow = _uow()
    for _ in range(2):
        _ask(uow, FULL, DAY)
    ctx = Context(now=NOW)
    assert link_cases.revoke(uow, REVIEWER, 1, ctx) is True
    assert link_cases.revoke(uow, REVIEWER, 1, ctx) is False
    assert link_cases.revoke_item(uow, REVIEWER, 1, ctx) == 1
    with pytest.raises(LinkNotFound):
        link_cases.revoke(uow, REVIEWER, 7, ctx)
    with pytest.raises(LinkRefused):
        link_cases.open_preview(uow, "key1", NOW)


def test_a_token_carries_its_key_signed() -> None:
    addresses = PageAddresses("https://wx.example.org", b"x" * 32, DAY)
    token = addresses.token("abc")
    assert addresses.key(token) == "abc"
    assert addresses.url(_link(key="abc")) == f"https://wx.example.org/preview/{token}"
    assert addresses.key(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert addresses.key("abc") is None and addresses.key("a" * 500) is None
    other = PageAddresses("https://wx.example.org", b"y" * 32, DAY)
    assert other.key(token) is None


def test_the_signing_key_is_the_setting_or_derived_from_the_app_secret() -> None:
    base = {"WXOPS_APP_ID": "wx1", "WXOPS_APP_SECRET": "s3cret", "WXOPS_TOKEN": "tok123"}
    derived = signing_key(load_settings(base))
    assert derived != b"s3cret" and len(derived) == 32
    assert signing_key(load_settings({**base, "WXOPS_APP_SECRET": "other"})) != derived
    assert signing_key(load_settings({**base, "WXOPS_LINK_SECRET": "z" * 20})) == b"z" * 20


@pytest.mark.parametrize("html", [
    '<p>a<script>document.title="x"</script></p>',
    '<img src="https://img.example.org/a.png" onerror="alert(1)">',
    '<a href="javascript:alert(1)">a</a>',
    '<p style="position:fixed;top:0">a</p>',
    '<iframe src="https://example.org"></iframe><form action="/x"><input></form>',
    '<svg onload="alert(1)"></svg><style>body{display:none}</style>',
    # An allowed property whose value is not plain (nh3 keeps the value as it is, and
    # reads CSS escapes): the declaration goes, the plain ones stay.
    '<p style="width: expression(alert(1)); color: red">a</p>',
    '<p style="width: ex\\70 ression(alert(1)); color: red">a</p>',
    '<p style="height: url(javascript:alert(1)); color: red">a</p>',
    '<p style="width: 1px /* x */; color: red">a</p>',
])
def test_a_draft_keeps_nothing_that_runs_or_takes_over_the_page(html: str) -> None:
    clean = safe_html(html).lower()
    for bad in ("<script", "onerror", "onload", "javascript:", "position", "<iframe", "<form",
                "<input", "<svg", "<style", "expression", "url(", "/*", "\\"):
        assert bad not in clean
    if "color: red" in html:
        assert 'style="color:red"' in clean


def test_a_draft_keeps_its_formatting() -> None:
    clean = safe_html('<section style="color:red;text-align:center"><h2>标题</h2>'
                      '<img src="https://img.example.org/a.png"><a href="https://a.org">链</a>'
                      '</section>')
    assert '<section style="color:red;text-align:center">' in clean and "<h2>标题</h2>" in clean
    assert 'src="https://img.example.org/a.png"' in clean and 'href="https://a.org"' in clean
    assert safe_html("第一段\n\n第二段") == "<p>第一段</p><p>第二段</p>"
    styled = ('<p style="border:1px solid #ccc;margin:0 auto;width:100%;'
              'color:rgba(0, 0, 0, 0.5);background-color:#f7f7f7;font-size:15px">x</p>')
    assert safe_html(styled) == styled


@pytest.mark.parametrize(("why", "status", "words"), [
    ("unknown", 404, "找不到页面"), ("not_found", 404, "找不到页面"),
    ("expired", 410, "已过期"), ("revoked", 410, "已被撤销"), ("method", 405, "只能直接打开"),
])
def test_refusal_pages_answer_in_chinese_with_their_status(why: str, status: int,
                                                           words: str) -> None:
    page = refused(why)
    assert page.status_code == status and words in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "private, no-store"
