"""The unresolved tickets' status and snooze time indexed: 队列's counts from the index alone

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-08

队列 says how many tickets wait and how many are snoozed. Both are counted
among the unresolved tickets (4,000 of 100,000 at bench/scale.py's size),
which the queue's partial index finds, but it holds neither the status nor
the snooze time: PostgreSQL read each of those tickets' rows (1,500 pages,
4-5 ms on a slow machine) to count them. This partial index holds both, so
one statement counts the two from the index.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0036"
down_revision: str | Sequence[str] | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNRESOLVED = sa.text("status <> 'resolved'")


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index("ix_reply_tickets_unresolved", "reply_tickets", ["status", "snoozed_until"],
                    sqlite_where=UNRESOLVED, postgresql_where=UNRESOLVED)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_reply_tickets_unresolved", table_name="reply_tickets")
