"""``wxops item import``: a Markdown or Word file laid out for the draft box
(``layout/``), its images prepared and uploaded, then written as a revision.

Images are uploaded here, in the CLI process, through the gateway (which asks
the account's capabilities first): the upload's URL is part of the revision
being written, an answer wxops needs now, not an effect of a decision for the
outbox to carry later. Each image is uploaded once: the sha256 of the bytes
sent finds an earlier upload's URL (table ``uploaded_images``). On an account
without materials (``media/uploadimg`` not allowed) the prepared bytes are kept
in wxops and the body names them by a placeholder the preview page serves
(workflow/kept_images.py): reviewers see the image, the checks say the platform
would drop it, and the command's output names it for whoever publishes by hand.
An image that cannot be read is left out and named too. ``asset:NAME`` is one
of the team's materials (``wxops assets``), with its credit for the caption.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.timefmt import utcnow
from bot.wechat_errors import NotCalled
from layout.article import ImageRef, Placed, Rendered
from layout.errors import LayoutError
from layout.images import prepare_body_image
from layout.render import render_docx, render_markdown
from workflow import asset_cases, kept_images
from workflow.import_cases import Article
from workflow.ports import UnitOfWork

Upload = Callable[[str, bytes], str]  # (file name, bytes) -> the URL media/uploadimg gave


@dataclass
class Images:
    """The ``image_url`` callable ``layout`` asks for each image of one article."""

    uow: Callable[[], UnitOfWork]
    upload: Upload
    folder: Path
    uploaded: int = 0
    reused: int = 0
    not_allowed: bool = False
    unreadable: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # sources kept for the preview only

    def __call__(self, ref: ImageRef) -> str | Placed | None:
        credit = ""
        data = ref.data
        if data is None:
            data, credit = self._source(ref.src)
        if data is None:
            return None
        try:
            prepared = prepare_body_image(data)
        except LayoutError:
            self.unreadable.append(ref.src)
            return None
        url = self._url(prepared.sha256, prepared.data, prepared.content_type)
        if url is None:
            url = self._keep(ref.src, prepared.sha256, prepared.data, prepared.content_type)
        return Placed(url, credit)

    def _source(self, src: str) -> tuple[bytes | None, str]:
        """The bytes ``src`` names, and the credit of a material."""
        name = asset_cases.name_of(src)
        if name is None:
            return self._read(src), ""
        found = asset_cases.image(self.uow(), name)
        if found is None:
            self.unreadable.append(src)
            return None, ""
        return found[1], found[0].credit

    def _read(self, src: str) -> bytes | None:
        path = self.folder / src
        if "://" in src or not path.is_file():
            self.unreadable.append(src)
            return None
        return path.read_bytes()

    def _url(self, sha256: str, data: bytes, content_type: str) -> str | None:
        with self.uow() as uow:
            known = uow.uploads.url(sha256)
        if known is not None:
            self.reused += 1
            return known
        if self.not_allowed:
            return None
        try:
            url = self.upload(f"{sha256[:16]}.{content_type.rsplit('/', 1)[-1]}", data)
        except NotCalled:
            self.not_allowed = True
            return None
        with self.uow() as uow:
            uow.uploads.add(sha256, url, utcnow())
            uow.commit()
        self.uploaded += 1
        return url

    def _keep(self, src: str, sha256: str, data: bytes, content_type: str) -> str:
        """The image kept in wxops for the preview; its placeholder address."""
        with self.uow() as uow:
            uow.assets.keep(sha256, content_type, data, utcnow())
            uow.commit()
        self.kept.append(src)
        return kept_images.placeholder(sha256)


def render_file(path: Path, images: Images) -> Rendered:
    """The file laid out, by its suffix: ``.docx`` is Word, anything else Markdown."""
    if path.suffix.lower() == ".docx":
        return render_docx(path.read_bytes(), images)
    return render_markdown(path.read_text(encoding="utf-8"), images)


def article_of(rendered: Rendered) -> Article:
    front = rendered.front
    return Article(body=rendered.html, title=front.title, digest=front.digest,
                   sensitive=front.sensitive)
