"""Materials (images) and the draft box, with WeChat's validation rules."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bot.emulator.cleaning import clean_content
from bot.emulator.errors import WeChatError

MAX_TITLE, MAX_AUTHOR, MAX_DIGEST = 32, 16, 128
MAX_CONTENT_CHARS, MAX_CONTENT_BYTES = 20_000, 1024 * 1024
UPLOADIMG_MAX = 1024 * 1024
IMAGE_MAX = 10 * 1024 * 1024
THUMB_MAX = 64 * 1024
_TAG_RE = re.compile(r"<[^>]*>")
_MAGIC = {b"\xff\xd8\xff": "jpg", b"\x89PNG\r\n\x1a\n": "png", b"GIF8": "gif"}
ARTICLE_FIELDS = ("title", "author", "digest", "content", "content_source_url",
                  "thumb_media_id", "need_open_comment", "only_fans_can_comment")


def image_format(data: bytes) -> str | None:
    """jpg, png or gif by the file's magic bytes; None for anything else."""
    return next((kind for magic, kind in _MAGIC.items() if data.startswith(magic)), None)


def _new_id() -> str:
    return secrets.token_urlsafe(48).replace("-", "A").replace("_", "B")


def _image_url(kind: str) -> str:
    return f"http://mmbiz.qpic.cn/mmbiz_{kind}/{secrets.token_hex(16)}/0?wx_fmt={kind}"


@dataclass
class Material:
    media_id: str
    kind: str
    url: str
    size: int


@dataclass
class Draft:
    media_id: str
    articles: list[dict[str, Any]]
    create_time: int
    update_time: int

    def news_item(self, no_content: bool = False) -> list[dict[str, Any]]:
        skip = {"content"} if no_content else set()
        return [{k: v for k, v in a.items() if k not in skip} for a in self.articles]


