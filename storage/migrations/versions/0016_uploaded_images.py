"""uploaded_images: body images uploaded with media/uploadimg, by content hash

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06

``wxops item import`` uploads each image of an article once: the hash of the
bytes it sends (after re-encoding) finds the URL an earlier upload returned.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "uploaded_images",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=1024), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_uploaded_images")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("uploaded_images")
