"""confirmations.note: a confirmation keeps the note it was asked with

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

A confirmation stores what it confirms (the action, the subject and its version,
and now the note typed with the request: 复查 12 删除 过时了), so 确认 performs
from the row instead of parsing the stored command again. No default: a row
from before this migration keeps NULL, and 确认 refuses it as issued before the
upgrade (codes live five minutes).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("confirmations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("confirmations", schema=None) as batch_op:
        batch_op.drop_column("note")
