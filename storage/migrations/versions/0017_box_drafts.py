"""box_drafts: drafts seen in the WeChat draft box, and the items they feed

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06

``wxops drafts sync`` and the worker read draft/batchget; a draft attached to
an item (``稿件 12 草稿 2``, ``wxops item attach``) brings each change saved in
the box in as a new revision (workflow/draft_box.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "box_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("media_id", sa.String(length=128), nullable=False),
        sa.Column("title", sa.String(length=128), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("update_time", sa.BigInteger(), nullable=False),
        sa.Column("judged_time", sa.BigInteger(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["content_items.id"],
                                name=op.f("fk_box_drafts_item_id_content_items")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_box_drafts")),
        sa.UniqueConstraint("media_id", name=op.f("uq_box_drafts_media_id")),
    )
    op.create_index(op.f("ix_box_drafts_item_id"), "box_drafts", ["item_id"])
    op.create_index(op.f("ix_box_drafts_update_time"), "box_drafts", ["update_time"])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_box_drafts_update_time"), table_name="box_drafts")
    op.drop_index(op.f("ix_box_drafts_item_id"), table_name="box_drafts")
    op.drop_table("box_drafts")
