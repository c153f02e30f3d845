"""Who may give the approvals an item still needs (workflow.approvals), and how
the calls for them are sent: never to someone the policy would refuse, and a
team short of such people hears it when the item is submitted or marked
sensitive, not when somebody is refused at final review."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from handlers import texts
from tests.unit.fakes import FakeUnitOfWork
from workflow import approvals, usecases
from workflow.model import ContentItem, Context, ItemChanges, Review, ReviewDecision, ReviewStage
from workflow.roles import Actor, Role
from workflow.states import Event, State

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
ADMIN = Actor(1, "老周", frozenset({Role.ADMIN}))
R1 = Actor(2, "王芳", frozenset({Role.REVIEWER}))
R2 = Actor(3, "陈静", frozenset({Role.REVIEWER}))
CREATOR = Actor(4, "小李", frozenset({Role.CREATOR}))
ADMIN2 = Actor(5, "老吴", frozenset({Role.ADMIN}))
ANALYST = Actor(6, "数据", frozenset({Role.ANALYST}))

#: The notices that ask their reader to approve the item.
ASKS = {"item_submitted", "item_resubmitted", "item_needs_final", "item_needs_second_final",
        "item_marked_sensitive"}


def ctx() -> Context:
    return Context(now=NOW, command="测试")


def item(state: State, author: Actor = ADMIN, sensitive: bool = False,
         edited_by: int | None = None) -> ContentItem:
    return ContentItem(id=7, title="义诊回顾", author_id=author.id, state=state,
                       sensitive=sensitive, body="<p>来了八十位居民。</p>", review_round=1,
                       edited_by=edited_by)


def approved(by: Actor, stage: ReviewStage) -> Review:
    return Review(7, by.id, stage, ReviewDecision.APPROVED, revision=1, review_round=1)


def ids(people: tuple[Actor, ...]) -> list[int]:
    return [p.id for p in people]


# The pure rule ---------------------------------------------------------------

def test_an_admin_authors_sensitive_item_needs_one_more_reviewer_than_a_team_of_two() -> None:
    """Admin author, two reviewers, sensitive: one first and two final reviews from
    three different people who did not write it; the team has two."""
    seen = approvals.outlook(item(State.DRAFTING, sensitive=True), [], [ADMIN, R1, R2])
    assert seen is not None
    assert (seen.stage, seen.needed, seen.finals, seen.missing) == (ReviewStage.FIRST, 3, 2, 1)
    assert ids(seen.qualified) == [R1.id, R2.id]
    assert seen.approvers == ()  # nothing to approve before it is submitted


def test_after_the_first_review_only_who_did_not_give_it_may_give_the_final_ones() -> None:
    it = item(State.FINAL_REVIEW, sensitive=True)
    seen = approvals.outlook(it, [approved(R1, ReviewStage.FIRST)], [ADMIN, R1, R2])
    assert seen is not None
    assert (seen.stage, seen.needed, seen.missing) == (ReviewStage.FINAL, 2, 1)
    assert ids(seen.approvers) == [R2.id]
    given = [approved(R1, ReviewStage.FIRST), approved(R2, ReviewStage.FINAL)]
    after = approvals.outlook(it, given, [ADMIN, R1, R2])
    assert after is not None
    assert (after.needed, after.approvers, after.missing) == (1, (), 1)


def test_an_admin_and_one_reviewer_cannot_pass_the_admins_own_item() -> None:
    seen = approvals.outlook(item(State.IN_REVIEW), [], [ADMIN, R1])
    assert seen is not None
    assert (ids(seen.approvers), seen.needed, seen.missing) == ([R1.id], 2, 1)
    final = approvals.outlook(item(State.FINAL_REVIEW), [approved(R1, ReviewStage.FIRST)],
                              [ADMIN, R1])
    assert final is not None
    assert (final.approvers, final.missing) == ((), 1)


def test_the_editor_of_the_revision_may_not_approve_it() -> None:
    seen = approvals.outlook(item(State.IN_REVIEW, author=CREATOR, edited_by=ADMIN.id), [],
                             [ADMIN, R1, R2, CREATOR, ANALYST])
    assert seen is not None
    assert (ids(seen.approvers), seen.missing) == ([R1.id, R2.id], 0)


def test_a_full_team_is_short_of_nobody_and_approved_items_need_no_one() -> None:
    seen = approvals.outlook(item(State.IN_REVIEW, author=CREATOR, sensitive=True), [],
                             [ADMIN, R1, R2, CREATOR])
    assert seen is not None and seen.missing == 0
    assert ids(seen.approvers) == [ADMIN.id, R1.id, R2.id]
    assert approvals.outlook(item(State.APPROVED), [], [ADMIN, R1, R2]) is None


@pytest.mark.parametrize(("team", "state", "asked"), [
    ([ADMIN, R1, R2], State.IN_REVIEW, [R1.id, R2.id]),  # reviewers; the admin wrote it
    ([ADMIN2, R1, CREATOR], State.IN_REVIEW, [R1.id]),  # a reviewer there: admins not bothered
    ([ADMIN, ADMIN2, CREATOR], State.IN_REVIEW, [ADMIN2.id]),  # no reviewer: an admin who may
    ([ADMIN, CREATOR], State.IN_REVIEW, []),  # the only admin wrote it: nobody
])
def test_calls_go_to_reviewers_and_to_admins_only_when_they_may_stand_in(
        team: list[Actor], state: State, asked: list[int]) -> None:
    seen = approvals.outlook(item(state), [], team)
    assert seen is not None and ids(approvals.to_ask(seen)) == asked


def test_a_sensitive_item_wanting_two_final_reviews_asks_an_admin_beside_one_reviewer() -> None:
    it = item(State.FINAL_REVIEW, author=CREATOR, sensitive=True)
    seen = approvals.outlook(it, [approved(R1, ReviewStage.FIRST)], [ADMIN, R1, R2, CREATOR])
    assert seen is not None and ids(approvals.to_ask(seen)) == [ADMIN.id, R2.id]


# The notices ------------------------------------------------------------------

def notices(uow: FakeUnitOfWork, since: set[str] | None = None) -> list[tuple[str, int]]:
    return sorted((p["template"], p["staff_id"]) for key, (kind, p) in uow.outbox.rows.items()
                  if kind == "notify" and key not in (since or set()))


def written_by(uow: FakeUnitOfWork, author: Actor, sensitive: Actor | None = None) -> int:
    """An item with text, in drafting; marked sensitive by ``sensitive`` if given."""
    made = usecases.plan(uow, author.id, "义诊回顾", ctx())
    usecases.act(uow, author.id, made.id, Event.START, ctx())
    uow.items.rows[made.id] = replace(uow.items.rows[made.id], body="<p>来了八十位居民。</p>")
    if sensitive is not None:
        usecases.act(uow, sensitive.id, made.id, Event.MARK_SENSITIVE, ctx())
    return made.id


def test_an_admin_is_never_asked_to_approve_his_own_sensitive_item() -> None:
    """The issue's team: the admin writes a sensitive item, two reviewers. After
    the first and one final review nobody may give the second: nobody is asked
    to, and the admin hears who is missing instead of 回复「终审 7」."""
    uow = FakeUnitOfWork([ADMIN, R1, R2])
    item_id = written_by(uow, ADMIN, sensitive=ADMIN)
    usecases.act(uow, ADMIN.id, item_id, Event.SUBMIT, ctx())
    usecases.act(uow, R1.id, item_id, Event.APPROVE, ctx())
    before = set(uow.outbox.rows)
    usecases.act(uow, R2.id, item_id, Event.FINAL_APPROVE, ctx())
    assert notices(uow, before) == [("item_approvers_missing", ADMIN.id)]
    assert not [n for n in notices(uow) if n[0] in ASKS and n[1] == ADMIN.id]
    short = next(p["context"]["short"] for _k, p in uow.outbox.rows.values()
                 if p.get("template") == "item_approvers_missing")
    assert (short["stage"], short["needed"], short["names"], short["missing"]) == (
        "final", 1, [], 1)


def test_marking_sensitive_tells_admins_at_once_when_the_team_is_short() -> None:
    """Checked when the item is marked, long before anyone reaches final review."""
    uow = FakeUnitOfWork([CREATOR, R1, ADMIN])
    item_id = written_by(uow, CREATOR)
    before = set(uow.outbox.rows)
    usecases.act(uow, R1.id, item_id, Event.MARK_SENSITIVE, ctx())
    assert notices(uow, before) == [("item_approvers_missing", ADMIN.id)]
    short = next(iter(uow.outbox.rows.values()))[1]["context"]["short"]
    assert (short["stage"], short["needed"], short["names"], short["missing"]) == (
        "first", 3, [ADMIN.name, R1.name], 1)


def test_a_call_says_who_is_missing_and_an_asked_admin_gets_no_second_notice() -> None:
    """Creator and admin only: the admin may give the first review, nobody the final."""
    uow = FakeUnitOfWork([CREATOR, ADMIN])
    item_id = written_by(uow, CREATOR)
    usecases.act(uow, CREATOR.id, item_id, Event.SUBMIT, ctx())
    [(_kind, payload)] = uow.outbox.rows.values()
    assert (payload["template"], payload["staff_id"]) == ("item_submitted", ADMIN.id)
    assert payload["context"]["short"]["missing"] == 1


def test_the_admin_who_edited_the_revision_is_not_asked_to_review_it() -> None:
    uow = FakeUnitOfWork([CREATOR, ADMIN, ADMIN2])
    item_id = written_by(uow, CREATOR)
    usecases.edit(uow, ADMIN.id, item_id, ItemChanges(title="义诊回顾（修订）"), ctx())
    usecases.act(uow, CREATOR.id, item_id, Event.SUBMIT, ctx())
    assert notices(uow) == [("item_approvers_missing", ADMIN.id), ("item_submitted", ADMIN2.id)]


def test_a_team_that_can_pass_the_item_hears_nothing_about_missing_members() -> None:
    uow = FakeUnitOfWork([CREATOR, R1, R2, ADMIN])
    item_id = written_by(uow, CREATOR, sensitive=ADMIN)
    usecases.act(uow, CREATOR.id, item_id, Event.SUBMIT, ctx())
    usecases.act(uow, R1.id, item_id, Event.APPROVE, ctx())
    # R2's unsent call to review is replaced by the newer one; two final reviews
    # are wanted and one reviewer may give them: the admin stands in beside R2.
    assert notices(uow) == [("item_needs_final", ADMIN.id), ("item_needs_final", R2.id),
                            ("item_submitted", R1.id)]
    assert all("short" not in p["context"] for _k, p in uow.outbox.rows.values())


# The words --------------------------------------------------------------------

@pytest.mark.parametrize(("short", "text"), [
    ({"stage": "final", "needed": 1, "finals": 1, "names": [], "missing": 1,
      "first_given": False, "finals_given": 0},
     "还需要一位没有参与撰写的审核员终审；现在没有这样的成员，可以用「成员 邀请 审核」邀请"),
    ({"stage": "final", "needed": 1, "finals": 1, "names": [], "missing": 1,
      "first_given": True, "finals_given": 1},
     "还需要另一位没有参与撰写、也没有初审的审核员终审；现在没有这样的成员，"
     "可以用「成员 邀请 审核」邀请"),
    ({"stage": "first", "needed": 3, "finals": 2, "names": ["王芳", "陈静"], "missing": 1,
      "first_given": False, "finals_given": 0},
     "还需要三位没有参与撰写的审核员（一位初审、两位终审，各不相同）；现在只有王芳、陈静，"
     "可以用「成员 邀请 审核」再邀请一位"),
])
def test_who_is_missing_reads_as_the_issue_asks(short: dict[str, object], text: str) -> None:
    assert texts.phrase("approvers", "missing", short=short) == text
