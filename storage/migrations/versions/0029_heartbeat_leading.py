"""worker_heartbeats.leading: whether the worker held the scheduler leader lock at its beat

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07

The leader lock keeps no record (a PostgreSQL advisory lock, a file lock on
SQLite), so no other process can say which worker leads. Each heartbeat now
says whether its worker held the lock as of its last check: ``/metrics`` reads
the leaders and the age of their heartbeats from any host.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0029"
down_revision: str | Sequence[str] | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("worker_heartbeats", schema=None) as batch_op:
        batch_op.add_column(sa.Column("leading", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("worker_heartbeats", schema=None) as batch_op:
        batch_op.drop_column("leading")
