"""A ticket's messages indexed by ticket and id: its last message in one entry

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07

Every follower's message that joins a waiting ticket asks for the ticket's
last message (``max(id)`` of its messages: when the ticket last heard
anything, ``wxops_ticket_arrive`` and ``storage.tickets``; the queue's
listing too). With the index of ``ticket_id`` alone PostgreSQL reads every
message of the ticket for it, so a push costs more the longer the
conversation; with ``id`` beside ``ticket_id`` it is one index entry read
backwards. It replaces the index of ``ticket_id`` alone (its first column),
so nothing reading that one (a ticket's thread, the foreign key) loses it.
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0034"
down_revision: str | Sequence[str] | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index("ix_ticket_messages_ticket_id_id", "ticket_messages", ["ticket_id", "id"])
    op.drop_index("ix_ticket_messages_ticket_id", table_name="ticket_messages")


def downgrade() -> None:
    """Downgrade schema."""
    op.create_index("ix_ticket_messages_ticket_id", "ticket_messages", ["ticket_id"])
    op.drop_index("ix_ticket_messages_ticket_id_id", table_name="ticket_messages")
