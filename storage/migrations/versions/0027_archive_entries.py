"""The archive: each item's entry, written when it is archived or an article comes down

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07

``archive_entries`` keeps what an item was when it was archived (``归档``) or
when one of its articles was deleted on the platform (a withdrawal, or an
article replaced by a revision): the platform's HTML (read before the delete),
the revision's HTML, and its history as JSON. One entry per item and article.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0027"
down_revision: str | Sequence[str] | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "archive_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=128), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("platform_html", sa.Text(), nullable=True),
        sa.Column("platform_read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["content_items.id"],
                                name=op.f("fk_archive_entries_item_id_content_items"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archive_entries")),
        sa.UniqueConstraint("item_id", "article_id", name=op.f("uq_archive_entries_item_id")),
    )
    op.create_index(op.f("ix_archive_entries_item_id"), "archive_entries", ["item_id"],
                    unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_archive_entries_item_id"), table_name="archive_entries")
    op.drop_table("archive_entries")
