"""A follower's push on PostgreSQL in one statement: ``wxops_push``

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07

``inbound_messages.reply_outcome`` keeps what a push's acknowledgement was
made from (the text's key, the ticket, whether it was a complaint), for a
push whose reply is rendered after its one statement: a retry renders it
again from that (``storage.one_trip``).

On PostgreSQL two functions: ``wxops_ticket_arrive`` applies
``workflow.tickets.arrive`` to a follower's tickets (as
``storage.tickets.record_inbound`` does in up to four statements), and
``wxops_push`` records a follower's text whole: the replay guard, the
dedupe claim, the follower's interaction, then the rule's hit or the ticket
log, and returns what the reply needs. It writes nothing and answers
``fallback`` for a sender it cannot finish alone (staff, a follower in a
survey). SQLite keeps the statements of ``storage.inbound``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0030"
down_revision: str | Sequence[str] | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# workflow.tickets.arrive and follow_up_note; workflow.tickets.SUMMARY_LENGTH (60).
# tests/integration/test_arrivals.py checks this agrees with the rule on every case.
ARRIVE = """
CREATE OR REPLACE FUNCTION wxops_ticket_arrive(
    p_follower bigint, p_kind text, p_content text, p_inbound bigint,
    p_now timestamptz, p_priority integer, p_quiet_since timestamptz,
    OUT o_ticket bigint, OUT o_arrival text, OUT o_note text)
LANGUAGE plpgsql AS $$
DECLARE
    t record;
BEGIN
    -- The usual case: the ticket already waiting at this priority or above and
    -- not quiet takes the message, and nothing in it changes.
    WITH waiting AS (
        SELECT id, priority,
               (SELECT created_at FROM ticket_messages WHERE id = (
                   SELECT max(id) FROM ticket_messages
                   WHERE ticket_id = reply_tickets.id)) AS last_at
        FROM reply_tickets
        WHERE follower_id = p_follower AND status = 'open' AND waiting_since IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM comment_tickets
                          WHERE comment_tickets.ticket_id = reply_tickets.id)
        FOR UPDATE)
    INSERT INTO ticket_messages (ticket_id, direction, kind, content, inbound_id,
                                 delivery, created_at)
    SELECT max(id), 'in', left(p_kind, 16), p_content, p_inbound, '', p_now FROM waiting
    HAVING min(priority) >= p_priority AND max(last_at) > p_quiet_since
    RETURNING ticket_id INTO o_ticket;
    IF FOUND THEN
        o_arrival := 'joined';
        RETURN;
    END IF;
    SELECT id, status, waiting_since, priority,
           (SELECT created_at FROM ticket_messages WHERE id = (
               SELECT max(id) FROM ticket_messages
               WHERE ticket_id = reply_tickets.id)) AS last_at
    INTO t
    FROM reply_tickets
    WHERE follower_id = p_follower AND status IN ('open', 'pending', 'snoozed')
      AND NOT EXISTS (SELECT 1 FROM comment_tickets
                      WHERE comment_tickets.ticket_id = reply_tickets.id)
    ORDER BY id DESC LIMIT 1 FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO reply_tickets (follower_id, status, priority, summary, opened_at,
                                   waiting_since, resolution, version)
        VALUES (p_follower, 'open', p_priority, left(p_content, 60), p_now, p_now, '', 1)
        RETURNING id INTO o_ticket;
        o_arrival := 'opened';
    ELSE
        o_ticket := t.id;
        IF p_priority > t.priority THEN
            o_note := 'complaint';
        ELSIF t.last_at IS NULL OR t.last_at <= p_quiet_since THEN
            o_note := 'quiet';
        END IF;
        IF t.status = 'open' AND t.waiting_since IS NOT NULL AND t.priority >= p_priority THEN
            o_arrival := 'joined';
        ELSE
            UPDATE reply_tickets SET status = 'open', snoozed_until = NULL,
                priority = greatest(priority, p_priority),
                waiting_since = COALESCE(waiting_since, p_now), version = version + 1
            WHERE id = t.id;
            o_arrival := 'reopened';
        END IF;
    END IF;
    INSERT INTO ticket_messages (ticket_id, direction, kind, content, inbound_id,
                                 delivery, created_at)
    VALUES (o_ticket, 'in', left(p_kind, 16), p_content, p_inbound, '', p_now);
END
$$
"""

# One follower text, whole. The order is today's transaction's: replay guard,
# claim, follower, then the rule's hit (its reply stored with the claim) or
# the ticket log (the acknowledgement's outcome stored for retries). A retry
# gets the stored reply, the outcome and the admin's text for it.
PUSH = """
CREATE OR REPLACE FUNCTION wxops_push(
    p_check_nonce boolean, p_ts bigint, p_nonce text, p_body_hash text,
    p_key text, p_from text, p_to text, p_msg_type text, p_event text, p_msg_id bigint,
    p_create_time bigint, p_payload json, p_authenticated boolean, p_mode text,
    p_now timestamptz, p_rule bigint, p_reply text, p_kind text, p_content text,
    p_priority integer, p_quiet_since timestamptz, p_open boolean,
    OUT o_status text, OUT o_inbound bigint, OUT o_reply text, OUT o_outcome json,
    OUT o_text text)
