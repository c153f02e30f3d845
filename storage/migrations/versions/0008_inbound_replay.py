"""inbound_messages.replay_at and failures: a push whose handling failed is kept
for the worker to handle again, or for a person to replay

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06

A push whose handler hit a passing database fault (a statement or lock
timeout, a serialisation failure) used to be stored with its error and
answered ``success``: WeChat's retry was then answered by dedupe and the
follower's message never reached the queue. Such a push is now scheduled for
the worker (``replay_at``); ``failures`` counts the attempts that failed. The
partial index holds only failed pushes, so listing and counting them reads
none of the rest of the log.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    # Not in batch mode: adding nullable or defaulted columns is done in place on
    # SQLite, where rebuilding a table of every push would take a long time.
    op.add_column("inbound_messages", sa.Column("replay_at", sa.DateTime(timezone=True),
                                                nullable=True))
    op.add_column("inbound_messages", sa.Column("failures", sa.Integer(), nullable=False,
                                                server_default="0"))
    op.create_index("ix_inbound_messages_failed", "inbound_messages", ["replay_at"],
                    sqlite_where=sa.text("error <> ''"), postgresql_where=sa.text("error <> ''"))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_inbound_messages_failed", table_name="inbound_messages")
    # In place, as 0005 drops a column: a batch rebuild would copy every push.
    op.drop_column("inbound_messages", "failures")
    op.drop_column("inbound_messages", "replay_at")
