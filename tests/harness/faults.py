"""Faults a test puts into the database itself, on either engine."""

from __future__ import annotations

from sqlalchemy import Connection, text


def refuse_word(conn: Connection, word: str) -> None:
    """The database refuses a follower's message with ``word`` in it, as a bug
    would (a constraint on PostgreSQL, a trigger on SQLite): handling it fails."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE ticket_messages ADD CONSTRAINT refuse_word"
                          f" CHECK (content NOT LIKE '%{word}%')"))
    else:
        conn.execute(text("CREATE TRIGGER refuse_word BEFORE INSERT ON ticket_messages"
                          f" WHEN NEW.content LIKE '%{word}%'"
                          " BEGIN SELECT RAISE(ABORT, 'refused word'); END"))


def allow_words(conn: Connection) -> None:
    """Takes ``refuse_word`` back: what it refused can be handled (mended)."""
    conn.execute(text("ALTER TABLE ticket_messages DROP CONSTRAINT refuse_word"
                      if conn.dialect.name == "postgresql" else "DROP TRIGGER refuse_word"))