@dataclass
class Library:
    materials: dict[str, Material] = field(default_factory=dict)
    uploaded_urls: set[str] = field(default_factory=set)
    drafts: dict[str, Draft] = field(default_factory=dict)
    #: The bytes behind each image URL handed out, by the URL's path: the emulator
    #: plays the platform's image host too (server.py serves them).
    images: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    def image(self, path: str) -> tuple[str, bytes] | None:
        """(format, bytes) of an image uploaded here, by its URL's path."""
        return self.images.get(path)

    def _keep(self, url: str, kind: str, data: bytes) -> None:
        self.images[urlsplit(url).path] = (kind, data)

    def upload_image(self, data: bytes) -> str:
        """media/uploadimg: a URL for use inside article HTML (jpg/png under 1 MB)."""
        kind = image_format(data)
        if kind not in ("jpg", "png"):
            raise WeChatError(40005)
        if len(data) >= UPLOADIMG_MAX:
            raise WeChatError(40009)
        url = _image_url(kind)
        self.uploaded_urls.add(url)
        self._keep(url, kind, data)
        return url

    def add_material(self, kind: str, data: bytes) -> Material:
        """material/add_material for type image (≤ 10 MB) or thumb (jpg ≤ 64 KB)."""
        if kind not in ("image", "thumb"):
            raise WeChatError(40004)
        fmt = image_format(data)
        if fmt is None or (kind == "thumb" and fmt != "jpg"):
            raise WeChatError(40005)
        if len(data) > (THUMB_MAX if kind == "thumb" else IMAGE_MAX):
            raise WeChatError(40009)
        material = Material(_new_id(), kind, _image_url(fmt), len(data))
        self.materials[material.media_id] = material
        self._keep(material.url, fmt, data)
        return material

    def add_draft(self, raw_articles: object, now: float) -> Draft:
        if not isinstance(raw_articles, list) or not raw_articles:
            raise WeChatError(44003)
        media_id = _new_id()
        articles = [self.clean_article(a, media_id, i) for i, a in enumerate(raw_articles)]
        draft = Draft(media_id, articles, int(now), int(now))
        self.drafts[media_id] = draft
        return draft

    def draft(self, media_id: object) -> Draft:
        draft = self.drafts.get(media_id) if isinstance(media_id, str) else None
        if draft is None:
            raise WeChatError(40007)
        return draft

    def update_draft(self, media_id: object, index: object, raw: object, now: float) -> None:
        draft = self.draft(media_id)
        if not isinstance(index, int) or not 0 <= index < len(draft.articles):
            raise WeChatError(40007, "invalid index")
        draft.articles[index] = self.clean_article(raw, draft.media_id, index)
        draft.update_time = int(now)

    def take_draft(self, media_id: object) -> Draft:
        """Remove a draft from the box (it is being published)."""
        draft = self.draft(media_id)
        del self.drafts[draft.media_id]
        return draft

    def write_draft(self, title: str, content: str, now: float) -> Draft:
        """A draft written in the official backend's editor: no cover needed yet."""
        media_id = _new_id()
        cleaned = self.clean(content)
        article: dict[str, Any] = {
            "title": title, "author": "", "digest": _digest(cleaned), "content": cleaned,
            "need_open_comment": 0, "only_fans_can_comment": 0, "thumb_media_id": "",
            "thumb_url": "", "url": _draft_url(media_id, 0)}
        _check_lengths(article)
        draft = Draft(media_id, [article], int(now), int(now))
        self.drafts[media_id] = draft
        return draft

    def edit_draft(self, media_id: object, index: int, changes: dict[str, str],
                   now: float) -> Draft:
        """A person's edit in the backend's editor: the title or the content of
        one article, saved and cleaned as the editor saves it. The save time
        moves on even within the second of the last one (people are slower)."""
        draft = self.draft(media_id)
        if not 0 <= index < len(draft.articles):
            raise WeChatError(40007, "invalid index")
        article = dict(draft.articles[index])
        if "title" in changes:
            article["title"] = changes["title"]
        if "content" in changes:
            article["content"] = self.clean(changes["content"])
        _check_lengths(article)
        draft.articles[index] = article
        draft.update_time = max(int(now), draft.update_time + 1)
        return draft

    def clean(self, content: str) -> str:
        """The content as the draft box keeps it (bot/emulator/cleaning.py)."""
        return clean_content(content, self.image_known)

    def image_known(self, src: str) -> bool:
        """Whether this platform handed out the image URL (uploadimg or a material)."""
        return src in self.uploaded_urls or any(m.url == src for m in self.materials.values())

    def batch(self, offset: int, count: int) -> list[Draft]:
        newest_first = sorted(self.drafts.values(), key=lambda d: -d.update_time)
        return newest_first[offset:offset + count]

    def clean_article(self, raw: object, media_id: str, index: int) -> dict[str, Any]:
        """The stored form of one article, or the WeChat error for the first rule it breaks."""
        if not isinstance(raw, dict):
            raise WeChatError(47001)
        article = {k: raw.get(k) for k in ARTICLE_FIELDS if raw.get(k) is not None}
        _check_lengths(article)
        content = self.clean(str(article.get("content", "")))
        article["content"] = content
        thumb = self.materials.get(str(article.get("thumb_media_id", "")))
        if thumb is None:
            raise WeChatError(40007, "invalid thumb_media_id")
        article.setdefault("digest", _digest(content))
        article.setdefault("need_open_comment", 0)
        article.setdefault("only_fans_can_comment", 0)
        article["thumb_url"] = thumb.url
        article["url"] = _draft_url(media_id, index)
        return article


def _draft_url(media_id: str, index: int) -> str:
    return f"http://mp.weixin.qq.com/s?__biz=emulator&tempkey={media_id}_{index}"


def _digest(content: str) -> str:
    """What the platform fills an empty digest with: the text's first 54 characters."""
    return _TAG_RE.sub("", content).strip()[:54]


def _check_lengths(article: dict[str, Any]) -> None:
    for name, limit, errcode in (("title", MAX_TITLE, 45003), ("author", MAX_AUTHOR, 45110),
                                 ("digest", MAX_DIGEST, 45004)):
        if len(str(article.get(name, ""))) > limit:
            raise WeChatError(errcode)
    if not str(article.get("title", "")).strip():
        raise WeChatError(45003, "title is required")
    content = str(article.get("content", ""))
    if len(content) >= MAX_CONTENT_CHARS or len(content.encode()) >= MAX_CONTENT_BYTES:
        raise WeChatError(45002)
