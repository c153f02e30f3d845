"""The corpus (tests/corpus/*.md and the Word file the layout tests build),
laid out by ``layout/`` with its images uploaded to the emulator's
``media/uploadimg``, pushed with ``draft/add`` over a real socket and read
back with ``draft/get``: the draft box keeps every byte. Its cleaning
(bot/emulator/cleaning.py) is tested rule by rule in
tests/unit/test_emulator_cleaning.py; surviving it unchanged means the layout
holds to the rules, not that nothing was checked."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache

import pytest

from bot.emulator.server import start_in_thread
from bot.emulator.state import EmulatorConfig
from layout import ImageRef, PreparedImage, prepare_body_image, render_docx, render_markdown
from tests.integration.emulator.talking import JPEG, TOKEN, Client
from tests.unit.layout_fixtures import corpus_images, word_file
from tests.unit.test_layout_corpus import CORPUS, SHAPES, WORD


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
    assert got["news_item"][0]["content"] == rendered.html
    if name == "07-image-formats.md":  # every image placed came through
        assert got["news_item"][0]["content"].count("<img") == 13


def test_an_image_from_elsewhere_does_not_survive(box: Client) -> None:
    """The counter-check: the same path drops what the platform drops."""
    rendered = render_markdown("正文\n\n![图](photo.jpg)\n", lambda ref: "https://cdn.example/a.jpg")
    thumb = box.upload("/cgi-bin/material/add_material", JPEG, type="thumb")["media_id"]
    added = box.wx("/cgi-bin/draft/add", {"articles": [
        {"title": "外链图片", "content": rendered.html, "thumb_media_id": thumb}]})
    got = box.wx("/cgi-bin/draft/get", {"media_id": added["media_id"]})
    assert "<img" in rendered.html and "<img" not in got["news_item"][0]["content"]
