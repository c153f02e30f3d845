"""Corpus articles in each theme, imported as ``wxops item import`` does (their
images uploaded to the emulator, which plays the platform's image host), on
the preview page in headless Chromium at 375 px: nothing wider than the screen,
every image loaded, the reference list matching the body's numbered
references, and, in light mode and with the dark scheme emulated, every text
readable, the article's own colours included (WCAG contrast at least 4.5
against what it sits on). A revision sent back with a
quote and changed shows the review's blocks and marks, and they fit too.

With ``WXOPS_TEST_WRITE_SCREENSHOTS=1`` the screenshots (each theme light, one
dark, and the review's blocks) are written to docs/screenshots/ (small PNGs,
palette-reduced); otherwise to the test's temporary folder.
"""

from __future__ import annotations

import io
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.importing import Cover, GatewayUpload, Images, article_of, take_cover
from bot.links import PageAddresses
from bot.worker import make_gateway
from layout.render import render_markdown
from layout.themes import THEMES
from storage import staff
from storage.uow import SqlUnitOfWork
from tests.browser.conftest import PageServer
from tests.unit.layout_fixtures import corpus_images
from workflow import import_cases, link_cases, usecases
from workflow.model import Context
from workflow.roles import CONSOLE_ACTOR, Role
from workflow.states import Event

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "corpus"
SHOTS = ROOT / "docs" / "screenshots"
WIDTH = 375
#: Images, a table and references; fourteen images of every format; links and an image.
WITH_IMAGES = ("01-annual-report.md", "07-image-formats.md", "21-weekly-digest.md")
#: Tinted callouts, highlighted code, a table and quotes: colours to read in the dark.
COLOURFUL = ("01-annual-report.md", "04-code-blocks.md", "06-callouts.md")
_JS = (Path(__file__).parent / "page_checks.js").read_text(encoding="utf-8")


def _now() -> datetime:
    return datetime.now(UTC)


def _member(server: PageServer, role: Role, name: str = "") -> int:
    with SqlUnitOfWork(server.app.engine) as uow:
        found = staff.add_staff(uow.session, name or f"{role.value}{_now().timestamp()}",
                                frozenset({role}), _now())
        uow.commit()
    return found.id


def _folder(tmp_path: Path) -> Path:
    for name, data in corpus_images().items():
        (tmp_path / name).write_bytes(data)
    return tmp_path


def _write(server: PageServer, writer: int, item_id: int, text: str, theme: str,
           folder: Path) -> None:
    """A new revision from Markdown, its images uploaded to the emulator once each."""
    upload = GatewayUpload(make_gateway(server.app))
    images, cover = Images(server.app.uow, upload, folder), Cover(server.app.uow, upload)
    rendered = render_markdown(text, images, theme=theme)
    take_cover(rendered, images, cover)
    article = article_of(rendered, cover)
    # Only what the corpus means to be missing (07's missing.jpg) is left out.
    assert not images.not_allowed and not set(images.unreadable) & set(corpus_images())
    import_cases.write(server.app.uow(), writer, item_id, article, Context(now=_now()))


def _item(server: PageServer, name: str, theme: str, folder: Path) -> tuple[int, int]:
    writer = _member(server, Role.CREATOR)
    item = usecases.plan(server.app.uow(), writer, f"{theme} {name}"[:30], Context(now=_now()))
    _write(server, writer, item.id, (CORPUS / name).read_text("utf-8"), theme, folder)
    return writer, item.id


def _open(browser: Any, server: PageServer, item_id: int) -> None:
    addresses = PageAddresses.from_settings(server.app.settings)
    made = link_cases.preview(server.app.uow(), CONSOLE_ACTOR, item_id, Context(now=_now()),
                              openid=None, lifetime=addresses.lifetime)
    assert made.link is not None
    browser.get(addresses.url(made.link))


def _checked(browser: Any, check: str, *args: object) -> Any:
    return browser.execute_script(_JS + f"\nreturn {check}(...arguments);", *args)


def _scheme(browser: Any, value: str) -> None:
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "features": [{"name": "prefers-color-scheme", "value": value}]})


