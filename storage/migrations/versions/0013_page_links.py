"""page_links: signed, expiring, revocable links to web pages (the preview)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06

A row per link made (``预览 12``, ``wxops item preview 12``): the random key
its address carries signed, the item and the revision it shows, who made it,
when it expires and when it was revoked. The web process reads the row on
every opening, so revoking takes effect at once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "page_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("item_version", sa.Integer(), nullable=False),
        sa.Column("item_revision", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["content_items.id"],
                                name=op.f("fk_page_links_item_id_content_items")),
        sa.ForeignKeyConstraint(["created_by"], ["staff.id"],
                                name=op.f("fk_page_links_created_by_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_links")),
        sa.UniqueConstraint("key", name=op.f("uq_page_links_key")),
    )
    op.create_index(op.f("ix_page_links_item_id"), "page_links", ["item_id"])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_page_links_item_id"), table_name="page_links")
    op.drop_table("page_links")
