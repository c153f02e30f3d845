"""Confirmation codes, persisted (``workflow.ports.ConfirmationRepository``).

Who may use one, and when, is decided in ``workflow/confirming.py``.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import Confirmation as ConfirmationRow
from workflow.confirming import Confirmation


def _confirmation(row: ConfirmationRow) -> Confirmation:
    return Confirmation(row.code, row.staff_id, row.action, row.subject_id, row.subject_version,
                        row.note, row.command, row.created_at, row.expires_at, row.used_at)


class SqlConfirmations:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, confirmation: Confirmation) -> None:
        c = confirmation
        self.session.add(ConfirmationRow(
            code=c.code, staff_id=c.staff_id, action=c.action, subject_id=c.subject_id,
            subject_version=c.subject_version, note=c.note, command=c.command,
            created_at=c.created_at, expires_at=c.expires_at, used_at=c.used_at))
        self.session.flush()

    def get(self, code: str) -> Confirmation | None:
        row = self.session.scalar(select(ConfirmationRow)
                                  .where(ConfirmationRow.code == code.strip().upper())
                                  .with_for_update())
        return _confirmation(row) if row else None

    def use(self, confirmation: Confirmation) -> bool:
        done = self.session.execute(
            update(ConfirmationRow)
            .where(ConfirmationRow.code == confirmation.code, ConfirmationRow.used_at.is_(None))
            .values(used_at=confirmation.used_at)
            .execution_options(synchronize_session=False))
        return bool(done.rowcount == 1)  # type: ignore[attr-defined]
