"""reviews.quote: the passage of the revision a request for changes is about

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06

``退回 12 「原文」 理由`` keeps the quoted passage (found in the revision's
visible text) beside the reason, so the writer's notice, 查看 and the preview
page show each reason with the words it is about. Rows from before: no quote.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quote", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_column("quote")
