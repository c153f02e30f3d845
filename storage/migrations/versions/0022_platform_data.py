"""The platform's data: per-article running totals, days asked per endpoint

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07

``article_metrics`` gains what getarticletotaldetail gives (running totals of
reads, shares, likes, 在看, comments, read sources) and the publish day;
``analytics_days`` records each datacube endpoint's answer for a day and how
final it is (complete / delayed / open), which the daily job retries on and the
backfill resumes from (workflow/analytics.py describes the read model).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0022"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TOTALS = ("total_reads", "total_shares", "likes", "zaikan", "comments")


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("article_metrics", schema=None) as batch_op:
        for name in _TOTALS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False,
                                          server_default="0"))
        batch_op.add_column(sa.Column("read_sources", sa.JSON(), nullable=False,
                                      server_default=sa.text("'{}'")))
        batch_op.add_column(sa.Column("published_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("age", sa.Integer(), nullable=True))
    op.create_table(
        "analytics_days",
        sa.Column("endpoint", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("through", sa.Date(), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("endpoint", "day", name=op.f("pk_analytics_days")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("analytics_days")
    with op.batch_alter_table("article_metrics", schema=None) as batch_op:
        for name in (*_TOTALS, "read_sources", "published_on", "age"):
            batch_op.drop_column(name)
