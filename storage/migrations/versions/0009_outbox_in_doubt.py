"""outbox.in_doubt and outbox.dead_at: which dead rows may have arrived, and when each died

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

A dead row was one of three cases that only its Chinese ``last_error`` told
apart: delivered (``delivered_at``), never delivered, or in doubt (the call went
out and no answer came, or the worker died or stalled with it in flight). The
CLI resent an in-doubt row without ``--force``, and nothing said when a row
died, so a burst could not be re-driven at once. ``in_doubt`` keeps the case,
``dead_at`` the time (``wxops outbox retry --dead-since``).

Rows already dead are classified by the texts the sender wrote for the in-doubt
case (both say 无法确认是否已送达), and take their last claim as the time they died.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("in_doubt", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("dead_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE outbox SET dead_at = COALESCE(attempt_started_at, claimed_at,"
               " next_attempt_at) WHERE status = 'dead'")
    op.execute(sa.text("UPDATE outbox SET in_doubt = :yes WHERE status = 'dead'"
                       " AND delivered_at IS NULL AND last_error LIKE :doubt")
               .bindparams(yes=True, doubt="%无法确认是否已送达%"))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("dead_at")
        batch_op.drop_column("in_doubt")
