"""What the layout tests are given: images of several formats and sizes drawn
with Pillow, a Word file built with python-docx, and an image-URL callable
that prepares each image as the upload would and answers a URL named after it,
and the two uploads of an import (``FakeUpload``)."""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import cache
from io import BytesIO

from docx import Document
from docx.oxml import OxmlElement
from docx.shared import Inches
from PIL import Image, ImageDraw

from bot.wechat_errors import NotCalled
from layout import ImageRef, prepare_body_image
from layout.images import MAX_BYTES, MAX_WIDTH
from workflow.capabilities import Capability

CDN = "https://mmbiz.qpic.cn/corpus"


def _gradient(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    width, height = size
    image = Image.new(mode, size)
    draw = ImageDraw.Draw(image)
    for x in range(0, width, 8):
        shade = 60 + (x * 160) // max(1, width)
        draw.rectangle((x, 0, x + 8, height), fill=(shade, 120, 200 - shade // 2))
    draw.ellipse((width // 4, height // 4, width * 3 // 4, height * 3 // 4), fill=(240, 200, 80))
    return image


def _noise(size: tuple[int, int], seed: int) -> Image.Image:
    data = random.Random(seed).randbytes(size[0] * size[1] * 3)
    return Image.frombytes("RGB", size, data)


def _transparent(size: tuple[int, int]) -> Image.Image:
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(image).rounded_rectangle((4, 4, size[0] - 4, size[1] - 4), 12,
                                            fill=(30, 111, 186, 255))
    return image


def _saved(image: Image.Image, kind: str, **options: object) -> bytes:
    out = BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()


def _see_through(image: Image.Image) -> Image.Image:
    """``image`` with a transparent band along its top."""
    image = image.convert("RGBA")
    image.paste((0, 0, 0, 0), (0, 0, image.width, image.height // 5))
    return image


def _animated() -> bytes:
    """Two frames with a transparent corner (palette index 0)."""
    frames = [Image.new("P", (120, 120), colour) for colour in (1, 2)]
    for frame in frames:
        frame.paste(0, (0, 0, 40, 40))
    out = BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=200,
                   transparency=0)
    return out.getvalue()


def _portrait() -> bytes:
    """A 1200×900 JPEG that says it must be turned (EXIF orientation 6)."""
    exif = Image.Exif()
    exif[0x0112] = 6
    return _saved(_gradient((1200, 900)), "JPEG", quality=90, exif=exif)


@cache
def corpus_images() -> dict[str, bytes]:
    """The images the corpus names, by name."""
    return {
        "photo.jpg": _saved(_gradient((1600, 1200)), "JPEG", quality=90),
        "small.jpg": _saved(_gradient((400, 300)), "JPEG", quality=85),
        "logo.png": _saved(_transparent((300, 120)), "PNG"),
        "icon.png": _saved(_transparent((24, 24)), "PNG"),
        "wide.png": _saved(_see_through(_gradient((2400, 600))), "PNG"),
        "noise.png": _saved(_noise((1400, 1000), seed=7), "PNG"),
        "chart.webp": _saved(_gradient((800, 600)), "WEBP", quality=80),
        "anim.gif": _animated(),
        "scan.bmp": _saved(_gradient((900, 1200)), "BMP"),
        "form.tiff": _saved(_gradient((700, 500)), "TIFF"),
        "portrait.jpg": _portrait(),
    }


def image_url(images: dict[str, bytes] | None = None) -> Callable[[ImageRef], str | None]:
    """What bot/ will pass: prepare the image, upload it, answer its URL. Here
    the upload is a name; an image it has no bytes for is not placed."""
    known = corpus_images() if images is None else images

    def url(ref: ImageRef) -> str | None:
        data = ref.data if ref.data is not None else known.get(ref.src)
        if data is None:
            return None
        prepared = prepare_body_image(data)
        assert prepared.content_type in ("image/jpeg", "image/png")
        assert len(prepared.data) < MAX_BYTES and prepared.width <= MAX_WIDTH
        return f"{CDN}/{ref.src}/0"

    return url


def word_file() -> bytes:
    """A Word report: a title, headings, bold and italic, bullet and numbered
    lists, a table with a header row, and two pictures with alt text."""
    document = Document()
    document.add_paragraph("乡村阅读计划 2025 年秋季简报", style="Title")
    document.add_heading("一、项目概况", level=1)
    paragraph = document.add_paragraph("本学期我们新建图书角 ")
    paragraph.add_run("12 个").bold = True
    paragraph.add_run("，培训老师 ")
    paragraph.add_run("48 人次").italic = True
    paragraph.add_run("。Reading corners in 12 schools.")
    for line in ("云南 5 所", "贵州 4 所", "甘肃 3 所"):
        document.add_paragraph(line, style="List Bullet")
    document.add_paragraph("其中临夏 2 所为新校", style="List Bullet 2")
    document.add_heading("二、主要数据", level=2)
    table = document.add_table(rows=1, cols=3)
    for cell, text in zip(table.rows[0].cells, ("县", "学校", "借阅率"), strict=True):
        cell.text = text
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    for row in (("镇雄", "5", "68%"), ("威宁", "4", "52%"), ("临夏", "3", "43%")):
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text
    document.add_heading("三、下一步", level=2)
    for line in ("回访所有学校", "补充冬季书目", "招募志愿者"):
        document.add_paragraph(line, style="List Number")
    _picture(document, corpus_images()["photo.jpg"], "孩子们在读书")
    _picture(document, corpus_images()["logo.png"], "项目标识")
    document.add_paragraph("简报完。")
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def _picture(document: object, data: bytes, alt: str) -> None:
    document.add_picture(BytesIO(data), width=Inches(4))  # type: ignore[attr-defined]
    inline = document.inline_shapes[-1]  # type: ignore[attr-defined]
    inline._inline.docPr.set("descr", alt)


class FakeUpload:
    """``bot.importing.Upload`` as the platform answers it, counted: media/uploadimg
    (``images``) and material/add_material (``materials``); or, ``allowed`` False,
    refused as on an account without materials (the gateway's NotCalled), each
    refusal counted in ``asked``."""

    def __init__(self, allowed: bool = True) -> None:
        self.allowed, self.asked = allowed, 0
        self.images: list[str] = []
        self.materials: list[bytes] = []

    def image(self, name: str, data: bytes) -> str:
        self._ask("media/uploadimg")
        self.images.append(name)
        return f"http://mmbiz.qpic.cn/mmbiz_png/{len(self.images)}/0?wx_fmt=png"

    def material(self, name: str, data: bytes) -> tuple[str, str]:
        self._ask("material/add_material")
        self.materials.append(data)
        number = len(self.materials)
        return f"material-{number}", f"http://mmbiz.qpic.cn/mmbiz_jpg/m{number}/0?wx_fmt=jpeg"

    def _ask(self, call: str) -> None:
        if not self.allowed:
            self.asked += 1
            raise NotCalled(Capability.MATERIALS, call, "subscription", False)
