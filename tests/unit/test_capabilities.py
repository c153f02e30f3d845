"""The capability table: what each kind of account may call (docs/platform.md,
"What each kind of account may call"), and capabilities learnt missing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from workflow import rule_cases, staff_cases
from workflow.autoreply import MatchType
from workflow.capabilities import (
    ALL_KINDS,
    TABLE,
    UNVERIFIED_SERVICE,
    UNVERIFIED_SUBSCRIPTION,
    VERIFIED_SERVICE,
    VERIFIED_SUBSCRIPTION,
    AccountKind,
    AccountType,
    Capabilities,
    Capability,
    LearntMissing,
    granted,
    granted_to,
    learnt,
)

C = Capability
T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)

#: The platform's table, row by row, as the issue lists it: unverified subscription,
#: verified subscription, unverified service, verified service.
EXPECTED: dict[Capability, tuple[bool, bool, bool, bool]] = {
    C.RECEIVE: (True, True, True, True),
    C.ACCESS_TOKEN: (True, True, True, True),
    C.CUSTOMER_SERVICE: (False, True, False, True),
    C.MASS_SEND: (False, True, False, True),
    C.USER_INFO: (False, True, False, True),
    C.MATERIALS: (False, True, False, True),
    C.PREVIEW: (False, True, False, True),
    C.TEMPLATE_MESSAGE: (False, False, False, True),
    C.MASS_SEND_OPENIDS: (False, False, False, True),
    C.QRCODE: (False, False, False, True),
    C.OAUTH: (False, False, False, True),
    C.MENU: (False, True, True, True),
    C.FREE_PUBLISH: (False, True, False, True),
    C.COMMENTS: (False, True, False, True),
    C.DATACUBE: (False, True, False, True),
}
COLUMNS = (UNVERIFIED_SUBSCRIPTION, VERIFIED_SUBSCRIPTION, UNVERIFIED_SERVICE, VERIFIED_SERVICE)


def test_every_capability_has_one_row() -> None:
    assert set(TABLE) == set(Capability) == set(EXPECTED)
    assert len(set(ALL_KINDS)) == 4


@pytest.mark.parametrize("capability", list(Capability), ids=str)
def test_the_table_says_what_each_kind_may_call(capability: Capability) -> None:
    assert tuple(granted(kind, capability) for kind in COLUMNS) == EXPECTED[capability]


def test_every_kind_receives_and_replies_passively() -> None:
    for kind in ALL_KINDS:
        assert {C.RECEIVE, C.ACCESS_TOKEN} <= granted_to(kind)


def test_a_verified_service_account_may_call_everything() -> None:
    assert granted_to(VERIFIED_SERVICE) == frozenset(Capability)


def test_an_unverified_subscription_account_may_only_receive_and_reply() -> None:
    assert granted_to(UNVERIFIED_SUBSCRIPTION) == {C.RECEIVE, C.ACCESS_TOKEN}


def test_an_unverified_service_account_gets_the_menu_only_beyond_that() -> None:
    assert granted_to(UNVERIFIED_SERVICE) == {C.RECEIVE, C.ACCESS_TOKEN, C.MENU}


def test_kinds_parse_from_the_settings_words() -> None:
    assert AccountKind.parse("subscription", False) == UNVERIFIED_SUBSCRIPTION
    assert AccountKind.parse("service", True) == VERIFIED_SERVICE
    assert VERIFIED_SUBSCRIPTION.type is AccountType.SUBSCRIPTION
    assert UNVERIFIED_SERVICE.name == "unverified-service"
    with pytest.raises(ValueError):
        AccountKind.parse("enterprise", True)


# --- capabilities learnt missing -------------------------------------------------------


def _allowed(caps: Capabilities) -> frozenset[Capability]:
    return frozenset(cap for cap in Capability if caps.allows(cap))


def test_without_anything_learnt_the_account_has_what_the_table_grants() -> None:
    caps = learnt(VERIFIED_SUBSCRIPTION, {})
    assert _allowed(caps) == granted_to(VERIFIED_SUBSCRIPTION)
    assert caps.allows(C.CUSTOMER_SERVICE) and not caps.allows(C.TEMPLATE_MESSAGE)


def test_a_capability_refused_with_48001_is_missing_from_then_on() -> None:
    caps = learnt(VERIFIED_SERVICE, {C.FREE_PUBLISH: LearntMissing(T0, 48001, "submit")})
    assert not caps.allows(C.FREE_PUBLISH)
    assert caps.allows(C.CUSTOMER_SERVICE)
    assert caps.missing == {C.FREE_PUBLISH: T0}
    assert _allowed(caps) == granted_to(VERIFIED_SERVICE) - {C.FREE_PUBLISH}


def test_learning_never_grants_what_the_table_does_not() -> None:
    caps = learnt(UNVERIFIED_SUBSCRIPTION, {})
    assert not caps.allows(C.CUSTOMER_SERVICE)


def test_a_staff_notice_goes_at_once_only_where_the_account_may_message_first() -> None:
    """staff_cases.told_at_once: customer-service or template messages; without
    both (or with both learnt missing) it waits for the member's next message."""
    assert staff_cases.told_at_once(Capabilities(VERIFIED_SERVICE))
    assert not staff_cases.told_at_once(Capabilities(UNVERIFIED_SUBSCRIPTION))
    learnt_missing = {Capability.CUSTOMER_SERVICE: datetime(2026, 12, 1, tzinfo=UTC),
                      Capability.TEMPLATE_MESSAGE: datetime(2026, 12, 1, tzinfo=UTC)}
    assert not staff_cases.told_at_once(Capabilities(VERIFIED_SERVICE, learnt_missing))


def test_a_click_rule_is_unclickable_only_on_an_account_without_menus() -> None:
    small, full = Capabilities(UNVERIFIED_SUBSCRIPTION), Capabilities(VERIFIED_SERVICE)
    assert rule_cases.unclickable(MatchType.CLICK, small)
    assert not rule_cases.unclickable(MatchType.CLICK, full)
    assert not rule_cases.unclickable(MatchType.CONTAINS, small)
