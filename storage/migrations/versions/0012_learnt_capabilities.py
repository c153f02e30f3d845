"""learnt_capabilities: capabilities the platform refused (48001) although granted

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

The capability table (workflow/capabilities.py) says what each kind of account
may call; an account may still be refused a capability the table grants. A row
here says the platform answered 48001 to a call needing that capability: since
when, with which errcode and call. The sender and the push contexts leave the
capability alone while its row is here; ``wxops capabilities reset`` removes it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "learnt_capabilities",
        sa.Column("capability", sa.String(length=32), nullable=False),
        sa.Column("missing_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("errcode", sa.Integer(), nullable=True),
        sa.Column("call", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("capability", name=op.f("pk_learnt_capabilities")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("learnt_capabilities")