def _shot(browser: Any, name: str, tmp_path: Path, at: str = "title") -> None:
    browser.execute_script(f"document.activeElement.blur(); "
                           f"document.getElementById('{at}').scrollIntoView()")
    png = Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert("RGB")
    png = png.resize((WIDTH, round(png.height * WIDTH / png.width)), Image.Resampling.LANCZOS)
    folder = SHOTS if os.environ.get("WXOPS_TEST_WRITE_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    png.quantize(96).save(folder / f"{name}.png", optimize=True)


def _fits(browser: Any) -> None:
    assert browser.execute_script("return window.innerWidth") == WIDTH
    assert browser.execute_script("return document.scrollingElement.scrollWidth") <= WIDTH
    assert _checked(browser, "tooWide") == []


def _references(browser: Any, source: str) -> None:
    """The numbered references in the body are the list's entries, 1 to n, and the
    list names the article's external links (mp.weixin.qq.com links stay links)."""
    found = _checked(browser, "references")
    cited = sorted({int(n) for n in re.findall(r"\[(\d+)\]", " ".join(found["cited"]))})
    listed = [int(re.match(r"\[(\d+)\]", e).group(1)) for e in found["listed"]]  # type: ignore[union-attr]
    external = {u for u in re.findall(r"\]\((https?://[^)\s]+)", source)
                if "mp.weixin.qq.com" not in u}
    assert listed == list(range(1, len(listed) + 1))
    assert cited == listed
    assert {e.rsplit(" ", 1)[-1] for e in found["listed"]} == external


@pytest.mark.parametrize("name", WITH_IMAGES)
@pytest.mark.parametrize("theme", THEMES)
def test_a_corpus_article_fits_a_phone_with_its_images_and_references(
        browser: Any, page_server: PageServer, tmp_path: Path, theme: str, name: str) -> None:
    _, item_id = _item(page_server, name, theme, _folder(tmp_path))
    _open(browser, page_server, item_id)
    _fits(browser)
    images = _checked(browser, "images")
    assert images and all(complete and width > 0 for _src, complete, width in images), images
    assert all(src.startswith("http://mmbiz.qpic.cn/") for src, _c, _w in images)
    _references(browser, (CORPUS / name).read_text("utf-8"))
    assert _checked(browser, "unreadable") == []  # light mode: the theme's own colours
    if name == WITH_IMAGES[0]:
        _shot(browser, f"preview-{theme}-light", tmp_path)


@pytest.mark.parametrize("name", COLOURFUL)
@pytest.mark.parametrize("theme", THEMES)
def test_every_text_reads_in_light_and_dark_mode(browser: Any, page_server: PageServer,
                                                 tmp_path: Path, theme: str, name: str) -> None:
    _, item_id = _item(page_server, name, theme, _folder(tmp_path))
    for scheme in ("light", "dark"):
        _scheme(browser, scheme)
        try:
            _open(browser, page_server, item_id)
            assert browser.execute_script(
                "return matchMedia('(prefers-color-scheme: dark)').matches") == (
                scheme == "dark")
            assert _checked(browser, "unreadable") == [], scheme
            if (theme, name, scheme) == ("warm", COLOURFUL[0], "dark"):
                _shot(browser, f"preview-{theme}-dark", tmp_path)
        finally:
            _scheme(browser, "")


def test_a_revision_sent_back_shows_its_reasons_and_changes_on_a_phone(
        browser: Any, page_server: PageServer, tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    source = (CORPUS / WITH_IMAGES[0]).read_text("utf-8")
    writer, item_id = _item(page_server, WITH_IMAGES[0], "plain", folder)
    reviewer, ctx = _member(page_server, Role.REVIEWER, "李雷"), Context(now=_now())
    usecases.act(page_server.app.uow(), writer, item_id, Event.START, ctx)
    usecases.act(page_server.app.uow(), writer, item_id, Event.SUBMIT, ctx)
    usecases.act(page_server.app.uow(), reviewer, item_id, Event.REQUEST_CHANGES,
                 Context(now=_now(), comment="「配捐比例达到 1:0.8」 请附上配捐协议的出处"))
    _write(page_server, writer, item_id, source.replace("213 人次", "215 人次")
           .replace("坦白说，", ""), "plain", folder)
    for scheme in ("light", "dark"):
        _scheme(browser, scheme)
        try:
            _open(browser, page_server, item_id)
            _fits(browser)
            assert _checked(browser, "unreadable") == []
            browser.find_element("css selector", "#changes summary").click()
            _fits(browser)
            assert [e.text for e in browser.find_elements("css selector", "#changes ins")] == [
                "215"]
            assert {e.text for e in browser.find_elements("css selector", "#changes del")} == {
                "213", "坦白说，"}
            assert "".join(e.text for e in browser.find_elements(
                "css selector", "#body mark")) == "配捐比例达到 1:0.8"
            assert _checked(browser, "unreadable") == []
            _shot(browser, f"preview-review-{scheme}", tmp_path, at="reasons")
        finally:
            _scheme(browser, "")
