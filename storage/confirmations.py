"""Confirmation codes for dangerous commands (publish, withdraw, remove staff, delete rule)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, update

from storage.models import Confirmation
from workflow.staffing import new_code

CODE_LENGTH = 6
CONFIRM_TTL = timedelta(minutes=5)


@dataclass(frozen=True)
class Pending:
    action: str
    subject_id: int
    subject_version: int
    command: str
    expires_at: datetime


def create(conn: Connection, staff_id: int, action: str, subject_id: int, version: int,
           command: str, now: datetime, ttl: timedelta = CONFIRM_TTL) -> str:
    code = new_code(CODE_LENGTH)
    conn.execute(insert(Confirmation).values(
        code=code, staff_id=staff_id, action=action, subject_id=subject_id,
        subject_version=version, command=command[:500], created_at=now,
        expires_at=now + ttl, used_at=None))
    return code


class ConfirmationRefused(Exception):
    """``why``: "invalid" (unknown, used, or someone else's) or "expired"."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def take(conn: Connection, code: str, staff_id: int, now: datetime) -> Pending:
    """Use a code once. Someone else's code, a used or unknown one all read the same."""
    used = conn.execute(
        update(Confirmation)
        .where(Confirmation.code == code.strip().upper(), Confirmation.staff_id == staff_id,
               Confirmation.used_at.is_(None))
        .values(used_at=now)
        .returning(Confirmation.action, Confirmation.subject_id,
                   Confirmation.subject_version, Confirmation.command,
                   Confirmation.expires_at)).first()
    if used is None:
        raise ConfirmationRefused("invalid")
    pending = Pending(used.action, used.subject_id, used.subject_version, used.command,
                      used.expires_at)
    if pending.expires_at <= now:
        raise ConfirmationRefused("expired")
    return pending
