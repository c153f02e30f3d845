"""Images the platform takes: JPEG or PNG under 1 MB and at most 1080 px wide
for the body (``media/uploadimg``), and a 2.35:1 cover. Pure: bytes in, bytes
out, with a SHA-256 of what comes out so an upload can be cached by content.

An image already within the limits is kept byte for byte; anything else is
re-encoded: PNG when it has transparency (JPEG has none), JPEG otherwise,
lowering quality and then size until it fits. GIF, WebP, BMP and TIFF become
one of the two (an animated GIF keeps its first frame: uploadimg takes no GIF).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO

from PIL import Image, ImageOps, UnidentifiedImageError

from layout.errors import LayoutError

MAX_BYTES = 1_000_000  # the platform says 1 MB; the decimal megabyte leaves no doubt
MAX_WIDTH = 1080
COVER_RATIO = 2.35
MIN_WIDTH = 240  # below this an image is no longer worth showing
_KEPT_AS_IS = {"JPEG": "image/jpeg", "PNG": "image/png"}
_QUALITIES = (85, 75, 65)


@dataclass(frozen=True)
class PreparedImage:
    """Bytes ready to upload, what they are, and their content hash."""

    data: bytes
    content_type: str
    width: int
    height: int
    sha256: str


def prepare_body_image(data: bytes) -> PreparedImage:
    """``data`` as the body of an article can hold it (see the module's rule)."""
    image, kind = _open(data)
    if kind in _KEPT_AS_IS and image.width <= MAX_WIDTH and len(data) < MAX_BYTES:
        return _prepared(data, _KEPT_AS_IS[kind], image.size)
    return _fit(_upright(image), MAX_WIDTH)


def prepare_cover(data: bytes) -> PreparedImage:
    """``data`` cropped about its centre to 2.35:1 and re-encoded as JPEG (any
    transparency laid on white) at most 1080 px wide and under 1 MB: well within
    what ``material/add_material`` takes for a permanent image (10 MB), and what
    the draft's ``thumb_media_id`` shows. A small image is not enlarged."""
    image, _ = _open(data)
    return _fit(_on_white(_cover_crop(_upright(image))), MAX_WIDTH)


def _on_white(image: Image.Image) -> Image.Image:
    """An opaque RGB image: JPEG has no transparency, and a cover shows on white."""
    if image.mode not in ("RGBA", "LA", "PA") and "transparency" not in image.info:
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, rgba).convert("RGB")


def _cover_crop(image: Image.Image) -> Image.Image:
    width, height = image.size
    if width / height > COVER_RATIO:
        new_width = round(height * COVER_RATIO)
        left = (width - new_width) // 2
        return image.crop((left, 0, left + new_width, height))
    new_height = round(width / COVER_RATIO)
    top = (height - new_height) // 2
    return image.crop((0, top, width, top + new_height))


def _open(data: bytes) -> tuple[Image.Image, str]:
    try:
        image = Image.open(BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise LayoutError("image_unreadable", size=len(data)) from error
    return image, image.format or ""


def _upright(image: Image.Image) -> Image.Image:
    """The first frame, turned as its EXIF orientation says (phone photos)."""
    image.seek(0)
    turned = ImageOps.exif_transpose(image)
    return turned if turned is not None else image


def _fit(image: Image.Image, width: int) -> PreparedImage:
    image = _flattened(image)
    for candidate in _widths(min(width, image.width)):
        sized = _resized(image, candidate)
        for data, content_type in _encodings(sized):
            if len(data) < MAX_BYTES:
                return _prepared(data, content_type, sized.size)
    raise LayoutError("image_too_large", width=image.width, height=image.height)


def _widths(start: int) -> Iterator[int]:
    """The widths tried in turn: the widest allowed, then a fifth smaller each time."""
    width = start
    while True:
        yield width
        if width <= MIN_WIDTH:
            return
        width = max(MIN_WIDTH, int(width * 0.8))


def _encodings(image: Image.Image) -> Iterator[tuple[bytes, str]]:
    if image.mode == "RGBA":
        yield _encode(image, "PNG", optimize=True), "image/png"
        yield _encode(image.quantize(256, method=Image.Quantize.FASTOCTREE), "PNG",
                      optimize=True), "image/png"
        return
    for quality in _QUALITIES:
        yield _encode(image, "JPEG", quality=quality, optimize=True), "image/jpeg"


def _flattened(image: Image.Image) -> Image.Image:
    """RGBA when the image has any transparency, RGB otherwise."""
    transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if transparent:
        rgba = image.convert("RGBA")
        alpha = rgba.getchannel("A").getextrema()
        if alpha != (255, 255):
            return rgba
    return image.convert("RGB")


def _resized(image: Image.Image, width: int) -> Image.Image:
    if image.width <= width:
        return image
    height = max(1, round(image.height * width / image.width))
    return image.resize((width, height), Image.Resampling.LANCZOS)


def _encode(image: Image.Image, kind: str, **options: object) -> bytes:
    out = BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()


def _prepared(data: bytes, content_type: str, size: tuple[int, int]) -> PreparedImage:
    return PreparedImage(data, content_type, size[0], size[1], hashlib.sha256(data).hexdigest())
