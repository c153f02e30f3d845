"""A BagIt bag (RFC 8493) written file by file, and checked.

Written here with hashlib rather than with the ``bagit`` library: bagit-python
makes a bag by moving a finished folder into ``data/`` and hashing all of it,
and ``Bag.save`` hashes the whole payload again. An incremental export keeps
the manifest it wrote last time and writes (and hashes) only what changed, one
file at a time, without holding the payload in memory.

Layout: ``bagit.txt``, ``bag-info.txt``, ``manifest-sha256.txt`` (every file
under ``data/``), tag files of our own (``index.html``), and
``tagmanifest-sha256.txt`` (every tag file but itself).
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO

ALGORITHM = "sha256"
MANIFEST = f"manifest-{ALGORITHM}.txt"
TAG_MANIFEST = f"tagmanifest-{ALGORITHM}.txt"
DECLARATION = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
CHUNK = 1 << 16


def encode_path(path: str) -> str:
    """A path as a manifest line names it (RFC 8493 2.1.3: %, CR and LF encoded)."""
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def decode_path(path: str) -> str:
    return path.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")


def manifest_text(entries: Iterable[tuple[str, str]]) -> bytes:
    """``entries`` (path, sha256) as a manifest, sorted by path."""
    return "".join(f"{digest}  {encode_path(path)}\n"
                   for path, digest in sorted(entries)).encode()


def parse_manifest(text: str) -> dict[str, str]:
    """path → sha256 of a manifest's lines."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        if line.strip():
            digest, _, path = line.partition(" ")
            found[decode_path(path.lstrip(" *"))] = digest.lower()
    return found


def oxum(sizes: Iterable[int]) -> str:
    """Payload-Oxum: the payload's bytes and files (RFC 8493 2.2.2)."""
    total = count = 0
    for size in sizes:
        total, count = total + size, count + 1
    return f"{total}.{count}"


def needs_writing(old_digest: str | None, new_digest: str, on_disk: bool) -> bool:
    """Whether a payload file is (re)written: new, changed, or missing on disk."""
    return not on_disk or old_digest != new_digest


@dataclass
class Counts:
    written: int = 0
    unchanged: int = 0
    removed: int = 0


class BagWriter:
    """Payload files put one at a time into ``root/data``; the bag's tag files
    written by ``close``. A file put again with the same bytes is not rewritten;
    files of the last bag not put again are removed."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        manifest = root / MANIFEST
        self.old = parse_manifest(manifest.read_text("utf-8")) if manifest.exists() else {}
        self.digests: dict[str, str] = {}
        self.sizes: dict[str, int] = {}
        self.counts = Counts()

    def put(self, path: str, data: bytes) -> bool:
        """Put ``data`` at ``data/path``; True when it was written."""
        return self.put_chunks(path, iter((data,)), hashlib.sha256(data).hexdigest())

    def have(self, path: str) -> bool:
        """Keep a file of the last bag as it is (an image already downloaded):
        True when there is one."""
        full = f"data/{path}"
        target = self.root / full
        if full not in self.old or not target.is_file():
            return False
        self.digests[full], self.sizes[full] = self.old[full], target.stat().st_size
        self.counts.unchanged += 1
        return True

    def put_chunks(self, path: str, chunks: Iterator[bytes], digest: str | None = None) -> bool:
        """Put a file given as chunks (a download), hashed as it is written."""
        full = f"data/{path}"
        target = self.root / full
        if digest is not None and not needs_writing(self.old.get(full), digest,
                                                     target.is_file()):
            self.digests[full], self.sizes[full] = digest, target.stat().st_size
            self.counts.unchanged += 1
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        hashed, size = hashlib.sha256(), 0
        try:
            with partial.open("wb") as out:
                for chunk in chunks:
                    out.write(chunk)
                    hashed.update(chunk)
                    size += len(chunk)
        except BaseException:
            partial.unlink(missing_ok=True)  # nothing half-written is left in the bag
            raise
        os.replace(partial, target)
        self.digests[full], self.sizes[full] = hashed.hexdigest(), size
        self.counts.written += 1
        return True

    def close(self, tag_files: dict[str, bytes], info: dict[str, str]) -> Counts:
        """Remove what the last bag had and this one has not; write the tag files."""
        for gone in set(self.old) - set(self.digests):
            (self.root / gone).unlink(missing_ok=True)
            self.counts.removed += 1
        info = {**info, "Bagging-Date": info.get("Bagging-Date", date.today().isoformat()),
                "Payload-Oxum": oxum(self.sizes.values())}
        tags = {"bagit.txt": DECLARATION,
                "bag-info.txt": "".join(f"{k}: {v}\n" for k, v in info.items()).encode(),
                MANIFEST: manifest_text(self.digests.items()), **tag_files}
        for name, data in tags.items():
            (self.root / name).write_bytes(data)
        (self.root / TAG_MANIFEST).write_bytes(manifest_text(
            (name, hashlib.sha256(data).hexdigest()) for name, data in tags.items()))
        return self.counts


@dataclass(frozen=True)
class Problem:
    """Why a bag does not check: the file, and ``missing`` / ``changed`` / ``unlisted``."""

    path: str
    why: str


def _digest(stream: IO[bytes]) -> str:
    hashed = hashlib.sha256()
    while chunk := stream.read(CHUNK):
        hashed.update(chunk)
    return hashed.hexdigest()


class _Folder:
    def __init__(self, root: Path) -> None:
        self.root = root

    def names(self) -> set[str]:
        return {p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file()}

    def open(self, name: str) -> IO[bytes]:
        return (self.root / name).open("rb")


class _Zip:
    def __init__(self, archive: zipfile.ZipFile, prefix: str) -> None:
        self.archive, self.prefix = archive, prefix

    def names(self) -> set[str]:
        return {n[len(self.prefix):] for n in self.archive.namelist()
                if n.startswith(self.prefix) and not n.endswith("/")}

    def open(self, name: str) -> IO[bytes]:
        return self.archive.open(self.prefix + name)


def verify(path: Path) -> Problem | None:
    """The first problem of the bag at ``path`` (a folder or a .zip holding one),
    or None when every file is there and has the bytes its manifest says."""
    if path.is_dir():
        return _check(_Folder(path))
    with zipfile.ZipFile(path) as archive:
        declarations = [n for n in archive.namelist() if n.rsplit("/", 1)[-1] == "bagit.txt"]
        prefix = min(declarations, key=len)[:-len("bagit.txt")] if declarations else ""
        return _check(_Zip(archive, prefix))


def _check(bag: _Folder | _Zip) -> Problem | None:
    names = bag.names()
    for needed in ("bagit.txt", MANIFEST, TAG_MANIFEST):
        if needed not in names:
            return Problem(needed, "missing")
    for manifest in (TAG_MANIFEST, MANIFEST):
        with bag.open(manifest) as stream:
            listed = parse_manifest(stream.read().decode("utf-8"))
        for name, digest in sorted(listed.items()):
            if name not in names:
                return Problem(name, "missing")
            with bag.open(name) as stream:
                if _digest(stream) != digest:
                    return Problem(name, "changed")
        if manifest == MANIFEST:
            unlisted = sorted(n for n in names if n.startswith("data/") and n not in listed)
            if unlisted:
                return Problem(unlisted[0], "unlisted")
    return None
