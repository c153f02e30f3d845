"""统计's day 7 of the window's articles found by item and age

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07

统计's suggestions read day 7 of the articles published in the last 90 days
(storage/views.py, ``published_day7``): some 600 articles at the benchmark's
size, each found by the index of ``item_id`` and then some 25 of its days
read to keep day 7 (bench/scale.py: 7 ms of the statement's 7.4). With
``age`` beside ``item_id`` each article's day 7 is one index entry. It
replaces the index of ``item_id`` alone (its first column), so nothing
reading that one (an item's totals, the foreign key) loses it.
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0032"
down_revision: str | Sequence[str] | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index("ix_article_metrics_item_age", "article_metrics", ["item_id", "age"])
    op.drop_index("ix_article_metrics_item_id", table_name="article_metrics")


def downgrade() -> None:
    """Downgrade schema."""
    op.create_index("ix_article_metrics_item_id", "article_metrics", ["item_id"])
    op.drop_index("ix_article_metrics_item_age", table_name="article_metrics")
