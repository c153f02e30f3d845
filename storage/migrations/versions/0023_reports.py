"""Reports: the pages made, and links that open one

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07

``reports`` keeps each report made (weekly, monthly, or a range of days): its
page, where it was written on disk, and when its link was sent. A page link
now opens either a preview (``item_id``) or a report (``report_id``), never
both and never neither.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0023"
down_revision: str | Sequence[str] | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint("kind", "first_day", "last_day", name=op.f("uq_reports_kind")),
    )
    with op.batch_alter_table("page_links", schema=None) as batch_op:
        batch_op.alter_column("item_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("report_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_page_links_report_id"), ["report_id"],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_page_links_report_id_reports"),
                                    "reports", ["report_id"], ["id"])
        batch_op.create_check_constraint(
            "one_page", "(item_id IS NULL) <> (report_id IS NULL)")


def downgrade() -> None:
    """Downgrade schema."""
    op.execute("DELETE FROM page_links WHERE item_id IS NULL")
    with op.batch_alter_table("page_links", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_page_links_one_page"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_page_links_report_id_reports"),
                                 type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_page_links_report_id"))
        batch_op.drop_column("report_id")
        batch_op.alter_column("item_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("reports")
