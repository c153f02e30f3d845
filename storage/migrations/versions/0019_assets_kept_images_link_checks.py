"""assets, kept_images, link_checks: the team's materials, images kept for the
preview, and whether the links of an article answer

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06

``assets`` keeps each material with its bytes (``wxops assets``), so one backup
of the database holds them all. ``kept_images`` holds body images an account
without materials could not upload, for the preview page. ``link_checks`` keeps
the worker's answer for each address a revision cites.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "assets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("credit", sa.String(length=200), nullable=False),
        sa.Column("consent", sa.String(length=200), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets")),
        sa.UniqueConstraint("name", name=op.f("uq_assets_name")),
    )
    op.create_table(
        "kept_images",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("kept_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_kept_images")),
    )
    op.create_table(
        "link_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["content_items.id"],
                                name=op.f("fk_link_checks_item_id_content_items"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_checks")),
        sa.UniqueConstraint("item_id", "revision", "url",
                            name=op.f("uq_link_checks_item_id")),
    )
    op.create_index(op.f("ix_link_checks_url"), "link_checks", ["url"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_link_checks_url"), table_name="link_checks")
    op.drop_table("link_checks")
    op.drop_table("kept_images")
    op.drop_table("assets")
