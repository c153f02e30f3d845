"""Re-check dates kept, and marked stale by the database itself

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07

复查 computed every published article's next re-check on every call (2,700
articles at bench/scale.py's size: 120-220 ms). The dates are now kept
(``recheck_dates``, the whole ``workflow.recheck.Due`` of each published
item), and only what changed is computed again. What changed is recorded by
triggers, on both engines, not by each writer (workflow/recheck.py says why:
one forgotten refresh is a reminder silently lost):

- ``recheck_marks``: an item whose facts changed. Written when the item's
  own columns that the rule reads change (state, publication, expiry, topic,
  author, title), when a re-check's event is added to its audit trail, a
  reads signal is kept for it, a comment ticket is opened on it, a follower
  writes on such a ticket, or the ticket's priority changes (a complaint).
  A title or a publication also marks the items ever published under the same
  title, before or after: a title two items share names neither
  (``suggestions.named_items``).
- ``recheck_notes``: a follower's message quoting a title in 《》 (or one on a
  ticket whose priority changed), which 复查 matches to the items it names,
  and keeps its quotes in ``recheck_quotes`` (title, message): the messages
  that may name an item, found by its title when the item is computed again.
- ``recheck_basis``: what the kept dates were computed under (the rule's
  version, the intervals, the zone). A fact updated or deleted in place
  (which wxops itself does not do: a restore, a person's SQL) empties it, and
  everything is computed again.

The comments on a few items are found by their item
(``ix_comment_tickets_item_id``): SQLite read every message to find them.

Marks and notes are rows of their own (no unique key): a mark written while
复查 claims the others (``DELETE … RETURNING``) is not one of those it
deletes, and stays for the next.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0035"
down_revision: str | Sequence[str] | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: storage/models.py BLANKS and TITLED_LIKE as they were written here (0033).
BLANKS = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
          + "".join(chr(c) for c in range(0x2000, 0x200b)) + "\u2028\u2029\u202f\u205f\u3000")
TITLED = "'%《%'"
#: The audit events that may record a re-check (storage/rechecks.py CHECK_EVENTS).
CHECKS = "('recheck_ok', 'flag_outdated', 'withdraw')"
#: A fact changed in place: (table, the columns the rule reads, or "" for any).
IN_PLACE = (("audit_log", ""), ("recheck_signals", ""),
            ("comment_tickets", "item_id, ticket_id"),
            ("ticket_messages", "ticket_id, direction, content, created_at"))


def _same_title(trim: str) -> str:
    """The other items ever published under NEW's or OLD's title."""
    return (f"SELECT id FROM content_items WHERE published_at IS NOT NULL AND id <> NEW.id "
            f"AND {trim}(title, '{BLANKS}') IN ({trim}(NEW.title, '{BLANKS}'), "
            f"{trim}(OLD.title, '{BLANKS}'))")


def _message_marks() -> tuple[str, str]:
    """A follower's message: the commented item its ticket is on; its quote."""
    return ("INSERT INTO recheck_marks (item_id) "
            "SELECT item_id FROM comment_tickets WHERE ticket_id = NEW.ticket_id",
            "INSERT INTO recheck_notes (message_id) VALUES (NEW.id)")


def _ticket_marks() -> tuple[str, str]:
    """A ticket's priority changed: its commented item, its quoting messages."""
    return ("INSERT INTO recheck_marks (item_id) "
            "SELECT item_id FROM comment_tickets WHERE ticket_id = NEW.id",
            "INSERT INTO recheck_notes (message_id) SELECT id FROM ticket_messages "
            f"WHERE ticket_id = NEW.id AND direction = 'in' AND content LIKE {TITLED}")


