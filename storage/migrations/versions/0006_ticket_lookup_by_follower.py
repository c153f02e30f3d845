"""find a follower's ticket by (follower_id, status), not by scanning the queue

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26

Every follower message looks up the sender's unresolved ticket with
``follower_id = ? AND status = ...``. With an index on ``follower_id`` alone,
SQLite's planner (no statistics on a fresh database) preferred
``ix_reply_tickets_status_waiting`` and walked every open ticket: the cost of
each push grew with the length of the queue, under the write lock. An index
on both columns serves the lookup by equality on both, on either engine.
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index("ix_reply_tickets_follower_status", "reply_tickets",
                    ["follower_id", "status"], unique=False)
    op.drop_index("ix_reply_tickets_follower_id", table_name="reply_tickets")


def downgrade() -> None:
    """Downgrade schema."""
    op.create_index("ix_reply_tickets_follower_id", "reply_tickets", ["follower_id"],
                    unique=False)
    op.drop_index("ix_reply_tickets_follower_status", table_name="reply_tickets")
