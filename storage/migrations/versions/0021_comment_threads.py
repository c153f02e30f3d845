"""comment_threads, comment_tickets: article comments in the reply queue

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06

A published item's comments are read from the platform (workflow/comments.py):
comment_threads keeps the article's msg_data_id and 0-based index (or why it
could not be mapped) and when its comments were last read; comment_tickets
links a reply ticket to the comment that opened it (item, article, comment id),
one ticket per comment.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "comment_threads",
        sa.Column("item_id", sa.Integer(),
                  sa.ForeignKey("content_items.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("msg_data_id", sa.String(32), nullable=True),
        sa.Column("article_index", sa.Integer(), nullable=True),
        sa.Column("unmapped", sa.String(32), nullable=False, server_default=""),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "comment_tickets",
        sa.Column("ticket_id", sa.Integer(),
                  sa.ForeignKey("reply_tickets.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("item_id", sa.Integer(),
                  sa.ForeignKey("content_items.id", ondelete="CASCADE"), nullable=False),
        sa.Column("msg_data_id", sa.String(32), nullable=False),
        sa.Column("article_index", sa.Integer(), nullable=False),
        sa.Column("user_comment_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default=""),
        sa.UniqueConstraint("msg_data_id", "article_index", "user_comment_id"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("comment_tickets")
    op.drop_table("comment_threads")
