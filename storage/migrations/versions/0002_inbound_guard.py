"""replay guard, account texts, follower windows

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""

    op.create_table(
        "inbound_nonces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_nonces")),
        sa.UniqueConstraint("timestamp", "nonce", name=op.f("uq_inbound_nonces_timestamp")),
    )
    with op.batch_alter_table("inbound_nonces", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbound_nonces_seen_at"), ["seen_at"], unique=False)

    op.create_table(
        "account_texts",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["staff.id"], name=op.f("fk_account_texts_updated_by_staff")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_account_texts")),
    )
    with op.batch_alter_table("followers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("error", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    """Downgrade schema."""

    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_column("error")

    with op.batch_alter_table("followers", schema=None) as batch_op:
        batch_op.drop_column("last_event_at")
        batch_op.drop_column("last_message_at")

    op.drop_table("account_texts")
    with op.batch_alter_table("inbound_nonces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_nonces_seen_at"))

    op.drop_table("inbound_nonces")