POSTGRES = [
    f"""CREATE FUNCTION recheck_item() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO recheck_marks (item_id) VALUES (NEW.id);
    IF (NEW.published_at IS NOT NULL OR OLD.published_at IS NOT NULL)
            AND (TG_OP = 'INSERT' OR OLD.title IS DISTINCT FROM NEW.title
                 OR OLD.published_at IS DISTINCT FROM NEW.published_at) THEN
        INSERT INTO recheck_marks (item_id) {_same_title("btrim")};
    END IF;
    RETURN NULL;
END $$""",
    """CREATE FUNCTION recheck_item_of() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO recheck_marks (item_id) VALUES (NEW.item_id);
    RETURN NULL;
END $$""",
    f"""CREATE FUNCTION recheck_message() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_message_marks()[0]};
    IF NEW.content LIKE {TITLED} THEN
        {_message_marks()[1]};
    END IF;
    RETURN NULL;
END $$""",
    f"""CREATE FUNCTION recheck_ticket() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_ticket_marks()[0]};
    {_ticket_marks()[1]};
    RETURN NULL;
END $$""",
    """CREATE FUNCTION recheck_forget() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE recheck_basis SET basis = '';
    RETURN NULL;
END $$""",
    "CREATE TRIGGER recheck_item_new AFTER INSERT ON content_items "
    "FOR EACH ROW EXECUTE FUNCTION recheck_item()",
    "CREATE TRIGGER recheck_item_changed AFTER UPDATE OF state, published_at, expires_on, "
    "topic, author_id, title ON content_items FOR EACH ROW EXECUTE FUNCTION recheck_item()",
    "CREATE TRIGGER recheck_checked AFTER INSERT ON audit_log FOR EACH ROW "
    f"WHEN (NEW.item_id IS NOT NULL AND NEW.event IN {CHECKS}) "
    "EXECUTE FUNCTION recheck_item_of()",
    "CREATE TRIGGER recheck_signalled AFTER INSERT ON recheck_signals FOR EACH ROW "
    "EXECUTE FUNCTION recheck_item_of()",
    "CREATE TRIGGER recheck_commented AFTER INSERT ON comment_tickets FOR EACH ROW "
    "EXECUTE FUNCTION recheck_item_of()",
    "CREATE TRIGGER recheck_said AFTER INSERT ON ticket_messages FOR EACH ROW "
    "WHEN (NEW.direction = 'in') EXECUTE FUNCTION recheck_message()",
    "CREATE TRIGGER recheck_ranked AFTER UPDATE OF priority ON reply_tickets FOR EACH ROW "
    "WHEN (OLD.priority IS DISTINCT FROM NEW.priority) EXECUTE FUNCTION recheck_ticket()",
    *[f"CREATE TRIGGER recheck_{table}_in_place AFTER DELETE OR UPDATE"
      f"{' OF ' + columns if columns else ''} ON {table} "
      "FOR EACH STATEMENT EXECUTE FUNCTION recheck_forget()" for table, columns in IN_PLACE],
]

