"""article front matter kept on items and revisions; covers uploaded as materials

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06

``wxops item import`` keeps what an article's front matter says of itself on
the item and on each revision: the byline (the draft's ``author``), the cover
image named (``cover`` already holds the uploaded cover's media_id), whether
comments are open, its sources, the date an event notice expires, and the
theme it was laid out with. ``uploaded_materials`` remembers each cover
uploaded with material/add_material by the sha256 of the bytes sent, as
``uploaded_images`` does for body images.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("content_items", "revisions")


def _columns() -> list[sa.Column[object]]:
    return [
        sa.Column("byline", sa.Text(), server_default="", nullable=False),
        sa.Column("cover_file", sa.Text(), server_default="", nullable=False),
        sa.Column("comments", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("sources", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("theme", sa.String(length=32), server_default="", nullable=False),
    ]


def upgrade() -> None:
    """Upgrade schema."""
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            for column in _columns():
                batch.add_column(column)
    op.create_table(
        "uploaded_materials",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_id", sa.String(length=128), nullable=False),
        sa.Column("url", sa.String(length=1024), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_uploaded_materials")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("uploaded_materials")
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            for column in reversed(_columns()):
                batch.drop_column(column.name)
