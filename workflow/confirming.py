"""Confirmations of dangerous actions (publish, withdraw, cancel, remove a member,
delete a rule), decided: a code works once, only for who asked, within five minutes.

The confirmation stores what it confirms (the action, the subject, the subject's
version when asked, the note typed with the request); ``确认 CODE`` performs from
that, and the performer refuses if the subject changed since.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from workflow.errors import ConfirmationRefused

CODE_LENGTH = 6
CONFIRM_TTL = timedelta(minutes=5)


@dataclass(frozen=True)
class Confirmation:
    code: str
    staff_id: int
    action: str  # an Event value (publish, withdraw, cancel) or an Action value
    subject_id: int
    subject_version: int  # the item's version, or a fingerprint of the member or rule
    note: str | None  # None: issued before confirmations kept their note
    command: str  # what was typed, for the audit log
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


def issue(staff_id: int, action: str, subject_id: int, subject_version: int, note: str,
          command: str, now: datetime, code: str, ttl: timedelta = CONFIRM_TTL) -> Confirmation:
    return Confirmation(code, staff_id, action, subject_id, subject_version, note,
                        command[:500], now, now + ttl)


def use(found: Confirmation | None, staff_id: int, now: datetime) -> Confirmation:
    """The confirmation, used. Someone else's code, a used or an unknown one all
    read the same ("invalid"): a code tells nobody but its asker anything."""
    if found is None or found.staff_id != staff_id or found.used_at is not None:
        raise ConfirmationRefused("invalid")
    if found.expires_at <= now:
        raise ConfirmationRefused("expired")
    if found.note is None:
        raise ConfirmationRefused("outdated")
    return replace(found, used_at=now)
