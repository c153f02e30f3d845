"""The team's materials (step 1.3): images and files kept by wxops under a
name, with the photographer's credit and the consent note of who is shown.

An article names an image as ``![说明](asset:logo)``: the importer asks
:func:`image` for its bytes, and the figure's caption gets the credit when the
article's caption does not say it already (layout's ``Placed``). Files
(a PDF, a Word file) are kept for the team to find: a WeChat article can link
neither to them nor to anywhere outside the platform, so only images are
usable in a body.

The bytes are kept in the database, not in a folder beside it: one backup of
the database (a copy of the SQLite file, ``pg_dump``) then holds every material
with its credit and consent, and a restore never finds a row whose file is gone.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from workflow.errors import AssetExists, AssetInvalid, AssetUnknown
from workflow.ports import UnitOfWork

#: What an article writes after ``asset:``: ASCII, so it survives every editor.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
SCHEME = "asset:"
#: A material's largest size: a photo from a camera or an annual report's PDF.
MAX_BYTES = 20_000_000
MAX_NOTE = 200  # characters of a credit or a consent note
#: The first bytes of the image formats the layout can prepare (layout/images.py).
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM",
                b"II*\x00", b"MM\x00*")


class AssetKind(StrEnum):
    IMAGE = "image"  # may stand in an article's body
    FILE = "file"  # kept for the team; a WeChat article cannot link to it


@dataclass(frozen=True)
class Asset:
    """A material as listed: everything but its bytes."""

    name: str
    kind: AssetKind
    file_name: str
    content_type: str
    size: int
    sha256: str
    credit: str
    consent: str
    added_at: datetime


def kind_of(data: bytes) -> AssetKind:
    """An image when its first bytes are those of a format the layout prepares."""
    webp = data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    return AssetKind.IMAGE if webp or data.startswith(_IMAGE_MAGIC) else AssetKind.FILE


def content_type_of(file_name: str) -> str:
    return mimetypes.guess_type(file_name)[0] or "application/octet-stream"


def name_of(src: str) -> str | None:
    """The material an image's source names (``asset:logo`` → ``logo``), or None."""
    if not src.startswith(SCHEME):
        return None
    return src[len(SCHEME):].strip()


def checked(name: str, data: bytes, credit: str, consent: str) -> tuple[str, str, str]:
    """The name, credit and consent note trimmed, or AssetInvalid."""
    name, credit, consent = name.strip(), credit.strip(), consent.strip()
    if not NAME.fullmatch(name):
        raise AssetInvalid(name, "name")
    if not data:
        raise AssetInvalid(name, "empty")
    if len(data) > MAX_BYTES:
        raise AssetInvalid(name, "too_large", MAX_BYTES)
    if len(credit) > MAX_NOTE or len(consent) > MAX_NOTE:
        raise AssetInvalid(name, "long", MAX_NOTE)
    return name, credit, consent


def add(uow: UnitOfWork, name: str, file_name: str, data: bytes, credit: str, consent: str,
        sha256: str, now: datetime) -> Asset:
    """Keep ``data`` as material ``name``; AssetExists when the name is taken."""
    name, credit, consent = checked(name, data, credit, consent)
    asset = Asset(name, kind_of(data), file_name, content_type_of(file_name), len(data),
                  sha256, credit, consent, now)
    with uow:
        if uow.assets.get(name) is not None:
            raise AssetExists(name)
        uow.assets.add(asset, data)
        uow.commit()
    return asset


def listed(uow: UnitOfWork) -> Sequence[Asset]:
    with uow:
        return uow.assets.listed()


def shown(uow: UnitOfWork, name: str) -> Asset:
    with uow:
        found = uow.assets.get(name.strip())
    if found is None:
        raise AssetUnknown(name)
    return found


def remove(uow: UnitOfWork, name: str) -> None:
    with uow:
        if not uow.assets.remove(name.strip()):
            raise AssetUnknown(name)
        uow.commit()


def image(uow: UnitOfWork, name: str) -> tuple[Asset, bytes] | None:
    """An image material and its bytes; None when there is no such image
    (no material of that name, or a file that is not an image)."""
    with uow:
        found = uow.assets.get(name)
        if found is None or found.kind is not AssetKind.IMAGE:
            return None
        data = uow.assets.data(name)
    return None if data is None else (found, data)
