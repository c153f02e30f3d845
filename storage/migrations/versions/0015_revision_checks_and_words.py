"""revision_checks and sensitive_words: the checks before review, kept per revision

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

Every new revision of an item is checked (workflow/checks): its findings and
facts are kept here as JSON, with whether they refuse a submission and whether
a sensitive word was found. ``sensitive_words`` is the organisation's list
(``wxops words``). Written on a branch while 0013 and 0014 were being added
elsewhere: ``down_revision`` is main's head when it was written, to be rechained.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "revision_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Boolean(), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["content_items.id"],
                                name=op.f("fk_revision_checks_item_id_content_items"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revision_checks")),
        sa.UniqueConstraint("item_id", "revision",
                            name=op.f("uq_revision_checks_item_id")),
    )
    op.create_table(
        "sensitive_words",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=256), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("pattern", sa.Boolean(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensitive_words")),
        sa.UniqueConstraint("text", "pattern", name=op.f("uq_sensitive_words_text")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("sensitive_words")
    op.drop_table("revision_checks")
