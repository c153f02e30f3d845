"""The team's materials (workflow/asset_cases.py) over the fake unit of work,
the placeholders of images kept for the preview (workflow/kept_images.py), a
material's credit in the figure's caption (layout), and the draft box never
given a body holding a placeholder (bot/deliveries.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from bot import deliveries
from bot.wechat_errors import ArticleWithKeptImages
from layout.article import ImageRef, Placed
from layout.render import render_markdown
from tests.unit.fakes import FakeUnitOfWork
from tests.unit.layout_fixtures import corpus_images
from workflow import asset_cases
from workflow.asset_cases import AssetKind
from workflow.errors import AssetExists, AssetInvalid, AssetUnknown
from workflow.kept_images import kept_in, placeholder, served_from, sha256_of

NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
SHA = "c" * 64


@pytest.mark.parametrize("name", ["logo", "annual-report", "photo_2026", "A1"])
def test_names_an_article_can_write(name: str) -> None:
    assert asset_cases.checked(name, b"x", "", "")[0] == name


@pytest.mark.parametrize("name", ["", "年报", "-logo", "a b", "a/b", "x" * 65, "logo.png"])
def test_names_refused(name: str) -> None:
    with pytest.raises(AssetInvalid) as refused:
        asset_cases.checked(name, b"x", "", "")
    assert refused.value.reason == "name"


def test_empty_large_and_long_notes_are_refused() -> None:
    reasons = []
    for data, note in ((b"", ""), (b"x" * (asset_cases.MAX_BYTES + 1), ""), (b"x", "字" * 201)):
        with pytest.raises(AssetInvalid) as refused:
            asset_cases.checked("logo", data, note, "")
        reasons.append(refused.value.reason)
    assert reasons == ["empty", "too_large", "long"]


def test_images_are_told_from_files_by_their_first_bytes() -> None:
    kinds = {name: asset_cases.kind_of(data) for name, data in corpus_images().items()}
    assert set(kinds.values()) == {AssetKind.IMAGE}
    assert asset_cases.kind_of(b"%PDF-1.7 ...") is AssetKind.FILE
    assert asset_cases.kind_of(b"PK\x03\x04 a docx") is AssetKind.FILE


def test_add_show_list_remove_and_the_image_an_article_asks_for() -> None:
    uow = FakeUnitOfWork([])
    photo = corpus_images()["small.jpg"]
    added = asset_cases.add(uow, " scene ", "scene.jpg", photo, " 摄影：王某 ", "已授权", "h", NOW)
    assert (added.name, added.kind, added.content_type, added.credit) == (
        "scene", AssetKind.IMAGE, "image/jpeg", "摄影：王某")
    with pytest.raises(AssetExists):
        asset_cases.add(uow, "scene", "other.pdf", b"%PDF", "", "", "h2", NOW)
    asset_cases.add(uow, "report", "report.pdf", b"%PDF", "", "", "h2", NOW)
    assert [a.name for a in asset_cases.listed(uow)] == ["report", "scene"]
    assert asset_cases.image(uow, "scene") == (added, photo)
    assert asset_cases.image(uow, "report") is None and asset_cases.image(uow, "x") is None
    asset_cases.remove(uow, "report")
    with pytest.raises(AssetUnknown):
        asset_cases.shown(uow, "report")
    with pytest.raises(AssetUnknown):
        asset_cases.remove(uow, "report")
    assert asset_cases.name_of("asset:scene") == "scene" and asset_cases.name_of("a.png") is None


def test_a_placeholder_names_its_hash_and_the_page_serves_it_from_its_link() -> None:
    body = f'<p>甲</p><img src="{placeholder(SHA)}"><img src="{placeholder(SHA)}">'
    assert sha256_of(placeholder(SHA)) == SHA and sha256_of("https://mmbiz.qpic.cn/a") is None
    assert kept_in(body) == [SHA]
    assert served_from(body, "TOKEN/image/").count(f'src="TOKEN/image/{SHA}"') == 2
    with pytest.raises(ValueError):
        placeholder("not-a-hash")


def placing(credit: str) -> Callable[[ImageRef], Placed]:
    return lambda ref: Placed("https://mmbiz.qpic.cn/x", credit)


@pytest.mark.parametrize(("source", "credit", "caption"), [
    ("![收衣现场](asset:scene)", "摄影：王某", "收衣现场（摄影：王某）"),
    ("![](asset:scene)", "摄影：王某", "摄影：王某"),
    ("![收衣现场，摄影：王某](asset:scene)", "摄影：王某", "收衣现场，摄影：王某"),
    ("![收衣现场](asset:scene)", "", "收衣现场"),
])
def test_a_credit_ends_the_caption_unless_the_article_gives_it(source: str, credit: str,
                                                                caption: str) -> None:
    html = render_markdown(f"正文。\n\n{source}\n", placing(credit)).html
    assert f">{caption}</figcaption>" in html


def test_a_bare_url_is_still_an_answer() -> None:
    html = render_markdown("![图](a.png)\n", lambda ref: "https://mmbiz.qpic.cn/y").html
    assert 'src="https://mmbiz.qpic.cn/y"' in html and ">图</figcaption>" in html


def test_the_draft_box_never_gets_a_body_with_kept_images() -> None:
    kept = SimpleNamespace(id=7, title="冬衣", digest="",
                           body=f'<p>文</p><img src="{placeholder(SHA)}">')
    with pytest.raises(ArticleWithKeptImages) as refused:
        deliveries._article(kept, "thumb")
    assert refused.value.transient is False and "7" in str(refused.value)
    fine = SimpleNamespace(id=8, title="冬衣", digest="", byline="", comments=True,
                           body='<p>文</p><img src="https://mmbiz.qpic.cn/a">')
    assert deliveries._article(fine, "thumb")["content"] == fine.body


def test_a_link_to_a_file_material_stays_its_text() -> None:
    html = render_markdown("见[年报](asset:annual-report)。\n", placing("")).html
    assert "见年报。" in html and "asset:" not in html and "<a" not in html
