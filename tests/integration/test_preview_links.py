"""The preview page's links on both engines: 预览 makes one on every kind of
account (and still queues the phone preview where the account may send it), the
page opens it through the WSGI app, and revoking, expiry, a withdrawn or
cancelled item and a tampered token close it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update
from werkzeug.test import Client

from bot.config import load_settings
from bot.links import PageAddresses
from bot.web import create_app
from bot.wiring import App
from handlers import refusals, texts
from storage.models import OutboxMessage
from storage.models import PageLink as PageLinkRow
from storage.uow import SqlUnitOfWork
from tests.integration import commanding
from tests.integration.clirun import Wxops
from tests.integration.commanding import Team, make_team
from workflow import link_cases, usecases
from workflow.capabilities import FULL, UNVERIFIED_SUBSCRIPTION, Capabilities
from workflow.model import Context, ItemChanges
from workflow.roles import CONSOLE_ACTOR
from workflow.states import Event

PUBLIC = "https://wx.example.org"
SETTINGS = {"WXOPS_PUBLIC_URL": PUBLIC, "WXOPS_APP_ID": "wx1", "WXOPS_APP_SECRET": "s3cret",
            "WXOPS_TOKEN": "tok123", "WXOPS_ACCOUNT_NAME": "助学公益"}
SMALL = Capabilities(UNVERIFIED_SUBSCRIPTION)
BODY = '<p>第一段</p><script>document.title="pwned"</script><img src=x onerror="alert(1)">'


def _now() -> datetime:
    return datetime.now(UTC)  # the page checks expiry against the clock


@pytest.fixture
def team(engine: Engine) -> Team:
    return make_team(engine)


@pytest.fixture
def app(engine: Engine) -> App:
    return App(settings=load_settings(SETTINGS), engine=engine)


def _item(engine: Engine, team: Team, body: str = BODY) -> int:
    ctx = Context(now=_now(), command="test")
    item = usecases.plan(SqlUnitOfWork(engine), team.wang, "冬季助学", ctx)
    usecases.edit(SqlUnitOfWork(engine), team.wang, item.id, ItemChanges(body=body), ctx)
    return item.id


def _addresses(app: App) -> PageAddresses:
    return PageAddresses.from_settings(app.settings)


def _open(app: App, url: str) -> tuple[int, str, dict[str, str]]:
    assert url.startswith(PUBLIC)
    got = Client(create_app(app)).get(url[len(PUBLIC):])
    return got.status_code, got.get_data(as_text=True), dict(got.headers)


def _preview_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return len(conn.execute(select(OutboxMessage.id).where(
            OutboxMessage.kind == "preview")).all())


def test_preview_answers_with_the_link_and_still_queues_the_phone_preview(
        engine: Engine, team: Team, app: App) -> None:
    item_id = _item(engine, team)
    asked = commanding.ask(engine, team.li, f"预览 {item_id}", now=_now(),
                           capabilities=FULL, pages=_addresses(app))
    assert (asked.context["phone"], asked.context["item"].id) == (True, item_id)
    assert _preview_rows(engine) == 1
    status, page, headers = _open(app, asked.context["url"])
    assert status == 200 and "冬季助学" in page and "第一段" in page and "助学公益" in page
    assert "<script" not in page and "onerror" not in page and "pwned" not in page
    assert headers["Cache-Control"] == "private, no-store"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in headers["X-Robots-Tag"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src" not in headers["Content-Security-Policy"]  # default-src 'none' rules
    assert headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_an_account_without_previews_gets_the_link_only(engine: Engine, team: Team,
                                                        app: App) -> None:
    item_id = _item(engine, team)
    asked = commanding.ask(engine, team.li, f"预览 {item_id}", now=_now(),
                           capabilities=SMALL, pages=_addresses(app))
    assert asked.context["phone"] is False and asked.context["url"].startswith(PUBLIC)
    assert _preview_rows(engine) == 0
    assert asked.context["url"] in asked.render() and "预览页" in asked.render()
    assert "本公众号不能发微信预览" in asked.render()  # why no phone preview came
    shown = commanding.ask(engine, team.li, f"查看 {item_id}", now=_now(),
                           capabilities=SMALL).render()
    assert f"发送「预览 {item_id}」得到预览网页的链接（本公众号不能发微信预览）" in shown
    assert "发到你的微信" not in shown


def test_without_previews_or_a_public_url_preview_is_refused_with_the_remedy(
        engine: Engine, team: Team) -> None:
    item_id = _item(engine, team)
    refused = commanding.refusal(engine, team.li, f"预览 {item_id}", now=_now(),
                                 capabilities=SMALL)
    assert (refused.code, refused.item_id, refused.kind) == (  # type: ignore[union-attr]
        "preview_unavailable", item_id, UNVERIFIED_SUBSCRIPTION.name)
    assert "WXOPS_PUBLIC_URL" in refusals.say(refused)
    assert _preview_rows(engine) == 0
    with engine.connect() as conn:
        assert conn.execute(select(PageLinkRow.id)).all() == []


def test_a_verified_account_without_a_public_url_keeps_the_phone_preview(
        engine: Engine, team: Team) -> None:
    item_id = _item(engine, team)
    asked = commanding.ask(engine, team.li, f"预览 {item_id}", now=_now(), capabilities=FULL)
    assert (asked.context["phone"], asked.context["url"]) == (True, None)
    assert _preview_rows(engine) == 1


def _link(engine: Engine, app: App, item_id: int) -> str:
    made = link_cases.preview(app.uow(), CONSOLE_ACTOR, item_id,
                              Context(now=_now(), command="test"), openid=None,
                              lifetime=timedelta(hours=72))
    assert made.link is not None
    return _addresses(app).url(made.link)


def test_the_page_shows_the_revision_the_link_was_made_for(engine: Engine, team: Team,
                                                           app: App) -> None:
    item_id = _item(engine, team, "旧的正文")
    url = _link(engine, app, item_id)
    usecases.edit(app.uow(), team.wang, item_id, ItemChanges(body="新的正文"),
                  Context(now=_now(), command="test"))
    status, page, _ = _open(app, url)
    assert status == 200 and "旧的正文" in page and "新的正文" not in page
    assert 'id="outdated"' in page and "更新的版本" in page


def test_revoked_expired_and_tampered_links_are_refused(engine: Engine, team: Team,
                                                         app: App) -> None:
    item_id = _item(engine, team)
    revoked, expired, fine = (_link(engine, app, item_id) for _ in range(3))
    with engine.begin() as conn:
        conn.execute(update(PageLinkRow).where(PageLinkRow.id == 2)
                     .values(expires_at=_now() - timedelta(minutes=1)))
    assert link_cases.revoke(app.uow(), CONSOLE_ACTOR, 1, Context(now=_now())) is True
    assert link_cases.revoke(app.uow(), CONSOLE_ACTOR, 1, Context(now=_now())) is False
    assert _open(app, revoked)[0] == 410 and 'data-why="revoked"' in _open(app, revoked)[1]
    assert _open(app, expired)[0] == 410 and 'data-why="expired"' in _open(app, expired)[1]
    assert _open(app, fine)[0] == 200
    assert _open(app, fine[:-2] + ("AA" if not fine.endswith("AA") else "BB"))[0] == 404
    unknown = f"{PUBLIC}/preview/{_addresses(app).token('never-issued')}"
    assert _open(app, unknown)[0] == 404
    other_secret = App(settings=load_settings({**SETTINGS, "WXOPS_APP_SECRET": "other"}),
                       engine=engine)
    assert _open(other_secret, fine)[0] == 404  # a new AppSecret: links read as unknown


def test_revoking_an_items_links_and_listing_them(engine: Engine, team: Team,
                                                  app: App) -> None:
    first, second = _item(engine, team), _item(engine, team)
    for item_id in (first, first, second):
        _link(engine, app, item_id)
    now = _now()
    assert [ln.id for ln in link_cases.listed(app.uow(), None, False, now)] == [3, 2, 1]
    assert link_cases.revoke_item(app.uow(), CONSOLE_ACTOR, first, Context(now=now)) == 2
    assert [ln.id for ln in link_cases.listed(app.uow(), None, False, now)] == [3]
    assert [ln.id for ln in link_cases.listed(app.uow(), first, True, now)] == [2, 1]
    assert commanding.audit_trail(engine)[-1][:2] == (f"item:{first}", "revoke_links")


def test_cancelling_an_item_revokes_its_links(engine: Engine, team: Team, app: App) -> None:
    item_id = _item(engine, team)
    url = _link(engine, app, item_id)
    usecases.act(app.uow(), team.admin, item_id, Event.CANCEL, Context(now=_now()))
    assert _open(app, url)[0] == 410


def test_bad_paths_and_methods_get_chinese_pages_not_errors(app: App) -> None:
    client = Client(create_app(app))
    for path, status in (("/nowhere", 404), ("/preview/", 404), ("/preview/" + "a" * 300, 404),
                         ("/preview/%ff%fe", 404), ("/preview/a.b", 404)):
        got = client.get(path)
        assert got.status_code == status, path
        assert "找不到页面" in got.get_data(as_text=True)
    posted = client.post("/preview/abc")
    assert posted.status_code == 405 and posted.headers["Allow"] == "GET, HEAD"


def test_wxops_links_and_item_preview(engine_url: str, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    wxops = Wxops(monkeypatch, capsys, tmp_path, WXOPS_DATABASE_URL=engine_url,
                  **{k: v for k, v in SETTINGS.items() if k != "WXOPS_PUBLIC_URL"})
    assert wxops("db", "upgrade").status == 0
    assert wxops("staff", "add", "王芳", "--role", "creator").status == 0
    assert wxops("item", "plan", "冬季助学", "--as", "王芳").status == 0
    assert wxops("item", "preview", "1").code == "public_url_missing"
    monkeypatch.setenv("WXOPS_PUBLIC_URL", PUBLIC)
    made = wxops("item", "preview", "1")
    assert made.status == 0 and made.out.startswith(f"{PUBLIC}/preview/")
    assert wxops("item", "preview", "9").code == "item_not_found"
    assert wxops("links", "list").out.startswith("1 ")
    assert wxops("links", "revoke").code == "links_revoke_which"
    assert wxops("links", "revoke", "1", "--item", "1").code == "links_revoke_which"
    assert wxops("links", "revoke", "7").code == "link_not_found"
    assert wxops("links", "revoke", "1").status == 0
    assert wxops("links", "revoke", "--item", "1").out.strip() == texts.verbatim(
        "cli/links", "revoked_item", item_id=1, count=0).strip()
    assert "链接" in wxops("links", "list").out  # nothing live: the line saying so
    assert "已撤销" in wxops("links", "list", "--all").out
