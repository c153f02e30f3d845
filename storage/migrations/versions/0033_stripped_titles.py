"""Published items found by their titles as followers quote them

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


def upgrade() -> None:
    """Upgrade schema."""
    trim = "btrim" if op.get_bind().dialect.name == "postgresql" else "trim"
    op.create_index("ix_content_items_stripped_title", "content_items",
                    [sa.text(f"{trim}(title, '{BLANKS}')")],
                    sqlite_where=sa.text(EVER_PUBLISHED), postgresql_where=sa.text(EVER_PUBLISHED))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_content_items_stripped_title", table_name="content_items")
