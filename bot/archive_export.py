"""``wxops archive export|verify|import``: the archive as a BagIt bag (bot/bag.py).

Every item once public (published, to update, withdrawn, archived) gets a folder
``data/items/<id>/``: ``published.html`` (the platform's HTML, from its archive
entry or read now, else the revision's as sent to the draft box),
``article.html`` (that HTML as a page, its images local), ``source.html`` (the
item's current body), ``images/``, ``meta.json`` (the item, its revisions,
reviews, audit trail with the publish results, the addresses it cites, the
people named, its archive entries), ``metrics.csv`` and ``comments.jsonl``.
``index.html`` at the top lists them with a search box, and works from disk.

Items are read and written one at a time, images streamed to disk: memory does
not grow with the archive (bench/archive.py). A second export into the same
folder writes only the files whose bytes changed, and downloads no image twice.
"""

from __future__ import annotations

import csv
import hashlib
import html as html_lib
import io
import json
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import Engine

from bot.bag import BagWriter, Counts
from bot.deliveries import DEFAULT_COVER
from bot.wiring import archive_records as archive
from handlers import texts
from workflow import kept_images
from workflow.archive import Reason
from workflow.states import State

#: Reads an image by its address, in chunks (raises OSError when it cannot).
Fetch = Callable[[str], Iterator[bytes]]
#: The platform's HTML of a published article, or None when it cannot be read.
ReadPlatform = Callable[[str], str | None]

_IMG = re.compile(r"""<img\b[^>]*?\b(?:data-src|src)\s*=\s*["']([^"']+)["']""", re.I)
_FORMATS = {"jpeg": "jpg", "jpg": "jpg", "png": "png", "gif": "gif", "webp": "webp",
            "bmp": "bmp"}
DEFAULT_COVER_FILE = "images/cover-default.jpg"
METRIC_FIELDS = [c.name for c in archive.METRICS.columns]


def image_sources(html: str) -> list[str]:
    """The images an article shows, in order, once each."""
    return list(dict.fromkeys(m.strip() for m in _IMG.findall(html or "")))


def image_file(src: str, content_type: str = "") -> str:
    """The file an image is kept in: named by its address (an address on the
    platform's image host never changes its bytes), with the format's suffix
    (from the address, or ``content_type`` for an image kept in wxops)."""
    parts = urlsplit(src)
    fmt = (parse_qs(parts.query).get("wx_fmt") or [""])[0].lower()
    if not fmt and content_type.startswith("image/"):
        fmt = content_type.removeprefix("image/")
    if not fmt:
        fmt = parts.path.rsplit(".", 1)[-1].lower() if "." in parts.path[-6:] else ""
    suffix = _FORMATS.get(fmt, "img")
    return f"images/{hashlib.sha256(src.encode()).hexdigest()[:24]}.{suffix}"


def metrics_csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, METRIC_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: json.dumps(v, sort_keys=True) if isinstance(v, dict) else v
                         for k, v in row.items()})
    return out.getvalue().encode()


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True).encode()


@dataclass
class Summary:
    items: int = 0
    images: int = 0
    images_failed: int = 0
    counts: Counts = field(default_factory=Counts)
    path: str = ""


def published_html(found: dict[str, Any], read: ReadPlatform | None) -> tuple[str, str]:
    """(html, where from) of the item's current article: its archive entry's
    platform HTML, else the platform's now (an article still online), else the
    entry's revision HTML, else the revision last published (by the audit
    trail: an item being revised holds a body nobody has read yet)."""
    item = found["item"]
    article = item["article_id"] or ""
    entry = next((e for e in found.get("archive", []) if e["article_id"] == article), None)
    if entry is not None and entry["platform_html"]:
        return entry["platform_html"], "platform"
    deleted = entry is not None and entry["reason"] != Reason.ARCHIVE.value
    online = item["state"] != State.WITHDRAWN.value and not deleted
    if read is not None and online and article:
        html = read(article)
        if html:
            return html, "platform"
    if entry is not None and entry["html"]:
        return entry["html"], "revision"
    return last_published_body(found), "revision"


