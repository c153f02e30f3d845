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

The cover is the image the front matter's ``cover`` names (a path relative to
the file); a Word file, which has no front matter, takes its first image. It
is cut to 2.35:1 (``layout.images.prepare_cover``) and uploaded as a permanent
image (``material/add_material``), once per content hash (``uploaded_materials``):
its media_id is what the draft's ``thumb_media_id`` needs. An article that names
no cover gets the account's default one when its draft is pushed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from bot.timefmt import utcnow
from bot.wechat_errors import NotCalled
from layout.article import ImageRef, Placed, Rendered
from layout.errors import LayoutError
from layout.images import prepare_body_image, prepare_cover
from layout.render import render_docx, render_markdown
from workflow import asset_cases, kept_images
from workflow.import_cases import Article
from workflow.model import ArticleMeta
from workflow.ports import UnitOfWork

if TYPE_CHECKING:
    from bot.gateway import Gateway



class Upload(Protocol):
    """The two uploads an import makes, through the gateway (which asks first)."""

    def image(self, name: str, data: bytes) -> str:
        """media/uploadimg: the URL for the article's HTML."""

    def material(self, name: str, data: bytes) -> tuple[str, str]:
        """material/add_material, type image: the permanent (media_id, url)."""


@dataclass(frozen=True)
class GatewayUpload:
    """``Upload`` through the gateway."""

    gateway: Gateway

    def image(self, name: str, data: bytes) -> str:
        return str(self.gateway.upload_image(name, data)["url"])

    def material(self, name: str, data: bytes) -> tuple[str, str]:
        answer = self.gateway.add_material("image", name, data)
        return str(answer["media_id"]), str(answer.get("url", ""))


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
    first: ImageRef | None = None  # a Word file's first image: its cover
    kept: list[str] = field(default_factory=list)  # sources kept for the preview only

    def __call__(self, ref: ImageRef) -> str | Placed | None:
        if self.first is None and ref.data is not None:
            self.first = ref
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
            url = self.upload.image(_file_name(sha256, content_type), data)
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


def _file_name(sha256: str, content_type: str) -> str:
    return f"{sha256[:16]}.{content_type.rsplit('/', 1)[-1]}"


@dataclass
class Cover:
    """The article's cover, uploaded as a permanent image once per content hash.
    ``file`` is the image named ("" for none); ``media_id`` is "" until uploaded;
    ``outcome`` says what happened (for the command's output): uploaded, reused,
    not_allowed (an account without materials), unreadable, or "" for no cover."""

    uow: Callable[[], UnitOfWork]
    upload: Upload
    file: str = ""
    media_id: str = ""
    outcome: str = ""

    def take(self, name: str, data: bytes | None) -> None:
        self.file = name
        try:
            prepared = prepare_cover(data) if data is not None else None
        except LayoutError:
            prepared = None
        if prepared is None:
            self.outcome = "unreadable"
            return
        with self.uow() as uow:
            known = uow.uploads.material(prepared.sha256)
        if known is not None:
            self.media_id, self.outcome = known, "reused"
            return
        self._upload(prepared.sha256, prepared.data, prepared.content_type)

    def _upload(self, sha256: str, data: bytes, content_type: str) -> None:
        try:
            media_id, url = self.upload.material(_file_name(sha256, content_type), data)
        except NotCalled:
            self.outcome = "not_allowed"
            return
        with self.uow() as uow:
            uow.uploads.add_material(sha256, media_id, url, utcnow())
            uow.commit()
        self.media_id, self.outcome = media_id, "uploaded"


def take_cover(rendered: Rendered, images: Images, cover: Cover) -> None:
    """The front matter's cover (read beside the article), or a Word file's first image."""
    named = rendered.front.cover
    if named:
        path = images.folder / named
        found = "://" not in named and path.is_file()
        cover.take(named, path.read_bytes() if found else None)
    elif images.first is not None:
        cover.take(images.first.src, images.first.data)


def render_file(path: Path, images: Images) -> Rendered:
    """The file laid out, by its suffix: ``.docx`` is Word, anything else Markdown."""
    if path.suffix.lower() == ".docx":
        return render_docx(path.read_bytes(), images)
    return render_markdown(path.read_text(encoding="utf-8"), images)


def article_of(rendered: Rendered, cover: Cover) -> Article:
    """What the file gives the item; whatever the front matter leaves unsaid
    goes back to its default (``ArticleMeta``), title and digest excepted."""
    front = rendered.front
    meta = ArticleMeta(byline=front.author or "", cover=cover.media_id, cover_file=cover.file,
                       comments=front.comments is not False, sources=front.sources,
                       expires_on=front.expires, theme=rendered.theme)
    return Article(body=rendered.html, title=front.title, digest=front.digest,
                   sensitive=front.sensitive, meta=meta)
