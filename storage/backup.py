"""``wxops backup --out DIR`` and ``wxops restore DIR``: the database and the
folders wxops keeps files in, with a manifest to check them by.

A backup folder holds the database (storage/backup_copies.py), the files of
``WXOPS_REPORTS_DIR`` and ``WXOPS_SURVEYS_DIR`` under ``files/``, and
``manifest.json``, written last (a backup cut short has none and is refused):
the engine, the schema's Alembic revision, when it was taken, and the sha256
of every file. A restore checks all of it before it touches anything.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from storage import heartbeats, migrate
from storage.backup_copies import BackupError, EngineCopy, for_url, holds_data

MANIFEST = "manifest.json"
FORMAT = 1
FILES = "files"
CHUNK = 1 << 16


@dataclass(frozen=True)
class Manifest:
    engine: str
    revision: str | None
    created_at: str
    files: Mapping[str, str]  # path inside the backup (posix) -> sha256

    def text(self) -> str:
        return json.dumps({"format": FORMAT, "engine": self.engine, "revision": self.revision,
                           "created_at": self.created_at, "files": dict(self.files)},
                          indent=2, sort_keys=True) + "\n"


@dataclass(frozen=True)
class Folders:
    """The folders wxops keeps files in, by their name inside a backup."""

    by_name: Mapping[str, Path]

    @classmethod
    def of(cls, reports_dir: str, surveys_dir: str) -> Folders:
        return cls({"reports": Path(reports_dir), "surveys": Path(surveys_dir)})


def take(url: str, engine: Engine, folders: Folders, out: Path, now: datetime) -> Manifest:
    """Back up the database at ``url`` and the folders into ``out`` (new or empty)."""
    copy = for_url(url)
    _fresh_folder(out)
    try:
        revision = copy.dump(out / copy.file_name, engine)
        for name, folder in folders.by_name.items():
            if folder.is_dir():
                shutil.copytree(folder, out / FILES / name)
    except BaseException:
        _empty(out)  # half a backup must not be taken for one
        raise
    files = {path: sha256(out / path) for path in _files(out)}
    manifest = Manifest(copy.name, revision, now.isoformat(timespec="seconds"), files)
    partial = out / f"{MANIFEST}.partial"
    partial.write_text(manifest.text(), encoding="utf-8")
    partial.replace(out / MANIFEST)
    return manifest


def restore(url: str, engine: Engine, folders: Folders, source: Path,
            force: bool, now: datetime) -> Manifest:
    """Restore the backup at ``source`` into the database at ``url`` and the
    folders, after checking the backup whole, no worker running on the database
    and the database empty (or ``force``)."""
    manifest = verified(source)
    copy = for_url(url)
    if copy.file_name not in manifest.files:  # of the other engine, or none at all
        raise BackupError("restore_wrong_engine", backup=manifest.engine, target=copy.name)
    _fits(manifest, copy, engine)
    _no_worker(engine, now)  # even with --force: it would go on from its own state
    if not force and holds_data(engine):
        raise BackupError("restore_not_empty")
    engine.dispose()  # no connection of ours stays on what is about to be replaced
    copy.load(source / copy.file_name)
    with engine.begin() as conn:  # the backed-up workers' beats: none runs here
        heartbeats.forget_all(conn)
    for name, folder in folders.by_name.items():
        kept = source / FILES / name
        if kept.is_dir():
            try:
                shutil.copytree(kept, folder, dirs_exist_ok=True)
            except OSError as exc:  # shutil.Error too: one per file that failed
                reason, files = _reason(exc)
                raise BackupError("restore_files_failed", path=str(folder),
                                  source=str(source), reason=reason, files=files) from None
    return manifest


def _reason(exc: OSError) -> tuple[str, int]:
    """What went wrong (the first file's, when several failed) and how many files."""
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list):
        failed = exc.args[0]  # (src, dst, why) for each file
        return (str(failed[0][2]), len(failed)) if failed else (str(exc), 1)
    reason = str(exc.strerror or exc)
    return (f"{reason}: {exc.filename}" if exc.filename else reason), 1


def verified(source: Path) -> Manifest:
    """The backup's manifest, once every file it names is there with its checksum
    and nothing else is beside them."""
    manifest = read_manifest(source)
    for path, digest in manifest.files.items():
        full = source / path
        if ".." in Path(path).parts or Path(path).is_absolute() or not full.is_file():
            raise BackupError("backup_tampered", path=path, why="missing")
        if sha256(full) != digest:
            raise BackupError("backup_tampered", path=path, why="changed")
    for path in _files(source):
        if path not in manifest.files:
            raise BackupError("backup_tampered", path=path, why="extra")
    return manifest


def read_manifest(source: Path) -> Manifest:
    try:
        data: dict[str, Any] = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError("backup_no_manifest", path=str(source)) from None
    except (OSError, ValueError) as exc:
        raise BackupError("backup_bad_manifest", path=str(source), detail=str(exc)) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError("backup_bad_manifest", path=str(source), detail="format")
    try:
        files = {str(k): str(v) for k, v in dict(data["files"]).items()}
        return Manifest(str(data["engine"]), data["revision"] and str(data["revision"]),
                        str(data["created_at"]), files)
    except (KeyError, TypeError, ValueError) as exc:
        raise BackupError("backup_bad_manifest", path=str(source), detail=str(exc)) from None


def _fits(manifest: Manifest, copy: EngineCopy, engine: Engine) -> None:
    """The backup is of this engine, and of a schema this wxops knows."""
    if manifest.engine != copy.name:
        raise BackupError("restore_wrong_engine", backup=manifest.engine, target=copy.name)
    head, known = migrate.known_revisions(engine)
    if manifest.revision is not None and manifest.revision not in known:
        raise BackupError("restore_newer_schema", revision=manifest.revision, head=head)


def _no_worker(engine: Engine, now: datetime) -> None:
    """A worker still running on the database would keep writing over the restore
    (and send again what the backup has as not sent yet): stop it first."""
    with engine.connect() as conn:
        worker = heartbeats.running(conn, now)
    if worker is not None:
        raise BackupError("restore_worker_running", worker=worker[0], seconds=worker[1])


def _fresh_folder(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BackupError("backup_out_not_empty", path=str(out))
    try:
        out.mkdir(parents=True, exist_ok=True, mode=0o700)  # the database holds secrets
    except OSError as exc:
        raise BackupError("backup_unwritable", path=str(out),
                          reason=exc.strerror or str(exc)) from None


def _empty(out: Path) -> None:
    for path in out.iterdir():
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _files(root: Path) -> Iterator[str]:
    """Every file of a backup folder but its manifest, as posix paths."""
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name not in (MANIFEST, f"{MANIFEST}.partial"):
            yield path.relative_to(root).as_posix()


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
