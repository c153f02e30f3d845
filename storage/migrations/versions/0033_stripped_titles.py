"""Titles as followers quote them, and their messages with a re-check word, indexed

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07

统计's complaints and 复查 look up the titles followers quote in 《》
(storage/titles.py): stripped of blanks at either end, as
``suggestions.named_items`` matches them. A title stored with a blank at
either end had to be found by checking every published title's first and
last character (bench/scale.py: 5,000 titles read for every 统计 and 复查);
an index of the stripped titles of the items ever published finds each
quoted one by itself. The expression and the condition are written as the
query states them (storage/models.py ``Stripped``, EVER_PUBLISHED): ``btrim``
on PostgreSQL, ``trim`` on SQLite, the blanks what ``str.strip()`` takes off.

复查 reads the followers' messages naming an article in 《》 (the index of
them, 0029) that may be a signal: a complaint, or a re-check word in them.
Testing eleven words on each of two years' 5,000 such messages was most of
that read (bench/scale.py: 13 of 14 ms in EXPLAIN ANALYZE); the messages
with a word are indexed apart, the words tested once, as each is written
(storage/models.py WORDED; workflow.recheck.RECHECK_WORDS as they are now:
other words need a migration of their own, and until then the read goes the
slower way and still finds what it should).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0033"
down_revision: str | Sequence[str] | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: storage/models.py BLANKS as it was written here: a later change there
#: needs a migration of its own.
BLANKS = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
          + "".join(chr(c) for c in range(0x2000, 0x200b)) + "\u2028\u2029\u202f\u205f\u3000")
EVER_PUBLISHED = "published_at IS NOT NULL"
WORDS = ("错误", "有误", "错了", "过期", "过时", "失效", "链接打不开", "打不开", "不对", "已结束",
         "不准确")
WORDED = ("direction = 'in' AND content LIKE '%《%' AND ("
          + " OR ".join(f"content LIKE '%{w}%'" for w in WORDS) + ")")


def upgrade() -> None:
    """Upgrade schema."""
    trim = "btrim" if op.get_bind().dialect.name == "postgresql" else "trim"
    op.create_index("ix_content_items_stripped_title", "content_items",
                    [sa.text(f"{trim}(title, '{BLANKS}')")],
                    sqlite_where=sa.text(EVER_PUBLISHED), postgresql_where=sa.text(EVER_PUBLISHED))
    op.create_index("ix_ticket_messages_worded", "ticket_messages", ["created_at"],
                    sqlite_where=sa.text(WORDED), postgresql_where=sa.text(WORDED))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_ticket_messages_worded", table_name="ticket_messages")
    op.drop_index("ix_content_items_stripped_title", table_name="content_items")
