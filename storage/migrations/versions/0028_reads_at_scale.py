"""Indexes for the reads that must stay fast at scale

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07

What bench/scale.py found reading whole tables on an account of a million
inbound messages, 100,000 tickets and 10,000 items (docs/performance.md,
"Data at scale"): the queue (every ticket but the resolved ones, in the
queue's order), 统计 (articles published in a period; tickets first answered
in it; each article's day 7 and a period's figures; complaints), and the
re-checks (the audit trail's re-checks; the followers' messages naming an
article in 《》). The partial indexes' conditions
are the ones their queries state (storage/models.py ``CHECKS``, ``TITLED``).
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0028"
down_revision: str | Sequence[str] | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As in storage/models.py at this revision (a migration does not import the models).
CHECKS = "event IN ('recheck_ok', 'flag_outdated', 'withdraw')"
TITLED = "direction = 'in' AND content LIKE '%《%'"
UNRESOLVED = "status <> 'resolved'"


def _where(condition: str) -> dict[str, Any]:
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index("ix_content_items_published_at", "content_items", ["published_at"])
    op.create_index("ix_audit_log_checks", "audit_log", ["item_id", "id"], **_where(CHECKS))
    op.create_index("ix_reply_tickets_queue", "reply_tickets",
                    ["priority", "waiting_since", "id"], **_where(UNRESOLVED))
    op.create_index("ix_reply_tickets_first_response_at", "reply_tickets",
                    ["first_response_at"])
    op.create_index("ix_ticket_messages_titled", "ticket_messages", ["created_at"],
                    **_where(TITLED))
    op.create_index("ix_reply_tickets_priority_opened", "reply_tickets",
                    ["priority", "opened_at"])
    op.create_index("ix_article_metrics_age", "article_metrics", ["age", "published_on"])
    op.create_index("ix_article_metrics_day", "article_metrics", ["day"])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_article_metrics_day", table_name="article_metrics")
    op.drop_index("ix_article_metrics_age", table_name="article_metrics")
    op.drop_index("ix_reply_tickets_priority_opened", table_name="reply_tickets")
    op.drop_index("ix_ticket_messages_titled", table_name="ticket_messages")
    op.drop_index("ix_reply_tickets_first_response_at", table_name="reply_tickets")
    op.drop_index("ix_reply_tickets_queue", table_name="reply_tickets")
    op.drop_index("ix_audit_log_checks", table_name="audit_log")
    op.drop_index("ix_content_items_published_at", table_name="content_items")
