"""In-memory fakes of the materials' and the links' ports (workflow.ports
AssetStore, LinkChecks), for the fake unit of work (tests/unit/fakes.py)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from workflow.asset_cases import Asset
from workflow.link_liveness import LinkStatus, Watched
from workflow.model import ContentItem
from workflow.states import State


class _Items(Protocol):
    rows: dict[int, ContentItem]


class FakeAssets:
    def __init__(self) -> None:
        self.rows: dict[str, tuple[Asset, bytes]] = {}
        self.kept_rows: dict[str, tuple[str, bytes]] = {}

    def add(self, asset: Asset, data: bytes) -> None:
        self.rows[asset.name] = (asset, data)

    def get(self, name: str) -> Asset | None:
        found = self.rows.get(name)
        return None if found is None else found[0]

    def data(self, name: str) -> bytes | None:
        found = self.rows.get(name)
        return None if found is None else found[1]

    def listed(self) -> Sequence[Asset]:
        return [self.rows[name][0] for name in sorted(self.rows)]

    def remove(self, name: str) -> bool:
        return self.rows.pop(name, None) is not None

    def keep(self, sha256: str, content_type: str, data: bytes, at: datetime) -> None:
        self.kept_rows.setdefault(sha256, (content_type, data))

    def kept(self, sha256: str) -> tuple[str, bytes] | None:
        return self.kept_rows.get(sha256)


class FakeLinkChecks:
    def __init__(self, items: _Items) -> None:
        self.items = items
        self.rows: dict[tuple[int, int, str], LinkStatus] = {}

    def watched(self, states: Sequence[State]) -> Sequence[Watched]:
        return [Watched(i.id, i.revision, i.body) for i in sorted(
            self.items.rows.values(), key=lambda i: i.id) if i.state in states]

    def latest(self, urls: Collection[str]) -> Mapping[str, LinkStatus]:
        found: dict[str, LinkStatus] = {}
        for status in self.rows.values():
            old = found.get(status.url)
            if status.url in urls and (old is None or old.checked_at < status.checked_at):
                found[status.url] = status
        return found

    def record(self, item_id: int, revision: int, status: LinkStatus) -> None:
        self.rows[item_id, revision, status.url] = status
