"""content_items.due_on: the day an item's draft is due (topic planning)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

Topics are planned with a writer and a due date (选题 … 截止 日期, 截止 12 日期,
分配 12 成员); the writer is the item's ``author_id``, the due date is new. A
day, not a moment: a draft is due by the end of that day in the account's zone,
and storing a date keeps it from shifting when the zone is read differently.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("content_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_on", sa.Date(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("content_items", schema=None) as batch_op:
        batch_op.drop_column("due_on")
