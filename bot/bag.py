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

import contextlib
import hashlib
import os
import sqlite3
import tempfile
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
    return dict(_entry(line) for line in text.splitlines() if line.strip())


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
    files of the last bag not put again are removed.

    The last manifest and this one are kept in a SQLite file beside the work,
    not in memory: a bag of 100,000 files costs what a bag of ten does."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self._work = tempfile.TemporaryDirectory(prefix="wxops-bag-")
        self._db = sqlite3.connect(Path(self._work.name) / "manifests.db")
        self._db.execute("CREATE TABLE old (path TEXT PRIMARY KEY, digest TEXT)")
        self._db.execute("CREATE TABLE new (path TEXT PRIMARY KEY, digest TEXT, size INT)")
        manifest = root / MANIFEST
        if manifest.exists():
            with manifest.open(encoding="utf-8") as lines:
                self._db.executemany("INSERT OR REPLACE INTO old VALUES (?, ?)",
                                     (_entry(line) for line in lines if line.strip()))
        self.counts = Counts()

    def _old(self, full: str) -> str | None:
        found = self._db.execute("SELECT digest FROM old WHERE path = ?", (full,)).fetchone()
        return str(found[0]) if found else None

    def _keep(self, full: str, digest: str, size: int) -> None:
        self._db.execute("INSERT OR REPLACE INTO new VALUES (?, ?, ?)", (full, digest, size))

    def put(self, path: str, data: bytes) -> bool:
        """Put ``data`` at ``data/path``; True when it was written."""
        return self.put_chunks(path, iter((data,)), hashlib.sha256(data).hexdigest())

    def have(self, path: str) -> bool:
        """Keep a file of the last bag as it is (an image already downloaded):
        True when there is one."""
        full = f"data/{path}"
        target, digest = os.path.join(self.root, full), self._old(full)
        if digest is None or not os.path.isfile(target):
            return False
        self._keep(full, digest, os.stat(target).st_size)
        self.counts.unchanged += 1
        return True

    def last(self, path: str) -> bytes | None:
        """The bytes of ``data/path`` in the last bag, when they are still what its
        manifest says (None otherwise): what a later export may reuse."""
        full = f"data/{path}"
        target, digest = os.path.join(self.root, full), self._old(full)
        if digest is None or not os.path.isfile(target):
            return None
        with open(target, "rb") as stream:
            data = stream.read()
        return data if hashlib.sha256(data).hexdigest() == digest else None

    def put_chunks(self, path: str, chunks: Iterator[bytes], digest: str | None = None) -> bool:
        """Put a file given as chunks (a download), hashed as it is written."""
        # Paths as strings: pathlib interns every part of every path it makes, and
        # the interned table grows with the files of the bag.
        full = f"data/{path}"
        target = os.path.join(self.root, full)
        on_disk = os.path.isfile(target)
        if digest is not None and not needs_writing(self._old(full), digest, on_disk):
            self._keep(full, digest, os.stat(target).st_size)
            self.counts.unchanged += 1
            return False
        os.makedirs(os.path.dirname(target), exist_ok=True)
        partial = target + ".part"
        hashed, size = hashlib.sha256(), 0
        try:
            with open(partial, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
                    hashed.update(chunk)
                    size += len(chunk)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):  # nothing half-written is left
                os.remove(partial)
            raise
        os.replace(partial, target)
        self._keep(full, hashed.hexdigest(), size)
        self.counts.written += 1
        return True

    def close(self, tag_files: Iterable[str], info: dict[str, str]) -> Counts:
        """Remove what the last bag had and this one has not; write the tag files
        (``tag_files``: the bag's own, already written in ``root``)."""
        try:
            return self._close(tag_files, info)
        finally:
            self._db.close()
            self._work.cleanup()

    def _close(self, tag_files: Iterable[str], info: dict[str, str]) -> Counts:
        gone = self._db.execute(
            "SELECT path FROM old WHERE path NOT IN (SELECT path FROM new)")
        for (path,) in gone:
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(self.root, path))
            self.counts.removed += 1
        total, count = self._db.execute(
            "SELECT COALESCE(SUM(size), 0), COUNT(*) FROM new").fetchone()
        info = {**info, "Bagging-Date": info.get("Bagging-Date", date.today().isoformat()),
                "Payload-Oxum": f"{total}.{count}"}
        (self.root / "bagit.txt").write_bytes(DECLARATION)
        (self.root / "bag-info.txt").write_bytes(
            "".join(f"{k}: {v}\n" for k, v in info.items()).encode())
        with (self.root / MANIFEST).open("w", encoding="utf-8") as manifest:
            for path, digest in self._db.execute("SELECT path, digest FROM new ORDER BY path"):
                manifest.write(f"{digest}  {encode_path(path)}\n")
        names = ["bagit.txt", "bag-info.txt", MANIFEST, *tag_files]
        digests = []
        for name in names:
            with (self.root / name).open("rb") as stream:
                digests.append((name, _digest(stream)))
        (self.root / TAG_MANIFEST).write_bytes(manifest_text(digests))
        return self.counts


def _entry(line: str) -> tuple[str, str]:
    digest, _, path = line.rstrip("\n").partition(" ")
    return decode_path(path.lstrip(" *")), digest.lower()


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
