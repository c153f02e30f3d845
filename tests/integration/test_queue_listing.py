"""One queue: the chat's 队列 and `wxops queue list` read the same view
(ticket_cases.queue), so they list the same tickets in the same order, and a
ticket snoozed for later is in neither (docs/reply-queue.md)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage.db import make_engine
from tests.integration.queueing import fan, make_team, say
from tests.integration.test_cli import run

MINUTE = timedelta(minutes=1)


def test_chat_and_cli_list_the_same_tickets_in_the_same_order(engine_url: str,
                                                               tmp_path: Path) -> None:
    env = {"WXOPS_DATABASE_URL": engine_url}
    assert run(["db", "upgrade"], tmp_path, **env).returncode == 0
    engine = make_engine(engine_url)
    team = make_team(engine)
    now = datetime.now(UTC)
    ids = [fan(engine, f"o_{n}", f"留言 {n}", now - (50 - n) * MINUTE,
               priority=1 if n == 3 else 0) for n in range(6)]
    say(engine, team.wang, f"缓 T{ids[0]} 2小时", now)  # set aside for later: in neither
    say(engine, team.wang, f"缓 T{ids[1]} 1小时", now - 2 * 60 * MINUTE)  # run out: in both
    say(engine, team.wang, f"回 T{ids[2]} 好的", now)  # answered: last, waiting for nobody
    say(engine, team.wang, f"结 T{ids[4]}", now)

    chat = say(engine, team.li, "队列", now)
    cli = run(["queue", "list"], tmp_path, **env)
    engine.dispose()

    assert cli.returncode == 0, cli.stderr
    listed = [int(n) for n in re.findall(r"^T(\d+)", chat, re.M)]
    assert listed == [int(n) for n in re.findall(r"^.T(\d+)", cli.stdout, re.M)]
    assert listed == [ids[3], ids[1], ids[5], ids[2]]  # complaint, longest waiting, answered
    assert "另有 1 条暂缓" in cli.stdout
    everything = run(["queue", "list", "--all"], tmp_path, **env).stdout
    assert {int(n) for n in re.findall(r"^.T(\d+)", everything, re.M)} == set(ids)