LANGUAGE plpgsql AS $$
DECLARE
    v_hash text;
    v_follower bigint;
    v_key text;
    a record;
BEGIN
    -- A sender the statement cannot finish alone: nothing written.
    IF EXISTS (SELECT 1 FROM staff WHERE openid = p_from AND active)
       OR EXISTS (SELECT 1 FROM followers f JOIN survey_answer_sets s
                  ON s.follower_id = f.id AND s.state = 'started'
                  WHERE f.openid = p_from) THEN
        o_status := 'fallback';
        RETURN;
    END IF;
    IF p_check_nonce THEN
        INSERT INTO inbound_nonces (timestamp, nonce, body_hash)
        VALUES (p_ts, p_nonce, p_body_hash) ON CONFLICT DO NOTHING;
        IF NOT FOUND THEN
            SELECT body_hash INTO v_hash FROM inbound_nonces
            WHERE timestamp = p_ts AND nonce = p_nonce;
            IF v_hash IS DISTINCT FROM p_body_hash THEN
                o_status := 'replayed';
                RETURN;
            END IF;
        END IF;
    END IF;
    INSERT INTO inbound_messages (dedupe_key, from_openid, to_user, msg_type, event, msg_id,
        create_time, payload, authenticated, mode, reply, error, received_at, handled_at)
    VALUES (p_key, p_from, p_to, p_msg_type, p_event, p_msg_id, p_create_time, p_payload,
            p_authenticated, p_mode, COALESCE(p_reply, ''), '', p_now, p_now)
    ON CONFLICT DO NOTHING RETURNING id INTO o_inbound;
    IF NOT FOUND THEN
        SELECT reply, reply_outcome INTO o_reply, o_outcome FROM inbound_messages
        WHERE dedupe_key = p_key;
        o_status := 'retry';
        o_text := (SELECT body FROM account_texts WHERE key = o_outcome ->> 'text');
        RETURN;
    END IF;
    INSERT INTO followers (openid, subscribed, message_window_sent, event_window_sent,
        last_interaction_at, last_interaction_kind, last_message_at, message_window_start)
    VALUES (p_from, true, 0, 0, p_now, 'message', p_now, p_now)
    ON CONFLICT (openid) DO UPDATE SET last_interaction_at = excluded.last_interaction_at,
        last_interaction_kind = excluded.last_interaction_kind,
        last_message_at = excluded.last_message_at,
        message_window_start = excluded.message_window_start,
        message_window_sent = excluded.message_window_sent
    RETURNING id INTO v_follower;
    o_status := 'handled';
    IF p_rule IS NOT NULL THEN
        UPDATE auto_reply_rules SET hits = hits + 1 WHERE id = p_rule;
        o_reply := COALESCE(p_reply, '');
        RETURN;
    END IF;
    SELECT * INTO a FROM wxops_ticket_arrive(v_follower, p_kind, p_content, o_inbound,
                                             p_now, p_priority, p_quiet_since);
    -- workflow.tickets.Arrived.acknowledgement, and its out-of-hours variant
    v_key := CASE WHEN a.o_arrival = 'opened' THEN 'ack'
                  WHEN a.o_note IS NOT NULL THEN 'ack_follow_up' END;
    o_reply := '';
    IF v_key IS NOT NULL THEN
        IF NOT p_open THEN
            v_key := v_key || '_away';
        END IF;
        o_outcome := json_build_object('text', v_key, 'ticket', a.o_ticket,
                                       'complaint', a.o_note IS NOT DISTINCT FROM 'complaint',
                                       'at', floor(extract(epoch FROM p_now))::bigint);
        UPDATE inbound_messages SET reply_outcome = o_outcome WHERE id = o_inbound;
        o_text := (SELECT body FROM account_texts WHERE key = v_key);
    END IF;
END
$$
"""


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("inbound_messages", sa.Column("reply_outcome", sa.JSON(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(ARRIVE)
        op.execute(PUSH)


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS wxops_push(boolean, bigint, text, text, text, text,"
                   " text, text, text, bigint, bigint, json, boolean, text, timestamptz,"
                   " bigint, text, text, text, integer, timestamptz, boolean)")
        op.execute("DROP FUNCTION IF EXISTS wxops_ticket_arrive(bigint, text, text, bigint,"
                   " timestamptz, integer, timestamptz)")
    with op.batch_alter_table("inbound_messages") as batch:
        batch.drop_column("reply_outcome")
