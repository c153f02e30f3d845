"""The staff survey of the quarterly evaluation

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07

``staff_surveys`` records when a quarter's staff survey was asked (once);
``staff_survey_answers`` one member's answers to it (a row when asked, filled in
as they answer). The evaluation itself is kept in ``reports`` (kind ``quarter``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0025"
down_revision: str | Sequence[str] | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "staff_surveys",
        sa.Column("quarter", sa.String(length=8), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("quarter", name=op.f("pk_staff_surveys")),
    )
    op.create_table(
        "staff_survey_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=8), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("slowed", sa.Text(), nullable=False),
        sa.Column("change", sa.Text(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["quarter"], ["staff_surveys.quarter"],
                                name=op.f("fk_staff_survey_answers_quarter_staff_surveys")),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"],
                                name=op.f("fk_staff_survey_answers_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_survey_answers")),
        sa.UniqueConstraint("quarter", "staff_id",
                            name=op.f("uq_staff_survey_answers_quarter")),
    )
    with op.batch_alter_table("staff_survey_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_survey_answers_quarter"), ["quarter"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_staff_survey_answers_staff_id"), ["staff_id"],
                              unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("staff_survey_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_survey_answers_staff_id"))
        batch_op.drop_index(batch_op.f("ix_staff_survey_answers_quarter"))
    op.drop_table("staff_survey_answers")
    op.drop_table("staff_surveys")
