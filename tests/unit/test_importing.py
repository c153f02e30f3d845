"""The images of an imported article (bot/importing.Images): uploaded once by
content hash, left out when the account may not upload or the file is missing."""

from __future__ import annotations

from pathlib import Path

from bot.importing import Images
from bot.wechat_errors import NotCalled
from layout.article import ImageRef
from tests.unit.fakes import FakeUnitOfWork
from tests.unit.layout_fixtures import corpus_images
from workflow.capabilities import Capability


def test_the_same_image_is_uploaded_once(tmp_path: Path) -> None:
    uow, sent = FakeUnitOfWork([]), list[str]()

    def upload(name: str, data: bytes) -> str:
        sent.append(name)
        return f"u{len(sent)}"

    images = Images(lambda: uow, upload, tmp_path)
    photo = corpus_images()["photo.jpg"]
    first = images(ImageRef("a.jpg", data=photo))
    assert images(ImageRef("b.jpg", data=photo)) == first == "u1"
    assert (images.uploaded, images.reused, len(uow.uploads.rows)) == (1, 1, 1)


def test_a_missing_file_or_an_outside_url_is_named_not_placed(tmp_path: Path) -> None:
    images = Images(lambda: FakeUnitOfWork([]), lambda name, data: "u", tmp_path)
    assert images(ImageRef("nowhere.png")) is None
    assert images(ImageRef("https://example.org/x.png")) is None
    assert images.unreadable == ["nowhere.png", "https://example.org/x.png"]


def test_without_materials_the_gateway_is_asked_once(tmp_path: Path) -> None:
    calls: list[str] = []

    def refused(name: str, data: bytes) -> str:
        calls.append(name)
        raise NotCalled(Capability.MATERIALS, "media/uploadimg", "subscription", False)

    images = Images(lambda: FakeUnitOfWork([]), refused, tmp_path)
    pictures = corpus_images()
    assert images(ImageRef("a", data=pictures["photo.jpg"])) is None
    assert images(ImageRef("b", data=pictures["small.jpg"])) is None
    assert images.not_allowed and len(calls) == 1
