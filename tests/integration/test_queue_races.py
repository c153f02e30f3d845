"""Reply-queue commands racing each other: one wins, the other is told how it ended.

On PostgreSQL the second command starts while the first is uncommitted; SQLite
runs one writer at a time, so there they simply run one after the other.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import Engine

from handlers import refusals
from handlers.commands import dispatch
from handlers.commands.context import CommandContext, Result
from handlers.commands.grammar import CommandError
from tests.integration.commanding import NOW, audit_trail, command_context
from tests.integration.queueing import Team, fan, make_team, outbox_rows, say, ticket
from workflow.errors import WorkflowError
from workflow.roles import Actor


@pytest.fixture
def team(engine: Engine) -> Team:
    return make_team(engine)


def test_two_claims_at_once_one_wins_the_other_is_told_who(engine: Engine, team: Team) -> None:
    ticket_id = fan(engine, "o_a", "你好", NOW)
    first, second = _racing(engine, (team.wang, f"接 T{ticket_id}"),
                            (team.li, f"接 T{ticket_id}"))
    assert _claimed(first, ticket_id)
    assert _refused(second) == ("claim", "taken", team.wang.name, "")
    assert ticket(engine, ticket_id).assignee_id == team.wang.id


def test_many_claims_racing_have_exactly_one_winner(engine: Engine, team: Team) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers are a PostgreSQL matter; SQLite serialises them")
    ticket_id = fan(engine, "o_a", "你好", NOW)
    people = [team.admin, team.wang, team.li]
    start = threading.Barrier(len(people))
    answers: dict[str, Outcome] = {}

    def claim(actor: Actor) -> None:
        start.wait()
        answers[actor.name] = _act(engine, actor, f"接 T{ticket_id}")

    threads = [threading.Thread(target=claim, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert len(answers) == len(people)  # none crashed or hung
    winners = [name for name, answer in answers.items() if _claimed(answer, ticket_id)]
    assert len(winners) == 1
    losers = {_refused(answer) for name, answer in answers.items() if name not in winners}
    assert losers == {("claim", "taken", winners[0], "")}
    assert [e for e in audit_trail(engine) if e[1] == "claim"] == [
        (f"ticket:{ticket_id}", "claim", winners[0])]


Outcome = Result | tuple[str, dict[str, Any]]  # an answer, or a refusal's code and data


def _act(engine: Engine, actor: Actor, text: str) -> Outcome:
    """One command in its own transaction, as the endpoint runs it."""
    with engine.begin() as conn:
        return _perform(command_context(conn, actor, f"o_staff_{actor.id}", text))


def _perform(ctx: CommandContext) -> Outcome:
    """The answer or the refusal, each worded once as the staff member would read
    it (a template that cannot be filled fails the test)."""
    try:
        answer = dispatch.answer(ctx, trusted=True)
    except CommandError as error:
        refusals.say(error)
        return error.code, dict(error.data)
    except WorkflowError as error:
        refusals.say(error)
        return error.code, refusals.data(error)
    answer.render()
    return answer


def _claimed(answer: Outcome, ticket_id: int) -> bool:
    return (isinstance(answer, Result) and answer.template == "ticket_claimed"
            and answer.context["t"].id == ticket_id and not answer.context["again"])


def _refused(answer: Outcome) -> tuple[str, str, str | None, str]:
    """A ticket refusal's action and reason, and the ticket's holder and resolution
    as it is now (``raced`` or not: the words are the same)."""
    assert isinstance(answer, tuple) and answer[0] == "ticket_refused", answer
    data = answer[1]
    return data["action"], data["refusal"], data["assignee"], data["resolution"]


def _racing(engine: Engine, first: tuple[Actor, str],
            second: tuple[Actor, str]) -> list[Outcome]:
    """Two commands; on PostgreSQL the second starts while the first is uncommitted."""
    if engine.dialect.name != "postgresql":  # SQLite runs one writer at a time anyway
        return [_act(engine, *first), _act(engine, *second)]
    answers: list[Outcome] = []
    with engine.begin() as conn:
        actor, text = first
        answers.append(_perform(command_context(conn, actor, f"o_staff_{actor.id}", text)))
        rival = threading.Thread(target=lambda: answers.append(_act(engine, *second)))
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
    assert isinstance(closed, Result) and closed.template == "ticket_closed"
    assert _refused(replied) == ("reply", "closed", team.wang.name, "resolved")
    assert ticket(engine, ticket_id).status == "resolved"
    assert outbox_rows(engine) == []


def test_a_close_racing_a_close_is_told_how_it_ended(engine: Engine, team: Team) -> None:
    ticket_id = fan(engine, "o_a", "你好", NOW)
    _, second = _racing(engine, (team.wang, f"结 T{ticket_id}"), (team.li, f"结 T{ticket_id}"))
    assert _refused(second) == ("close", "closed", team.wang.name, "resolved")


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
