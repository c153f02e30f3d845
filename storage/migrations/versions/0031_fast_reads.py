"""统计's first answers read from the index alone

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07

统计 sums up the first answers of the last 90 days (storage/response_times.py):
some 12,000 tickets at 100,000, spread over the whole table, so the index on
``first_response_at`` alone still visited every page of it (bench/scale.py).
With ``opened_at`` beside it the index answers by itself; it replaces the
index of ``first_response_at`` alone (its first column), so nothing reading
that one loses it.
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0031"
down_revision: str | Sequence[str] | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index("ix_reply_tickets_answered", "reply_tickets",
                    ["first_response_at", "opened_at"])
    op.drop_index("ix_reply_tickets_first_response_at", table_name="reply_tickets")


def downgrade() -> None:
    """Downgrade schema."""
    op.create_index("ix_reply_tickets_first_response_at", "reply_tickets",
                    ["first_response_at"])
    op.drop_index("ix_reply_tickets_answered", table_name="reply_tickets")