def last_published_body(found: dict[str, Any]) -> str:
    """The body of the revision the item's last publish showed (its body when
    the trail names none)."""
    published = [a["revision"] for a in found.get("audit", [])
                 if a["event"] in archive.PUBLISH_EVENTS and a["revision"] is not None]
    if published:
        for revision in found.get("revisions", []):
            if revision["revision"] == published[-1]:
                return str(revision["body"] or "")
    return str(found["item"]["body"] or "")


class Exporter:
    def __init__(self, engine: Engine, fetch: Fetch, read: ReadPlatform | None = None,
                 progress: Callable[[int], None] = lambda _n: None) -> None:
        self.engine, self.fetch, self.read, self.progress = engine, fetch, read, progress

    def ids(self) -> list[int]:
        with self.engine.connect() as conn:
            return archive.exported_ids(conn)

    def run(self, root: Path, ids: list[int], now: datetime) -> Summary:
        bag, summary = BagWriter(root), Summary(path=str(root))
        with tempfile.TemporaryFile("w+", encoding="utf-8") as rows:  # the index's, on disk
            for item_id in ids:
                rows.write(json.dumps(self._item(bag, item_id, summary), ensure_ascii=False))
                rows.write("\n")
                summary.items += 1
                self.progress(1)
            rows.seek(0)
            with (root / "index.html").open("w", encoding="utf-8") as index:
                index.writelines(texts.stream("web/archive_index", count=summary.items,
                                              items=(json.loads(r) for r in rows), made=now))
        summary.counts = bag.close(["index.html"], {
            "Source-Organization": "wxops", "Bagging-Date": now.date().isoformat(),
            "External-Description": f"{summary.items} items"})
        return summary

    def _item(self, bag: BagWriter, item_id: int, summary: Summary) -> dict[str, Any]:
        with self.engine.connect() as conn:
            found = archive.record(conn, item_id)
            metric_rows = archive.metrics(conn, item_id)
            comment_rows = list(archive.comments(conn, item_id))
            cover_url = archive.cover_url(conn, found["item"]["cover"] or "")
        folder = f"items/{item_id}"
        html, origin = published_html(found, self._reader(bag, folder))
        images = [self._image(bag, f"{folder}/{image_file(src, self._kept_type(src))}", src,
                              summary) for src in image_sources(html)]
        local = html
        for image in images:
            if image["file"]:
                local = local.replace(image["src"], image["file"])
        item = found["item"]
        bag.put(f"{folder}/published.html", html.encode())
        bag.put(f"{folder}/article.html", texts.render(
            "web/archive_article", title=item["title"], body=local).encode())
        bag.put(f"{folder}/source.html", (item["body"] or "").encode())
        bag.put(f"{folder}/meta.json", _json({
            **found, "html_from": origin, "images": images,
            "cover_image": self._cover(bag, folder, item, cover_url, summary)}))
        bag.put(f"{folder}/metrics.csv", metrics_csv(metric_rows))
        bag.put(f"{folder}/comments.jsonl", b"".join(
            json.dumps(c, ensure_ascii=False, sort_keys=True).encode() + b"\n"
            for c in comment_rows))
        author = next((p["name"] for p in found["people"] if p["id"] == item["author_id"]), "")
        return {"id": item_id, "title": item["title"], "state": State(item["state"]).label,
                "published_at": (item["published_at"] or "")[:10], "author": author,
                "reads": sum(int(m["reads"]) for m in metric_rows), "folder": folder}

    def _reader(self, bag: BagWriter, folder: str) -> ReadPlatform | None:
        """The platform's HTML of an article: as the last export read it, when that
        was the same article (an article's HTML does not change: a revision is
        published as a new article), else asked of the platform."""
        read = self.read
        if read is None:
            return None
        last_meta = bag.last(f"{folder}/meta.json")
        last_html = bag.last(f"{folder}/published.html")
        if last_meta is None or last_html is None:
            return read
        before = json.loads(last_meta)

        def reuse(article_id: str) -> str | None:
            if before.get("html_from") == "platform" and \
                    before["item"].get("article_id") == article_id:
                return last_html.decode("utf-8")
            return read(article_id)
        return reuse

    def _image(self, bag: BagWriter, path: str, src: str, summary: Summary) -> dict[str, Any]:
        summary.images += 1
        if bag.have(path):
            return {"src": src, "file": path.split("/", 2)[2]}
        try:
            bag.put_chunks(path, self._bytes(src))
        except OSError as exc:
            summary.images_failed += 1
            return {"src": src, "file": None, "error": str(exc)[:200]}
        return {"src": src, "file": path.split("/", 2)[2]}

    def _cover(self, bag: BagWriter, folder: str, item: dict[str, Any], url: str | None,
               summary: Summary) -> dict[str, Any] | None:
        """The article's cover: the image wxops uploaded as its cover (by its
        address), or the account's default cover wxops gives a draft without one;
        None for an article that never went through the draft box (published by
        hand: its cover was chosen in the official backend)."""
        media_id = str(item["cover"] or "")
        if url is not None:
            return {"media_id": media_id, **self._image(
                bag, f"{folder}/{image_file(url)}", url, summary)}
        if media_id or not (item["publish_id"] or item["draft_media_id"]):
            return {"media_id": media_id, "src": None, "file": None} if media_id else None
        summary.images += 1
        bag.put(f"{folder}/{DEFAULT_COVER_FILE}", DEFAULT_COVER.read_bytes())
        return {"media_id": "", "src": "default", "file": DEFAULT_COVER_FILE}

    def _kept_type(self, src: str) -> str:
        """The content type of an image kept in wxops ("" for any other)."""
        sha = kept_images.sha256_of(src)
        if sha is None:
            return ""
        with self.engine.connect() as conn:
            kept = archive.kept_image(conn, sha)
        return kept[0] if kept else ""

    def _bytes(self, src: str) -> Iterator[bytes]:
        sha = kept_images.sha256_of(src)
        if sha is None:
            return self.fetch(html_lib.unescape(src))  # as the attribute says it: &amp; is &
        with self.engine.connect() as conn:
            kept = archive.kept_image(conn, sha)
        if kept is None:
            raise OSError(f"kept image {sha} is gone")
        return iter((kept[1],))


