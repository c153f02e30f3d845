"""Replies to followers need customer-service messages: an account without them
is refused a reply before anything is queued (workflow.ticket_cases), the
refusal says where the team can answer instead (errors.j2), and a note on
closing records that it answered there."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handlers import refusals
from workflow import ticket_cases
from workflow.capabilities import (
    ALL_KINDS,
    FULL,
    UNVERIFIED_SERVICE,
    UNVERIFIED_SUBSCRIPTION,
    VERIFIED_SERVICE,
    VERIFIED_SUBSCRIPTION,
    AccountKind,
    Capabilities,
    Capability,
)
from workflow.errors import AccountCannotReply
from workflow.reply_queue import Resolution

LEARNT = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda kind: kind.name)
def test_only_accounts_with_customer_service_messages_can_reply(kind: AccountKind) -> None:
    can = ticket_cases.can_reply(Capabilities(kind))
    assert can == (kind in (VERIFIED_SUBSCRIPTION, VERIFIED_SERVICE))


def test_the_default_is_a_verified_service_account_that_can_reply() -> None:
    assert FULL.kind == VERIFIED_SERVICE and ticket_cases.can_reply(FULL)
    ticket_cases.check_can_reply(FULL, 5)  # nothing raised


@pytest.mark.parametrize("kind", [UNVERIFIED_SUBSCRIPTION, UNVERIFIED_SERVICE],
                         ids=lambda kind: kind.name)
def test_a_reply_the_account_cannot_send_is_refused_with_the_ticket_and_kind(
        kind: AccountKind) -> None:
    with pytest.raises(AccountCannotReply) as refused:
        ticket_cases.check_can_reply(Capabilities(kind), 5)
    assert refused.value.code == "account_cannot_reply"
    assert refusals.data(refused.value) == {"ticket_id": 5, "kind": kind.name}


def test_a_capability_learnt_missing_refuses_replies_too() -> None:
    """The table grants it, but the platform answered 48001: replies are refused."""
    learnt = Capabilities(VERIFIED_SERVICE, {Capability.CUSTOMER_SERVICE: LEARNT})
    assert not ticket_cases.can_reply(learnt)
    with pytest.raises(AccountCannotReply):
        ticket_cases.check_can_reply(learnt, 7)


def test_the_refusal_says_where_to_answer_and_how_to_record_it() -> None:
    text = refusals.say(AccountCannotReply(5, UNVERIFIED_SUBSCRIPTION.name))
    assert "\n" not in text
    for words in ("T5", "未认证的订阅号", "客服消息", "消息管理", "48 小时", "结 T5 已在后台回复"):
        assert words in text, words


@pytest.mark.parametrize(("capabilities", "note", "ending"), [
    (Capabilities(UNVERIFIED_SUBSCRIPTION), "已在后台回复", Resolution.ANSWERED_IN_BACKEND),
    (Capabilities(UNVERIFIED_SERVICE), "已在后台回复", Resolution.ANSWERED_IN_BACKEND),
    (Capabilities(VERIFIED_SERVICE, {Capability.CUSTOMER_SERVICE: LEARNT}), "后台回复了",
     Resolution.ANSWERED_IN_BACKEND),
    (Capabilities(UNVERIFIED_SUBSCRIPTION), "  ", Resolution.RESOLVED),  # no note
    (Capabilities(UNVERIFIED_SUBSCRIPTION), "", Resolution.RESOLVED),
    (FULL, "已电话联系", Resolution.RESOLVED),  # replies go from wxops there
])
def test_a_note_on_closing_says_the_team_answered_in_the_backend(
        capabilities: Capabilities, note: str, ending: Resolution) -> None:
    assert ticket_cases.closing(capabilities, note) is ending
