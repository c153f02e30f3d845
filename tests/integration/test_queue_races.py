"""Reply-queue commands racing each other: one wins, the other is told how it ended.

On PostgreSQL the second command starts while the first is uncommitted; SQLite
runs one writer at a time, so there they simply run one after the other.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine

from handlers.commands import dispatch
from tests.integration.commanding import NOW, audit_trail, command_context
from tests.integration.queueing import Team, fan, make_team, outbox_rows, say, ticket
from workflow.roles import Actor


@pytest.fixture
def team(engine: Engine) -> Team:
    return make_team(engine)


def test_two_claims_at_once_one_wins_the_other_is_told_who(engine: Engine, team: Team) -> None:
    ticket_id = fan(engine, "o_a", "你好", NOW)
    first, second = _racing(engine, (team.wang, f"接 T{ticket_id}"),
                            (team.li, f"接 T{ticket_id}"))
    assert first.startswith(f"已认领 T{ticket_id}")
    assert second == f"T{ticket_id} 已由 王芳 认领"
    assert ticket(engine, ticket_id).assignee_id == team.wang.id


def test_many_claims_racing_have_exactly_one_winner(engine: Engine, team: Team) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers are a PostgreSQL matter; SQLite serialises them")
    ticket_id = fan(engine, "o_a", "你好", NOW)
    people = [team.admin, team.wang, team.li]
    start = threading.Barrier(len(people))
    answers: dict[str, str] = {}

    def claim(actor: Actor) -> None:
        start.wait()
        answers[actor.name] = say(engine, actor, f"接 T{ticket_id}")

    threads = [threading.Thread(target=claim, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert len(answers) == len(people)  # none crashed or hung
    winners = [name for name, text in answers.items() if text.startswith("已认领")]
    assert len(winners) == 1
    losers = {text for name, text in answers.items() if name not in winners}
    assert losers == {f"T{ticket_id} 已由 {winners[0]} 认领"}
    assert [e for e in audit_trail(engine) if e[1] == "claim"] == [
        (f"ticket:{ticket_id}", "claim", winners[0])]


def _racing(engine: Engine, first: tuple[Actor, str], second: tuple[Actor, str]) -> list[str]:
    """Two commands; on PostgreSQL the second starts while the first is uncommitted."""
    if engine.dialect.name != "postgresql":  # SQLite runs one writer at a time anyway
        return [say(engine, *first), say(engine, *second)]
    answers: list[str] = []
    with engine.begin() as conn:
        actor, text = first
        answers.append(dispatch.run(command_context(conn, actor, f"o_staff_{actor.id}", text),
                                    trusted=True))
        rival = threading.Thread(target=lambda: answers.append(say(engine, *second)))
        rival.start()
        rival.join(0.5)
        assert rival.is_alive()  # waiting for the first transaction, not overwriting it
    rival.join(10)
    return answers


def test_a_reply_racing_a_close_is_refused_and_nothing_is_queued(engine: Engine,
                                                                 team: Team) -> None:
    ticket_id = fan(engine, "o_a", "你好", NOW)
    closed, replied = _racing(engine, (team.wang, f"结 T{ticket_id}"),
                              (team.li, f"回 T{ticket_id} 周六见"))
    assert closed.startswith(f"T{ticket_id} 已结束：你好")
    assert replied == f"T{ticket_id} 已结束（已解决），不能再回复；粉丝再发消息会开新工单"
    assert ticket(engine, ticket_id).status == "resolved"
    assert outbox_rows(engine) == []


def test_a_close_racing_a_close_is_told_how_it_ended(engine: Engine, team: Team) -> None:
    ticket_id = fan(engine, "o_a", "你好", NOW)
    _, second = _racing(engine, (team.wang, f"结 T{ticket_id}"), (team.li, f"结 T{ticket_id}"))
    assert second == f"T{ticket_id} 已经结束了（已解决）"


def test_a_follower_message_racing_a_close_opens_a_new_ticket(engine: Engine,
                                                              team: Team) -> None:
    """The message finds the ticket it would join being closed: it waits for the
    close (the row is locked) and then, the ticket resolved, opens a new one.
    Joining the closing ticket would leave the message in no queue."""
    ticket_id = fan(engine, "o_a", "你好", NOW)
    if engine.dialect.name != "postgresql":  # SQLite runs one writer at a time anyway
        say(engine, team.wang, f"结 T{ticket_id}")
        new_id = fan(engine, "o_a", "还在吗", NOW)
    else:
        found: list[int] = []
        with engine.begin() as conn:
            dispatch.run(command_context(conn, team.wang, "o_staff_wang", f"结 T{ticket_id}"),
                         trusted=True)
            follower = threading.Thread(
                target=lambda: found.append(fan(engine, "o_a", "还在吗", NOW)))
            follower.start()
            follower.join(0.5)
            assert follower.is_alive()  # waiting for the close, not joining the ticket
        follower.join(10)
        new_id = found[0]
    assert new_id != ticket_id
    assert ticket(engine, ticket_id).status == "resolved"
    assert ticket(engine, new_id).status == "open"
