"""The images of an imported article (bot/importing.Images): uploaded once by
content hash, kept for the preview when the account may not upload, left out
when the file is missing, a material's credit handed to the caption."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.importing import Images
from bot.wechat_errors import NotCalled
from layout.article import ImageRef, Placed
from tests.unit.fakes import FakeUnitOfWork
from tests.unit.layout_fixtures import corpus_images
from workflow import asset_cases
from workflow.capabilities import Capability
from workflow.kept_images import sha256_of

NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def test_the_same_image_is_uploaded_once(tmp_path: Path) -> None:
    uow, sent = FakeUnitOfWork([]), list[str]()

    def upload(name: str, data: bytes) -> str:
        sent.append(name)
        return f"u{len(sent)}"

    images = Images(lambda: uow, upload, tmp_path)
    photo = corpus_images()["photo.jpg"]
    first = images(ImageRef("a.jpg", data=photo))
    assert images(ImageRef("b.jpg", data=photo)) == first == Placed("u1")
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

    uow = FakeUnitOfWork([])
    images = Images(lambda: uow, refused, tmp_path)
    pictures = corpus_images()
    kept = [images(ImageRef(name, data=pictures[name])) for name in ("photo.jpg", "small.jpg")]
    assert images.not_allowed and len(calls) == 1
    assert images.kept == ["photo.jpg", "small.jpg"] and not images.unreadable
    hashes = [sha256_of(placed.url) for placed in kept if isinstance(placed, Placed)]
    assert len(hashes) == 2 and all(uow.assets.kept(h) for h in hashes if h)


def test_a_material_is_read_from_the_store_with_its_credit(tmp_path: Path) -> None:
    uow = FakeUnitOfWork([])
    photo = corpus_images()["small.jpg"]
    asset_cases.add(uow, "scene", "scene.jpg", photo, "摄影：王某", "", "h", NOW)
    asset_cases.add(uow, "report", "report.pdf", b"%PDF-1.4", "", "", "h2", NOW)
    images = Images(lambda: uow, lambda name, data: "u", tmp_path)
    assert images(ImageRef("asset:scene")) == Placed("u", "摄影：王某")
    assert images(ImageRef("asset:report")) is None  # a file, not an image
    assert images(ImageRef("asset:nothing")) is None
    assert images.unreadable == ["asset:report", "asset:nothing"]
