"""``wxops archive import``: an exported archive back into an empty database.

Each item's ``meta.json`` gives back its row, revisions, reviews, audit trail,
the addresses it cites, the people named and its archive entries, with their
ids; ``metrics.csv`` its figures; images kept in wxops (placeholders in the
body) go back to the kept images, and a cover wxops uploaded to the uploaded
materials (its media_id stays the platform's). Comments are not restored: they belong to
reply tickets and followers, which an archive does not carry.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from bot.bag import Problem, verify
from bot.wiring import archive_records as archive
from workflow import kept_images

CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif",
                 "webp": "image/webp", "bmp": "image/bmp"}


class Tampered(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.path)
        self.problem = problem


class NotEmpty(Exception):
    """The database holds staff or items already."""


def restore(engine: Engine, root: Path, now: datetime,
            progress: Callable[[int], None] = lambda _n: None) -> int:
    """Import the bag at ``root``; returns how many items came back."""
    problem = verify(root)
    if problem is not None:
        raise Tampered(problem)
    with engine.connect() as conn:
        if not archive.is_empty(conn):
            raise NotEmpty()
    items = root / "data" / "items"  # absent from the export of an account with none
    folders = sorted((p for p in items.iterdir() if p.is_dir()),
                     key=lambda p: int(p.name)) if items.is_dir() else []
    for folder in folders:
        found = json.loads((folder / "meta.json").read_text("utf-8"))
        with (folder / "metrics.csv").open(encoding="utf-8", newline="") as stream:
            metric_rows = list(csv.DictReader(stream))
        with engine.begin() as conn:
            archive.restore(conn, found, metric_rows)
            for image in _kept(found, folder):
                archive.keep_image(conn, *image, now)
            cover = found.get("cover_image") or {}
            if cover.get("media_id") and cover.get("src") and cover.get("file"):
                data = (folder / cover["file"]).read_bytes()
                archive.keep_cover(conn, hashlib.sha256(data).hexdigest(), cover["media_id"],
                                   cover["src"], now)
        progress(1)
    with engine.begin() as conn:
        archive.reset_sequences(conn)
    return len(folders)


def _kept(found: dict[str, Any], folder: Path) -> list[tuple[str, str, bytes]]:
    """(sha256, content type, bytes) of the images kept in wxops the item shows."""
    kept = []
    for image in found.get("images", []):
        sha = kept_images.sha256_of(image["src"])
        if sha is not None and image.get("file"):
            suffix = image["file"].rsplit(".", 1)[-1]
            kept.append((sha, CONTENT_TYPES.get(suffix, "application/octet-stream"),
                         (folder / image["file"]).read_bytes()))
    return kept
