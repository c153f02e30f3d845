"""One queue: the chat's 队列 and `wxops queue list` read the same view
(ticket_cases.queue), so they list the same tickets in the same order, and a
ticket snoozed for later is in neither (docs/reply-queue.md). And one trail: a
queue action leaves the same audit row from either front door."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from bot.columns import width
from storage.db import make_engine
from storage.models import AuditRow
from tests.integration.clirun import Wxops
from tests.integration.commanding import ask
from tests.integration.queueing import fan, make_team, say

MINUTE = timedelta(minutes=1)


def test_chat_and_cli_list_the_same_tickets_in_the_same_order(engine_url: str,
                                                               wxops: Wxops) -> None:
    engine = make_engine(engine_url)
    team, now = make_team(engine), datetime.now(UTC)
    ids = [fan(engine, f"o_{n}", f"留言 {n}", now - (50 - n) * MINUTE,
               priority=1 if n == 3 else 0) for n in range(6)]
    say(engine, team.wang, f"缓 T{ids[0]} 2小时", now)  # set aside for later: in neither
    say(engine, team.wang, f"缓 T{ids[1]} 1小时", now - 2 * 60 * MINUTE)  # run out: in both
    say(engine, team.wang, f"回 T{ids[2]} 好的", now)  # answered: last, waiting for nobody
    say(engine, team.wang, f"结 T{ids[4]}", now)

    chat = ask(engine, team.li.id, "队列", now)
    cli = wxops("queue", "list")
    engine.dispose()

    assert cli.status == 0, cli.err
    listed = [row["t"].id for row in chat.context["rows"]]
    assert (chat.template, chat.context["total"], chat.context["snoozed"]) == ("queue", 4, 1)
    assert listed == [int(n) for n in re.findall(r"^.T(\d+)", cli.out, re.M)]
    assert listed == [ids[3], ids[1], ids[5], ids[2]]  # complaint, longest waiting, answered
    assert "另有 1 条暂缓" in cli.out  # the CLI's words (bot/cli_queue.py): it counts it too
    everything = wxops("queue", "list", "--all").out
    assert {int(n) for n in re.findall(r"^.T(\d+)", everything, re.M)} == set(ids)
    # The columns line up, the answered ticket's "-" (waiting on nobody) included.
    assert len({width(row[:row.index("留言")]) for row in everything.splitlines()
                if "留言" in row}) == 1


def test_a_cli_reply_and_a_chat_reply_leave_the_same_audit_row(engine_url: str,
                                                               wxops: Wxops) -> None:
    """The use case audits (workflow.ticket_cases), not the chat handler."""
    engine = make_engine(engine_url)
    team, now = make_team(engine), datetime.now(UTC)
    by_chat, by_cli = (fan(engine, openid, "几点开始", now - MINUTE) for openid in ("o_a", "o_b"))

    say(engine, team.wang, f"回 T{by_chat} 九点", now)
    cli = wxops("queue", "reply", f"T{by_cli}", "九点", "--as", team.wang.name)

    assert cli.status == 0, cli.err
    chat_row, cli_row = _audit_rows(engine)
    engine.dispose()
    assert chat_row == (f"ticket:{by_chat}", "reply", team.wang.id, team.wang.name, "pending",
                        "九点", f"回 T{by_chat} 九点")
    assert cli_row == (f"ticket:{by_cli}", *chat_row[1:6], f"回 T{by_cli} 九点")


def _audit_rows(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(select(AuditRow.subject, AuditRow.event, AuditRow.actor_id,
                                   AuditRow.actor_name, AuditRow.result, AuditRow.comment,
                                   AuditRow.command).order_by(AuditRow.id)).all()
    return [tuple(row) for row in rows]
