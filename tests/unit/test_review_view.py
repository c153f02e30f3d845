"""退回 with a quote, the reasons kept with it, and the diff a resubmission is
announced with (use cases over fakes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers import refusals, texts
from tests.unit.fakes import FakeUnitOfWork
from workflow import quoting, review_view, usecases
from workflow.errors import QuoteNotFound, ReasonRequired
from workflow.model import Context, ItemChanges
from workflow.roles import Actor, Role
from workflow.states import Event

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
AUTHOR = Actor(1, "小李", frozenset({Role.CREATOR}))
R1 = Actor(2, "王芳", frozenset({Role.REVIEWER}))
BODY = "<p>冬季助学计划今年走进三所山区小学。</p><p>志愿者们在十二月出发。</p>"


def ctx(comment: str = "", minutes: int = 0) -> Context:
    return Context(now=NOW + timedelta(minutes=minutes), comment=comment, command="测试")


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork([AUTHOR, R1])


def submitted(uow: FakeUnitOfWork) -> int:
    item = usecases.plan(uow, AUTHOR.id, "冬季助学", ctx())
    usecases.act(uow, AUTHOR.id, item.id, Event.START, ctx())
    usecases.edit(uow, AUTHOR.id, item.id, ItemChanges(body=BODY), ctx())
    usecases.act(uow, AUTHOR.id, item.id, Event.SUBMIT, ctx())
    return item.id


def notices(uow: FakeUnitOfWork, template: str) -> list[dict[str, Any]]:
    return [payload["context"] for kind, payload in uow.outbox.rows.values()
            if kind == "notify" and payload["template"] == template]


@pytest.mark.parametrize(("text", "quote", "reason"), [
    ("「三所 山区小学」 应为五所", "三所 山区小学", "应为五所"),
    ("“十二月”改成十一月", "十二月", "改成十一月"),
    ("标题太长", "", "标题太长"),
    ("「没有收尾 理由", "", "「没有收尾 理由"),
    ("「」 空引用", "", "「」 空引用"),
])
def test_a_reason_may_start_with_a_quote(text: str, quote: str, reason: str) -> None:
    assert quoting.split_quote(text) == (quote, reason)


def test_a_quote_is_found_whatever_the_blanks() -> None:
    text = "冬季助学计划\n今年走进 三所"
    assert quoting.occurs("计划今年走进三所", text)
    assert quoting.span("计划今年 走进三所", text) == (4, 14)
    assert quoting.span("五所", text) is None


def test_a_quoted_reason_is_kept_with_its_passage_and_told_to_the_writer(
        uow: FakeUnitOfWork) -> None:
    item_id = submitted(uow)
    usecases.act(uow, R1.id, item_id, Event.REQUEST_CHANGES, ctx("「三所山区小学」 应为五所"))
    review = uow.reviews.for_item(item_id)[-1]
    assert (review.quote, review.comment, review.revision) == ("三所山区小学", "应为五所", 2)
    told = notices(uow, "changes_requested")[-1]
    assert (told["quote"], told["reason"]) == ("三所山区小学", "应为五所")
    assert "针对原文：「三所山区小学」" in texts.render("notify/changes_requested", **told)
    found = review_view.reasons(uow, uow.reviews.for_item(item_id), 2)
    assert found == (review_view.Reason("王芳", 2, "应为五所", "三所山区小学"),)


def test_a_quote_not_in_the_text_is_refused_and_nothing_moves(uow: FakeUnitOfWork) -> None:
    item_id = submitted(uow)
    with pytest.raises(QuoteNotFound) as refused:
        usecases.act(uow, R1.id, item_id, Event.REQUEST_CHANGES, ctx("「五所山区」 请核对"))
    assert (refused.value.code, refusals.data(refused.value)) == (
        "quote_not_found", {"item_id": item_id, "revision": 2, "quote": "五所山区"})
    assert "不在稿件" in refusals.say(refused.value)
    assert uow.reviews.for_item(item_id) == []
    with pytest.raises(ReasonRequired):  # a quote alone is no reason
        usecases.act(uow, R1.id, item_id, Event.REQUEST_CHANGES, ctx("「三所山区小学」"))


def test_a_resubmission_is_announced_with_the_diff_since_the_review(
        uow: FakeUnitOfWork) -> None:
    item_id = submitted(uow)
    usecases.act(uow, R1.id, item_id, Event.REQUEST_CHANGES, ctx("「三所」 应为五所"))
    new_body = BODY.replace("三所", "五所").replace("十二月", "十一月底")
    usecases.edit(uow, AUTHOR.id, item_id, ItemChanges(body=new_body), ctx(minutes=5))
    usecases.act(uow, AUTHOR.id, item_id, Event.SUBMIT, ctx(minutes=6))
    called = notices(uow, "item_submitted")[-1]
    assert called["diff"] == {"revision": 3, "since": 2, "added": 4, "removed": 3, "places": 2}
    assert "第 3 版：+4 字，−3 字，改了 2 处" in texts.render("notify/item_submitted", **called)


def test_reasons_are_those_of_the_last_review_only(uow: FakeUnitOfWork) -> None:
    item_id = submitted(uow)
    usecases.act(uow, R1.id, item_id, Event.REQUEST_CHANGES, ctx("「三所」 应为五所"))
    usecases.act(uow, AUTHOR.id, item_id, Event.SUBMIT, ctx(minutes=1))  # unchanged, again
    usecases.act(uow, R1.id, item_id, Event.APPROVE, ctx(minutes=2))
    assert review_view.reasons(uow, uow.reviews.for_item(item_id), 2) == ()