SQLITE = [
    "CREATE TRIGGER recheck_item_new AFTER INSERT ON content_items BEGIN "
    "INSERT INTO recheck_marks (item_id) VALUES (NEW.id); "
    f"INSERT INTO recheck_marks (item_id) SELECT id FROM content_items "
    f"WHERE NEW.published_at IS NOT NULL AND published_at IS NOT NULL AND id <> NEW.id "
    f"AND trim(title, '{BLANKS}') = trim(NEW.title, '{BLANKS}'); END",
    "CREATE TRIGGER recheck_item_changed AFTER UPDATE OF state, published_at, expires_on, "
    "topic, author_id, title ON content_items BEGIN "
    "INSERT INTO recheck_marks (item_id) VALUES (NEW.id); "
    f"INSERT INTO recheck_marks (item_id) {_same_title('trim')} "
    "AND (OLD.title IS NOT NEW.title OR OLD.published_at IS NOT NEW.published_at); END",
    "CREATE TRIGGER recheck_checked AFTER INSERT ON audit_log "
    f"WHEN NEW.item_id IS NOT NULL AND NEW.event IN {CHECKS} BEGIN "
    "INSERT INTO recheck_marks (item_id) VALUES (NEW.item_id); END",
    "CREATE TRIGGER recheck_signalled AFTER INSERT ON recheck_signals BEGIN "
    "INSERT INTO recheck_marks (item_id) VALUES (NEW.item_id); END",
    "CREATE TRIGGER recheck_commented AFTER INSERT ON comment_tickets BEGIN "
    "INSERT INTO recheck_marks (item_id) VALUES (NEW.item_id); END",
    "CREATE TRIGGER recheck_said AFTER INSERT ON ticket_messages WHEN NEW.direction = 'in' "
    f"BEGIN {_message_marks()[0]}; END",
    "CREATE TRIGGER recheck_quoted AFTER INSERT ON ticket_messages "
    f"WHEN NEW.direction = 'in' AND NEW.content LIKE {TITLED} BEGIN {_message_marks()[1]}; END",
    "CREATE TRIGGER recheck_ranked AFTER UPDATE OF priority ON reply_tickets "
    f"WHEN OLD.priority IS NOT NEW.priority BEGIN {'; '.join(_ticket_marks())}; END",
    *[f"CREATE TRIGGER recheck_{table}_{verb.split()[0].lower()} AFTER {verb} ON {table} "
      "BEGIN UPDATE recheck_basis SET basis = ''; END"
      for table, columns in IN_PLACE
      for verb in ("DELETE", f"UPDATE{' OF ' + columns if columns else ''}")],
]

TRIGGERS = ("recheck_item_new", "recheck_item_changed", "recheck_checked", "recheck_signalled",
            "recheck_commented", "recheck_said", "recheck_ranked")


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "recheck_dates",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=128), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("signal_kind", sa.String(length=16), nullable=True),
        sa.Column("signal_on", sa.Date(), nullable=True),
        sa.Column("signal_detail", sa.JSON(), nullable=True),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_verdict", sa.String(length=16), nullable=True),
        sa.Column("last_actor_id", sa.Integer(), nullable=True),
        sa.Column("last_actor_name", sa.String(length=64), nullable=True),
        sa.Column("last_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["content_items.id"],
                                name=op.f("fk_recheck_dates_item_id_content_items"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_recheck_dates")),
    )
    op.create_index("ix_recheck_dates_due_on", "recheck_dates", ["due_on", "item_id"])
    for name, column in (("recheck_marks", "item_id"), ("recheck_notes", "message_id")):
        op.create_table(
            name,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column(column, sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        )
    op.create_table(
        "recheck_quotes",
        sa.Column("title", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("title", "message_id", name=op.f("pk_recheck_quotes")),
    )
    op.create_table(
        "recheck_basis",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recheck_basis")),
    )
    op.create_index(op.f("ix_comment_tickets_item_id"), "comment_tickets", ["item_id"])
    for statement in POSTGRES if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name == "postgresql":
        for table, _ in IN_PLACE:
            op.execute(f"DROP TRIGGER recheck_{table}_in_place ON {table}")
        for name, table in zip(TRIGGERS, ("content_items", "content_items", "audit_log",
                                          "recheck_signals", "comment_tickets",
                                          "ticket_messages", "reply_tickets"), strict=True):
            op.execute(f"DROP TRIGGER {name} ON {table}")
        for function in ("recheck_item", "recheck_item_of", "recheck_message",
                         "recheck_ticket", "recheck_forget"):
            op.execute(f"DROP FUNCTION {function}()")
    else:
        names = [*TRIGGERS, "recheck_quoted",
                 *[f"recheck_{table}_{verb}" for table, _ in IN_PLACE
                   for verb in ("delete", "update")]]
        for name in names:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_index(op.f("ix_comment_tickets_item_id"), table_name="comment_tickets")
    for name in ("recheck_basis", "recheck_quotes", "recheck_notes", "recheck_marks",
                 "recheck_dates"):
        op.drop_table(name)
