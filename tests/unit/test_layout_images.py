"""Images for upload: JPEG or PNG under 1 MB and at most 1080 px wide, PNG kept
for transparency, a 2.35:1 cover cut about its centre, a content hash each."""

from __future__ import annotations

import hashlib
from io import BytesIO

import pytest
from PIL import Image

from layout import LayoutError, prepare_body_image, prepare_cover
from layout.images import MAX_BYTES
from tests.unit.layout_fixtures import corpus_images


def opened(data: bytes) -> Image.Image:
    return Image.open(BytesIO(data))


def test_a_small_jpeg_or_png_is_kept_byte_for_byte() -> None:
    for name in ("small.jpg", "logo.png"):
        data = corpus_images()[name]
        prepared = prepare_body_image(data)
        assert prepared.data == data and prepared.sha256 == hashlib.sha256(data).hexdigest()


def test_a_wide_photo_is_narrowed_to_1080_keeping_its_proportions() -> None:
    prepared = prepare_body_image(corpus_images()["photo.jpg"])
    assert (prepared.width, prepared.height, prepared.content_type) == (1080, 810, "image/jpeg")
    assert opened(prepared.data).size == (1080, 810)


def test_transparency_keeps_png() -> None:
    prepared = prepare_body_image(corpus_images()["wide.png"])
    assert prepared.content_type == "image/png" and prepared.width == 1080
    image = opened(prepared.data)
    assert image.mode in ("RGBA", "P")


def test_a_png_without_transparency_that_is_too_big_becomes_a_jpeg_under_1_mb() -> None:
    data = corpus_images()["noise.png"]
    assert len(data) > MAX_BYTES
    prepared = prepare_body_image(data)
    assert prepared.content_type == "image/jpeg" and len(prepared.data) < MAX_BYTES
    assert prepared.width <= 1080


@pytest.mark.parametrize("name", ["chart.webp", "anim.gif", "scan.bmp", "form.tiff"])
def test_formats_the_platform_does_not_take_become_jpeg_or_png(name: str) -> None:
    prepared = prepare_body_image(corpus_images()[name])
    assert opened(prepared.data).format in ("JPEG", "PNG")
    assert prepared.content_type in ("image/jpeg", "image/png")


def test_a_transparent_gif_becomes_a_png() -> None:
    assert prepare_body_image(corpus_images()["anim.gif"]).content_type == "image/png"


def test_a_photo_is_turned_upright_by_its_exif_orientation() -> None:
    prepared = prepare_body_image(corpus_images()["portrait.jpg"])
    assert (prepared.width, prepared.height) == (900, 1200)


def test_a_cover_is_cut_to_235_to_1_about_its_centre() -> None:
    wide = prepare_cover(corpus_images()["wide.png"])  # 4:1, cut at the sides
    tall = prepare_cover(corpus_images()["scan.bmp"])  # 3:4, cut at top and bottom
    for cover in (wide, tall):
        assert abs(cover.width / cover.height - 2.35) < 0.01
        assert cover.width <= 1080 and len(cover.data) < MAX_BYTES


def png(size: tuple[int, int], mode: str = "RGB") -> bytes:
    out = BytesIO()
    Image.new(mode, size, (30, 120, 200, 128)[:len(mode)]).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(("size", "expected"), [
    ((4000, 1000), (1080, 460)),  # wide: cut at the sides to 2350 x 1000, then narrowed
    ((900, 1600), (900, 383)),  # tall: cut at top and bottom, not narrowed
    ((200, 200), (200, 85)),  # small: cut, never enlarged
])
def test_a_cover_has_the_ratio_and_size_of_its_kind(size: tuple[int, int],
                                                    expected: tuple[int, int]) -> None:
    cover = prepare_cover(png(size))
    assert (cover.width, cover.height) == expected == opened(cover.data).size
    assert abs(cover.width / cover.height - 2.35) < 0.01


def test_a_cover_is_always_a_jpeg_even_from_a_transparent_png() -> None:
    cover = prepare_cover(png((1200, 600), "RGBA"))
    assert cover.content_type == "image/jpeg" and opened(cover.data).format == "JPEG"
    r, g, _ = opened(cover.data).getpixel((10, 10))  # type: ignore[misc]
    assert r > 120 and g > 170  # half-transparent blue laid on white, not on black


def test_the_cover_keeps_the_middle() -> None:
    image = Image.new("RGB", (1000, 1000), (255, 0, 0))
    image.paste((0, 0, 255), (0, 400, 1000, 600))  # a blue band across the middle
    out = BytesIO()
    image.save(out, "PNG")
    cover = opened(prepare_cover(out.getvalue()).data).convert("RGB")
    r, _, b = cover.getpixel((cover.width // 2, cover.height // 2))  # type: ignore[misc]
    assert b > 200 and r < 60


def test_the_hash_is_of_the_prepared_bytes() -> None:
    prepared = prepare_body_image(corpus_images()["photo.jpg"])
    assert prepared.sha256 == hashlib.sha256(prepared.data).hexdigest()
    assert prepare_body_image(corpus_images()["photo.jpg"]).sha256 == prepared.sha256


def test_bytes_that_are_no_image_are_refused_by_code() -> None:
    with pytest.raises(LayoutError) as refused:
        prepare_body_image(b"not an image at all")
    assert refused.value.code == "image_unreadable"