def export_zip(exporter: Exporter, out: Path, ids: list[int], now: datetime) -> Summary:
    """The bag built in a folder beside ``out``, then zipped file by file. A zip
    written before is the starting point, as a folder is: only what changed is
    written (and read from the platform or downloaded) again; the zip itself is
    then written anew."""
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".wxops-archive-") as work:
        root = Path(work) / out.stem
        _last_bag(out, root)
        summary = exporter.run(root, ids, now)
        partial = out.with_name(out.name + ".part")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zipped:
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    zipped.write(path, f"{out.stem}/{path.relative_to(root).as_posix()}")
        partial.replace(out)
    summary.path = str(out)
    return summary


def _last_bag(out: Path, root: Path) -> None:
    """The bag of the zip at ``out``, if it holds one, unpacked at ``root``."""
    if not out.is_file():
        return
    with tempfile.TemporaryDirectory(dir=root.parent) as into:
        try:
            unpacked(out, Path(into)).rename(root)
        except (OSError, zipfile.BadZipFile):
            return  # not a bag wxops wrote: the export starts from nothing


class NoBag(FileNotFoundError):
    """A zip that holds no bag (no ``bagit.txt``)."""


def unpacked(path: Path, into: Path) -> Path:
    """A bag's folder: ``path`` itself, or a .zip's bag unpacked into ``into``.
    A file that is not a zip raises ``zipfile.BadZipFile``, a zip without a bag
    ``NoBag``."""
    if path.is_dir():
        return path
    with zipfile.ZipFile(path) as zipped:
        zipped.extractall(into)
    found = next(into.rglob("bagit.txt"), None)
    if found is None:
        raise NoBag("bagit.txt")
    return found.parent

