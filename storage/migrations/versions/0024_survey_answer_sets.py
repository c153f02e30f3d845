"""Follower surveys: each follower's answer set to a survey

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07

``survey_answer_sets`` keeps a follower's answers to one survey (the survey is
defined in a TOML file, WXOPS_SURVEYS_DIR): its state (started, finished,
abandoned, expired), the question waiting for an answer, the answers so far
and when it started, last moved and ended. One set per survey and follower.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0024"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "survey_answer_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey", sa.String(length=64), nullable=False),
        sa.Column("follower_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("question", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["follower_id"], ["followers.id"],
                                name=op.f("fk_survey_answer_sets_follower_id_followers"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answer_sets")),
        sa.UniqueConstraint("survey", "follower_id",
                            name=op.f("uq_survey_answer_sets_survey")),
    )
    op.create_index("ix_survey_answer_sets_follower_state", "survey_answer_sets",
                    ["follower_id", "state"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_survey_answer_sets_follower_state", table_name="survey_answer_sets")
    op.drop_table("survey_answer_sets")
