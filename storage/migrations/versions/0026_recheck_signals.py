"""Re-check signals seen in the platform's data

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07

``recheck_signals`` keeps each sudden rise in an old article's reads that the
worker spotted (workflow/recheck.py): the item, the kind, the day it pulls the
re-check forward to, and the figures behind it. Kept because the day's reads
come from the platform once, in a day's JSON answer; the re-check dates
themselves are computed on reading.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0026"
down_revision: str | Sequence[str] | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "recheck_signals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("signal_day", sa.Date(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["content_items.id"],
                                name=op.f("fk_recheck_signals_item_id_content_items"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recheck_signals")),
        sa.UniqueConstraint("item_id", "kind", "signal_day",
                            name=op.f("uq_recheck_signals_item_id")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("recheck_signals")
