"""The checks' results per revision, and the sensitive-word list (workflow.ports
RevisionChecks, SensitiveWords). Persists only: a result is stored as the JSON
of its findings and facts and read back as the same CheckResult."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from storage.models import (
    RevisionCheckRow,
    SensitiveWordRow,
    UploadedImageRow,
    UploadedMaterialRow,
)
from workflow.checks import CheckResult, Code, Facts, Finding, WordEntry


def result_to_json(result: CheckResult) -> dict[str, Any]:
    return {"findings": [{"code": f.code.value, "data": dict(f.data), "at": f.at,
                          "excerpt": f.excerpt} for f in result.findings],
            "facts": vars(result.facts).copy()}


def result_from_json(stored: dict[str, Any]) -> CheckResult:
    findings = tuple(Finding(Code(f["code"]), f["data"], f["at"], f["excerpt"])
                     for f in stored["findings"])
    return CheckResult(findings, Facts(**stored["facts"]))


class SqlRevisionChecks:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, item_id: int, revision: int, result: CheckResult, at: datetime) -> None:
        self.session.add(RevisionCheckRow(
            item_id=item_id, revision=revision, refused=result.refused,
            sensitive=result.sensitive, result=result_to_json(result), checked_at=at))
        self.session.flush()

    def of(self, item_id: int, revision: int) -> CheckResult | None:
        stored = self.session.scalar(select(RevisionCheckRow.result).where(
            RevisionCheckRow.item_id == item_id, RevisionCheckRow.revision == revision))
        return None if stored is None else result_from_json(stored)

    def replace(self, item_id: int, revision: int, result: CheckResult) -> None:
        self.session.execute(
            update(RevisionCheckRow)
            .where(RevisionCheckRow.item_id == item_id, RevisionCheckRow.revision == revision)
            .values(refused=result.refused, sensitive=result.sensitive,
                    result=result_to_json(result))
            .execution_options(synchronize_session=False))


class SqlSensitiveWords:
    def __init__(self, session: Session) -> None:
        self.session = session

    def entries(self) -> list[WordEntry]:
        rows = self.session.scalars(select(SensitiveWordRow).order_by(SensitiveWordRow.id))
        return [WordEntry(r.text, r.category, r.pattern) for r in rows]

    def stamp(self) -> tuple[int, int]:
        count, newest = self.session.execute(select(
            func.count(SensitiveWordRow.id), func.max(SensitiveWordRow.id))).one()
        return int(count), int(newest or 0)

    def add(self, entry: WordEntry, at: datetime) -> bool:
        if self.session.scalar(select(SensitiveWordRow.id).where(
                SensitiveWordRow.text == entry.text,
                SensitiveWordRow.pattern == entry.pattern)) is not None:
            return False
        self.session.add(SensitiveWordRow(text=entry.text, category=entry.category,
                                          pattern=entry.pattern, added_at=at))
        self.session.flush()
        return True

    def remove(self, text: str) -> int:
        gone = self.session.execute(
            delete(SensitiveWordRow).where(SensitiveWordRow.text == text)).rowcount  # type: ignore[attr-defined]
        return int(gone or 0)


class SqlUploadedImages:
    def __init__(self, session: Session) -> None:
        self.session = session

    def url(self, sha256: str) -> str | None:
        return self.session.scalar(select(UploadedImageRow.url).where(
            UploadedImageRow.sha256 == sha256))

    def add(self, sha256: str, url: str, at: datetime) -> None:
        self.session.merge(UploadedImageRow(sha256=sha256, url=url, uploaded_at=at))
        self.session.flush()

    def material(self, sha256: str) -> str | None:
        return self.session.scalar(select(UploadedMaterialRow.media_id).where(
            UploadedMaterialRow.sha256 == sha256))

    def add_material(self, sha256: str, media_id: str, url: str, at: datetime) -> None:
        self.session.merge(UploadedMaterialRow(sha256=sha256, media_id=media_id, url=url,
                                               uploaded_at=at))
        self.session.flush()
