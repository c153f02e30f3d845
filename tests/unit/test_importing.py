"""The images of an imported article (bot/importing.Images): uploaded once by
content hash, kept for the preview when the account may not upload, left out
when the file is missing, a material's credit handed to the caption; its cover
(bot/importing.Cover), cut, uploaded as a permanent image once; and the front
matter kept on the article (bot/importing.article_of)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from bot.importing import Cover, Images, article_of, take_cover
from layout import render_docx, render_markdown
from layout.article import ImageRef, Placed
from tests.unit.fakes import FakeUnitOfWork
from tests.unit.layout_fixtures import FakeUpload, corpus_images, word_file
from workflow import asset_cases
from workflow.kept_images import sha256_of
from workflow.model import ArticleMeta

NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
FIRST_URL = "http://mmbiz.qpic.cn/mmbiz_png/1/0?wx_fmt=png"  # FakeUpload's first answer


def test_the_same_image_is_uploaded_once(tmp_path: Path) -> None:
    uow, upload = FakeUnitOfWork([]), FakeUpload()
    images = Images(lambda: uow, upload, tmp_path)
    photo = corpus_images()["photo.jpg"]
    first = images(ImageRef("a.jpg", data=photo))
    assert images(ImageRef("b.jpg", data=photo)) == first == Placed(FIRST_URL)
    assert (images.uploaded, images.reused, len(uow.uploads.rows)) == (1, 1, 1)
    assert len(upload.images) == 1


def test_a_missing_file_or_an_outside_url_is_named_not_placed(tmp_path: Path) -> None:
    images = Images(lambda: FakeUnitOfWork([]), FakeUpload(), tmp_path)
    assert images(ImageRef("nowhere.png")) is None
    assert images(ImageRef("https://example.org/x.png")) is None
    assert images.unreadable == ["nowhere.png", "https://example.org/x.png"]


def test_without_materials_the_gateway_is_asked_once(tmp_path: Path) -> None:
    refused = FakeUpload(allowed=False)
    uow = FakeUnitOfWork([])
    images = Images(lambda: uow, refused, tmp_path)
    pictures = corpus_images()
    kept = [images(ImageRef(name, data=pictures[name])) for name in ("photo.jpg", "small.jpg")]
    assert images.not_allowed and refused.asked == 1
    assert images.kept == ["photo.jpg", "small.jpg"] and not images.unreadable
    hashes = [sha256_of(placed.url) for placed in kept if isinstance(placed, Placed)]
    assert len(hashes) == 2 and all(uow.assets.kept(h) for h in hashes if h)


def test_a_material_is_read_from_the_store_with_its_credit(tmp_path: Path) -> None:
    uow = FakeUnitOfWork([])
    photo = corpus_images()["small.jpg"]
    asset_cases.add(uow, "scene", "scene.jpg", photo, "摄影：王某", "", "h", NOW)
    asset_cases.add(uow, "report", "report.pdf", b"%PDF-1.4", "", "", "h2", NOW)
    upload = FakeUpload()
    images = Images(lambda: uow, upload, tmp_path)
    assert images(ImageRef("asset:scene")) == Placed(FIRST_URL, "摄影：王某")
    assert images(ImageRef("asset:report")) is None  # a file, not an image
    assert images(ImageRef("asset:nothing")) is None
    assert images.unreadable == ["asset:report", "asset:nothing"]


ARTICLE = """---
title: 冬衣募集
author: 小禾
cover: photo.jpg
comments: false
theme: warm
expires: 2026-12-20
sources:
  - 民政局通知 https://example.org/notice
  - 社区中心的登记表
---

周六上午九点在社区中心收冬衣。
"""


def imported(tmp_path: Path, text: str, upload: FakeUpload,
             uow: FakeUnitOfWork | None = None) -> tuple[ArticleMeta | None, Cover]:
    unit = uow or FakeUnitOfWork([])
    images, cover = Images(lambda: unit, upload, tmp_path), Cover(lambda: unit, upload)
    rendered = render_markdown(text, images)
    take_cover(rendered, images, cover)
    return article_of(rendered, cover).meta, cover


def test_the_front_matter_is_kept_and_the_cover_uploaded_once(tmp_path: Path) -> None:
    (tmp_path / "photo.jpg").write_bytes(corpus_images()["photo.jpg"])
    uow, upload = FakeUnitOfWork([]), FakeUpload()
    meta, cover = imported(tmp_path, ARTICLE, upload, uow)
    sources = ("民政局通知 https://example.org/notice", "社区中心的登记表")
    assert meta == ArticleMeta(byline="小禾", cover="material-1", cover_file="photo.jpg",
                               comments=False, theme="warm", expires_on=date(2026, 12, 20),
                               sources=sources)
    assert cover.outcome == "uploaded" and len(upload.materials) == 1
    again, cover = imported(tmp_path, ARTICLE, upload, uow)
    assert again is not None and again.cover == "material-1"
    assert cover.outcome == "reused" and len(upload.materials) == 1


def test_an_article_that_says_nothing_goes_back_to_the_defaults(tmp_path: Path) -> None:
    meta, cover = imported(tmp_path, "---\ntitle: 短讯\n---\n\n正文。\n", FakeUpload())
    assert meta == ArticleMeta(theme="plain") and cover.outcome == ""


def test_a_cover_not_found_or_not_allowed_is_named_without_a_media_id(tmp_path: Path) -> None:
    meta, cover = imported(tmp_path, ARTICLE, FakeUpload())
    assert meta is not None and (meta.cover, meta.cover_file) == ("", "photo.jpg")
    assert cover.outcome == "unreadable"
    (tmp_path / "photo.jpg").write_bytes(corpus_images()["photo.jpg"])
    refused = FakeUpload(allowed=False)
    meta, cover = imported(tmp_path, ARTICLE, refused)
    assert meta is not None and meta.cover == "" and cover.outcome == "not_allowed"


def test_a_word_file_takes_its_first_image_as_the_cover(tmp_path: Path) -> None:
    upload, uow = FakeUpload(), FakeUnitOfWork([])
    images, cover = Images(lambda: uow, upload, tmp_path), Cover(lambda: uow, upload)
    rendered = render_docx(word_file(), images)
    take_cover(rendered, images, cover)
    assert images.first is not None and cover.file == images.first.src
    assert cover.outcome == "uploaded" and article_of(rendered, cover).meta is not None
