"""An item with nothing to read goes nowhere near publication, and what a
reviewer is told of its text (length, opening) counts what a reader sees."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from handlers import refusals
from tests.unit.test_rules import ADMIN, AUTHOR, R1, R2, Flow, ctx, reviewed_flow
from workflow import policy
from workflow.errors import EmptyBody
from workflow.machine import decide
from workflow.model import ItemChanges
from workflow.roles import SYSTEM_ACTOR
from workflow.states import Event, State
from workflow.text import has_text, opening, plain_text, visible_length

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("body", ["", "   ", "<p></p>", "<p> &nbsp; </p><br/>",
                                  "<section><p>\u200b</p></section>",
                                  "<style>p{color:red}</style><p> </p>"])
def test_a_body_without_visible_text_is_empty(body: str) -> None:
    assert (has_text(body), visible_length(body)) == (False, 0)


def test_length_counts_visible_characters_not_tags_or_blanks() -> None:
    body = "<p>义诊&amp;回顾</p><p>来了 <b>80</b> 位居民。</p>"
    assert plain_text(body) == "义诊&回顾\n来了 80 位居民。"
    assert visible_length(body) == len("义诊&回顾来了80位居民。")


def test_opening_is_the_first_characters_on_one_line() -> None:
    body = "<p>第一段。</p><p>" + "字" * 200 + "</p>"
    start = opening(body, 20)
    assert start.startswith("第一段。 字") and start.endswith("…")
    assert len(start) == 21
    assert opening("<p>短文</p>") == "短文"


def test_an_item_without_text_cannot_be_submitted() -> None:
    flow = Flow()
    flow.item = replace(flow.item, body="<p> </p>")
    with pytest.raises(EmptyBody) as refused:
        flow.do(AUTHOR, Event.SUBMIT)
    assert (refused.value.code, refused.value.item_id, refused.value.event) == (
        "empty_body", flow.item.id, Event.SUBMIT)
    assert f"wxops item edit {flow.item.id}" in refusals.say(refused.value)  # says how
    assert Event.SUBMIT not in policy.allowed_events(AUTHOR, flow.item)


def test_a_body_emptied_after_approval_goes_back_to_review_and_stops_there() -> None:
    flow = reviewed_flow()
    flow.do(R2, Event.FINAL_APPROVE)
    assert flow.do(AUTHOR, Event.EDIT, changes=ItemChanges(body="")) is State.IN_REVIEW
    with pytest.raises(EmptyBody):
        flow.do(R1, Event.APPROVE)


@pytest.mark.parametrize(("state", "actor", "event"), [
    (State.IN_REVIEW, R1, Event.APPROVE),
    (State.FINAL_REVIEW, R2, Event.FINAL_APPROVE),
    (State.APPROVED, ADMIN, Event.SCHEDULE),
    (State.APPROVED, ADMIN, Event.PUBLISH),
    (State.PUBLISH_FAILED, ADMIN, Event.RETRY),
])
def test_no_move_toward_publication_without_text(state: State, actor: object,
                                                 event: Event) -> None:
    """Items from an older version may be anywhere on the way without a body."""
    flow = Flow()
    flow.item = replace(flow.item, state=state, body="", review_round=1)
    with pytest.raises(EmptyBody):
        decide(flow.item, [], actor, event,  # type: ignore[arg-type]
               ctx(when=NOW + timedelta(days=1)))


def test_a_due_publication_without_text_is_left_to_fail_at_submission() -> None:
    """Refused here, an old scheduled item would wait in 已排期 for ever, unexplained;
    the submission fails it with the reason instead (bot.deliveries)."""
    flow = Flow()
    flow.item = replace(flow.item, state=State.SCHEDULED, body="")
    assert flow.do(SYSTEM_ACTOR, Event.DUE) is State.PUBLISHING
