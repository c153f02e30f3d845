"""The corpus (tests/corpus/*.md and the Word file the layout tests build),
laid out by ``layout/`` with its images uploaded to the emulator's
``media/uploadimg``, pushed with ``draft/add`` over a real socket and read
back with ``draft/get``: the draft box keeps the article. Like the real
platform, the emulator rewrites markup on save (``<br/>`` as ``<br>``, style
declarations spaced), so what comes back is not byte-equal to what was sent
but equal in canonical form (workflow/canonical_html.py, what the sync
compares to tell wxops's own push from an edit). The canonical form ignores
what the box strips, so the test also checks that the layout sent nothing the
box strips (no ``class``, ``id``, ``<style>``, ``<script>``) and that every
image came back: surviving the box means the layout holds to its rules. The
cleaning (bot/emulator/cleaning.py) is tested rule by rule in
tests/unit/test_emulator_cleaning.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache

import pytest
from lxml import html as lxml_html

from bot.emulator.server import start_in_thread
from bot.emulator.state import EmulatorConfig
from layout import ImageRef, PreparedImage, prepare_body_image, render_docx, render_markdown
from tests.integration.emulator.talking import JPEG, TOKEN, Client
from tests.unit.layout_fixtures import corpus_images, word_file
from tests.unit.test_layout_corpus import CORPUS, SHAPES, WORD
from workflow.canonical_html import same_article


@pytest.fixture(scope="module")
def box() -> Iterator[Client]:
    url, stop = start_in_thread(EmulatorConfig(token=TOKEN))
    yield Client(url)
    stop()


def uploads(wx: Client) -> Callable[[ImageRef], str | None]:
    """Each image prepared as ``wxops item import`` prepares it and uploaded to
    the emulator; the URL it answers goes into the article."""
    def url(ref: ImageRef) -> str | None:
        prepared = _prepared(ref.src) if ref.data is None else prepare_body_image(ref.data)
        if prepared is None:
            return None
        name = "a.png" if prepared.content_type == "image/png" else "a.jpg"
        return str(wx.upload("/cgi-bin/media/uploadimg", prepared.data, name)["url"])

    return url


@cache
def _prepared(src: str) -> PreparedImage | None:
    data = corpus_images().get(src)
    return None if data is None else prepare_body_image(data)


@pytest.mark.parametrize("name", SHAPES)
def test_a_shape_comes_back_from_the_draft_box_unchanged(box: Client, name: str) -> None:
    image_url = uploads(box)
    rendered = (render_docx(word_file(), image_url) if name == WORD else
                render_markdown((CORPUS / name).read_text(encoding="utf-8"), image_url))
    thumb = box.upload("/cgi-bin/material/add_material", JPEG, type="thumb")["media_id"]
    article = {"title": (rendered.front.title or name)[:32], "content": rendered.html,
               "thumb_media_id": thumb}
    added = box.wx("/cgi-bin/draft/add", {"articles": [article]})
    assert "media_id" in added, added
    got = box.wx("/cgi-bin/draft/get", {"media_id": added["media_id"]})
    kept = got["news_item"][0]["content"]
    assert same_article(kept, rendered.html)
    assert stripped_by_the_box(rendered.html) == []
    assert kept.count("<img") == rendered.html.count("<img")  # every image placed came through
    if 'style="' in rendered.html:  # the box rewrote it: byte equality would not hold
        assert kept != rendered.html
    if name == "07-image-formats.md":
        assert kept.count("<img") == 13


def stripped_by_the_box(html: str) -> list[str]:
    """What in ``html`` the draft box would strip: class and id attributes,
    style and script elements."""
    if not html.strip():
        return []
    root = lxml_html.fragment_fromstring(html, create_parent="div")
    return [f"{e.tag} {sorted(set(e.attrib) & {'class', 'id'})}" for e in root.iter()
            if isinstance(e.tag, str) and (e.tag in ("style", "script")
                                           or {"class", "id"} & set(e.attrib))]


def test_an_image_from_elsewhere_does_not_survive(box: Client) -> None:
    """The counter-check: the same path drops what the platform drops."""
    rendered = render_markdown("正文\n\n![图](photo.jpg)\n", lambda ref: "https://cdn.example/a.jpg")
    thumb = box.upload("/cgi-bin/material/add_material", JPEG, type="thumb")["media_id"]
    added = box.wx("/cgi-bin/draft/add", {"articles": [
        {"title": "外链图片", "content": rendered.html, "thumb_media_id": thumb}]})
    got = box.wx("/cgi-bin/draft/get", {"media_id": added["media_id"]})
    assert "<img" in rendered.html and "<img" not in got["news_item"][0]["content"]
