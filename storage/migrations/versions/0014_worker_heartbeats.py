"""worker_heartbeats: when each running worker last said it was alive

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

The scheduler leader lock (storage/leader.py) is an advisory lock or a flock:
it keeps no time, so nothing says whether a worker runs. Each worker writes its
row here when it starts and every half minute, and deletes it when it stops
cleanly; ``wxops doctor`` reads the newest.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "worker_heartbeats",
        sa.Column("worker", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("worker", name=op.f("pk_worker_heartbeats")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("worker_heartbeats")
