"""fewer b-trees written per push: a keyed replay guard, no follower index on the log,
no acknowledged flag on tickets

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26

Every push writes one page per b-tree it touches, and on SQLite each page is
two system calls at commit. The replay guard was three b-trees (rowid table,
unique pair, seen_at index) and becomes one table keyed by the pair (WITHOUT
ROWID on SQLite), pruned by its timestamp. ``ix_inbound_messages_from_openid``
served no query. ``reply_tickets.acknowledged`` was always true: a follower
is acknowledged when a ticket opens. Guard rows (minutes' worth) are carried
over, so the upgrade opens no replay window.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""

    guard = _read(sa.text("SELECT timestamp, nonce, body_hash FROM inbound_nonces"))
    op.drop_table("inbound_nonces")
    keyed = op.create_table(
        "inbound_nonces",
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("timestamp", "nonce", name=op.f("pk_inbound_nonces")),
        sqlite_with_rowid=False,
    )
    _write(keyed, guard)

    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_messages_from_openid"))

    # Not in batch mode: SQLite (3.35+) drops the column in place. Rebuilding the
    # table instead would DROP the old one, and with foreign keys on, that
    # deletes every ticket's messages (ON DELETE CASCADE).
    op.drop_column("reply_tickets", "acknowledged")


def downgrade() -> None:
    """Downgrade schema."""

    # A server default (0001 had none) fills the existing rows: all acknowledged.
    op.add_column("reply_tickets", sa.Column("acknowledged", sa.Boolean(), nullable=False,
                                             server_default=sa.true()))

    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbound_messages_from_openid"), ["from_openid"], unique=False
        )

    now = datetime.now(UTC)
    guard = [{**row, "seen_at": now}
             for row in _read(sa.text("SELECT timestamp, nonce, body_hash FROM inbound_nonces"))]
    op.drop_table("inbound_nonces")
    rowid = op.create_table(
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
    _write(rowid, guard)


def _read(query: sa.TextClause) -> list[dict[str, object]]:
    return [dict(row._mapping) for row in op.get_bind().execute(query)]


def _write(table: sa.Table | None, rows: list[dict[str, object]]) -> None:
    if table is not None and rows:
        op.bulk_insert(table, rows)
