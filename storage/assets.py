"""The team's materials with their bytes, and the images kept for the preview
(workflow.ports AssetStore). Persists only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.models import AssetRow, KeptImageRow
from workflow.asset_cases import Asset, AssetKind

#: Every column but the bytes: a listing never reads a material's file.
_LISTED = (AssetRow.name, AssetRow.kind, AssetRow.file_name, AssetRow.content_type,
           AssetRow.size, AssetRow.sha256, AssetRow.credit, AssetRow.consent,
           AssetRow.added_at)


def _asset(row: tuple[str, str, str, str, int, str, str, str, datetime]) -> Asset:
    name, kind, file_name, content_type, size, sha256, credit, consent, added_at = row
    return Asset(name, AssetKind(kind), file_name, content_type, size, sha256, credit,
                 consent, added_at)


class SqlAssets:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, asset: Asset, data: bytes) -> None:
        self.session.add(AssetRow(
            name=asset.name, kind=asset.kind.value, file_name=asset.file_name[:255],
            content_type=asset.content_type[:255], size=asset.size, sha256=asset.sha256,
            credit=asset.credit, consent=asset.consent, data=data, added_at=asset.added_at))
        self.session.flush()

    def get(self, name: str) -> Asset | None:
        row = self.session.execute(select(*_LISTED).where(AssetRow.name == name)).first()
        return None if row is None else _asset(tuple(row))

    def data(self, name: str) -> bytes | None:
        return self.session.scalar(select(AssetRow.data).where(AssetRow.name == name))

    def listed(self) -> Sequence[Asset]:
        rows = self.session.execute(select(*_LISTED).order_by(AssetRow.name))
        return [_asset(tuple(row)) for row in rows]

    def remove(self, name: str) -> bool:
        gone = self.session.execute(delete(AssetRow).where(AssetRow.name == name))
        return bool(gone.rowcount)  # type: ignore[attr-defined]

    def keep(self, sha256: str, content_type: str, data: bytes, at: datetime) -> None:
        if self.session.get(KeptImageRow, sha256) is None:
            self.session.add(KeptImageRow(sha256=sha256, content_type=content_type,
                                          data=data, kept_at=at))
            self.session.flush()

    def kept(self, sha256: str) -> tuple[str, bytes] | None:
        row = self.session.execute(select(KeptImageRow.content_type, KeptImageRow.data)
                                   .where(KeptImageRow.sha256 == sha256)).first()
        return None if row is None else (row[0], row[1])
