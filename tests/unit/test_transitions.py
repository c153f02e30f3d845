"""Every state x event x role, checked against tables written out independently.

The oracle below is copied from shared/DESIGN.md by hand, not computed from
``workflow``: if the code's table drifts from the design, these tests fail.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workflow.errors import PermissionDenied, TransitionNotAllowed
from workflow.machine import decide
from workflow.model import ContentItem, Context, Review, ReviewDecision, ReviewStage
from workflow.roles import Actor, Role, roles_for
from workflow.states import TRANSITIONS, Event, State

DESIGN_TABLE = """
planned | start -> drafting, cancel -> cancelled
drafting | submit -> in_review, cancel -> cancelled
in_review | approve -> final_review, request_changes -> changes_requested
changes_requested | submit -> in_review
final_review | final_approve -> approved, request_changes -> changes_requested
approved | schedule -> scheduled, publish -> publishing
scheduled | unschedule -> approved, due -> publishing
publishing | publish_succeeded -> published, publish_failed -> publish_failed
publish_failed | retry -> publishing, request_changes -> changes_requested
published | recheck_ok -> published, flag_outdated -> needs_update, withdraw -> withdrawn, archive -> archived
needs_update | revise -> drafting, withdraw -> withdrawn, recheck_ok -> published
withdrawn | archive -> archived
"""  # noqa: E501

# What the code adds to the design's table, each for a stated rule (the last:
# issue 21, an account that may not publish through the platform publishes by
# hand, and an admin records the article's link):
ADDITIONS = """
scheduled | schedule -> scheduled, publish -> publishing
planned | edit -> planned, mark_sensitive -> planned
drafting | edit -> drafting, mark_sensitive -> drafting
changes_requested | edit -> changes_requested, mark_sensitive -> changes_requested
in_review | edit -> in_review, mark_sensitive -> in_review
final_review | edit -> in_review, mark_sensitive -> final_review
approved | edit -> in_review, mark_sensitive -> final_review
scheduled | edit -> in_review, mark_sensitive -> final_review
publish_failed | edit -> in_review, submit_confirmed -> publishing
planned | assign -> planned, set_due -> planned
drafting | assign -> drafting, set_due -> drafting
changes_requested | assign -> changes_requested, set_due -> changes_requested
needs_update | assign -> needs_update, set_due -> needs_update
publishing | record_published -> published
"""

# DESIGN.md: creator (plan, write, submit), reviewer (approve, request changes,
# final approve), analyst (statistics, flag outdated), admin (all); the
# scheduler and WeChat (system) report timed publishes and results; the system
# marks an item sensitive when its new revision has a word of the list (issue 22).
EVENT_ROLES_ORACLE: dict[str, set[str]] = {
    "start": {"creator", "admin"}, "cancel": {"creator", "admin"},
    "submit": {"creator", "admin"}, "edit": {"creator", "admin"},
    "revise": {"creator", "admin"},
    "approve": {"reviewer", "admin"}, "request_changes": {"reviewer", "admin"},
    "final_approve": {"reviewer", "admin"}, "mark_sensitive": {"reviewer", "admin", "system"},
    "recheck_ok": {"reviewer", "analyst", "admin"},
    "flag_outdated": {"reviewer", "analyst", "admin"},
    "schedule": {"admin"}, "unschedule": {"admin"}, "publish": {"admin"},
    "retry": {"admin"}, "withdraw": {"admin"}, "archive": {"admin"},
    "due": {"system"}, "publish_succeeded": {"system"}, "publish_failed": {"system"},
    "submit_confirmed": {"system"},
    "plan": {"creator", "admin"},
    # Topic planning (issue 19): an admin gives an item to a writer; its writer
    # (or an admin) says when the draft is due.
    "assign": {"admin"}, "set_due": {"creator", "admin"},
    # Issue 21: only an admin records an article published by hand.
    "record_published": {"admin"},
}


def _parse(text: str) -> dict[tuple[str, str], str]:
    table = {}
    for line in text.strip().splitlines():
        state, moves = (part.strip() for part in line.split("|"))
        for move in moves.split(","):
            event, target = (p.strip() for p in move.split("->"))
            table[(state, event)] = target
    return table


LEGAL = _parse(DESIGN_TABLE) | _parse(ADDITIONS)

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
AUTHOR, FIRST_REVIEWER = 1, 2
ACTORS = {
    "creator": Actor(AUTHOR, "作者", frozenset({Role.CREATOR})),
    "reviewer": Actor(3, "审核员", frozenset({Role.REVIEWER})),
    "analyst": Actor(4, "分析员", frozenset({Role.ANALYST})),
    "admin": Actor(5, "管理员", frozenset({Role.ADMIN})),
    "system": Actor(0, "系统", frozenset({Role.SYSTEM})),
}


def _item(state: State) -> ContentItem:
    return ContentItem(id=7, title="稿件", author_id=AUTHOR, state=state, review_round=1,
                       article_id="art-1", body="<p>正文</p>")


def _reviews(state: State) -> list[Review]:
    """A first-stage approval by someone else, as after a real first review."""
    first = Review(7, FIRST_REVIEWER, ReviewStage.FIRST, ReviewDecision.APPROVED, 1, 1)
    if state in (State.APPROVED, State.SCHEDULED):
        final = Review(7, 6, ReviewStage.FINAL, ReviewDecision.APPROVED, 1, 1)
        return [first, final]
    return [first]


def _ctx() -> Context:
    return Context(now=NOW, comment="理由", when=NOW + timedelta(days=1),
                   due_on=(NOW + timedelta(days=3)).date(),
                   assignee=Actor(8, "新作者", frozenset({Role.CREATOR})),
                   extra={"url": "https://mp.weixin.qq.com/s/abc"})


def test_code_table_is_the_design_table_plus_documented_additions() -> None:
    code = {(t.source.value, t.event.value) for t in TRANSITIONS}
    assert code == set(LEGAL)


def test_every_event_has_an_oracle_role_entry() -> None:
    assert set(EVENT_ROLES_ORACLE) == {e.value for e in Event}


CASES = [(s, e, r) for s in State for e in Event if e is not Event.PLAN for r in ACTORS]


@pytest.mark.parametrize(("state", "event", "role"), CASES,
                         ids=[f"{s.value}-{e.value}-{r}" for s, e, r in CASES])
def test_state_event_role(state: State, event: Event, role: str) -> None:
    actor = ACTORS[role]
    item, reviews = _item(state), _reviews(state)
    if role not in EVENT_ROLES_ORACLE[event.value]:
        with pytest.raises(PermissionDenied) as refused:
            decide(item, reviews, actor, event, _ctx())
        assert (refused.value.event, refused.value.roles) == (event, roles_for(event))
    elif (state.value, event.value) not in LEGAL:
        with pytest.raises(TransitionNotAllowed) as illegal:
            decide(item, reviews, actor, event, _ctx())
        assert (illegal.value.state, illegal.value.event) == (state, event)
    else:
        decision = decide(item, reviews, actor, event, _ctx())
        assert decision.item.state.value == LEGAL[(state.value, event.value)]
        assert decision.item.version == item.version + 1
        assert (decision.audit.actor_id, decision.audit.event) == (actor.id, event)
        assert decision.audit.from_state is state
