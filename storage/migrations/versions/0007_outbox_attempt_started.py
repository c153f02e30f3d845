"""outbox.attempt_started_at: tell a claimed row never attempted from one in flight

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27

A worker claims a batch of rows at once. Before, a worker that stopped or died
left every undelivered row of its batch 'sending', and recovery had to park
them all as dead (it could not know which had reached WeChat). The sender now
writes ``attempt_started_at`` in its own commit before it starts on a row, so
recovery resumes rows whose attempt never started.

Rows already 'sending' when this runs were claimed under the old rule and may
have been in flight: they are marked as started (at their claim), so recovery
keeps treating them as it did.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempt_started_at", sa.DateTime(timezone=True),
                                      nullable=True))
    op.execute("UPDATE outbox SET attempt_started_at = COALESCE(claimed_at, next_attempt_at)"
               " WHERE status = 'sending'")


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("attempt_started_at")
