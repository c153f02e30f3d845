"""Capabilities learnt missing (issue 21, point 1): the table less what the platform
refused, kept a while; each gateway call names the capability it needs, so a 48001
says which one the account lacks."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime

import pytest

from bot.gateway import NEEDS, Gateway, lacking
from bot.wechat_errors import NotAuthorised, NotCalled, error_for
from handlers import texts
from workflow.capabilities import (
    UNVERIFIED_SUBSCRIPTION,
    VERIFIED_SERVICE,
    Capabilities,
    Capability,
    KeptCapabilities,
    LearntMissing,
    learnt,
)

AT = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
CS_REFUSED = {Capability.CUSTOMER_SERVICE: LearntMissing(AT, 48001, "send_text")}


def test_a_capability_learnt_missing_is_refused_and_keeps_when() -> None:
    caps = learnt(VERIFIED_SERVICE, CS_REFUSED)
    assert not caps.allows(Capability.CUSTOMER_SERVICE)
    assert caps.allows(Capability.TEMPLATE_MESSAGE)
    assert caps.missing == {Capability.CUSTOMER_SERVICE: AT}


def test_what_the_table_denies_stays_denied_without_a_row() -> None:
    assert not learnt(UNVERIFIED_SUBSCRIPTION, {}).allows(Capability.CUSTOMER_SERVICE)


def test_kept_capabilities_read_again_only_after_the_ttl() -> None:
    clock = [0.0]
    reads: list[int] = []
    rows: dict[Capability, LearntMissing] = {}

    def read() -> dict[Capability, LearntMissing]:
        reads.append(1)
        return dict(rows)

    kept = KeptCapabilities(VERIFIED_SERVICE, ttl=30, clock=lambda: clock[0])
    assert kept.current(read).allows(Capability.CUSTOMER_SERVICE)
    rows.update(CS_REFUSED)
    clock[0] = 29.0
    assert kept.current(read).allows(Capability.CUSTOMER_SERVICE)  # kept: not read
    assert len(reads) == 1
    clock[0] = 30.0
    assert not kept.current(read).allows(Capability.CUSTOMER_SERVICE)
    assert len(reads) == 2


def test_every_gateway_call_to_the_platform_names_its_capability() -> None:
    """A new gateway method that calls a permission-checked interface must say
    which capability it needs, or its 48001 would not be learnt."""
    public = {name for name, _ in inspect.getmembers(Gateway, inspect.isfunction)
              if not name.startswith("_")}
    assert public == set(NEEDS)


def test_a_48001_with_its_capability_says_which_permission_is_lacking() -> None:
    exc = error_for(48001, "api unauthorized")
    assert isinstance(exc, NotAuthorised)
    assert exc.reason == texts.phrase("wechat", "reason", errcode=48001,
                                      summary=texts.phrase("wechat", "not_authorised"))
    exc.capability, exc.call = Capability.FREE_PUBLISH, "publish_submit"
    assert exc.reason == texts.phrase(
        "wechat", "reason", errcode=48001,
        summary=texts.phrase("wechat", "lacks_capability", capability="free_publish"))
    assert "free_publish" in exc.reason and "48001" in exc.reason



def test_a_call_not_made_is_worded_as_missing_with_what_to_do_instead() -> None:
    small = Capabilities(UNVERIFIED_SUBSCRIPTION)
    lacking(small, Capability.RECEIVE, "none")  # allowed: nothing raised
    with pytest.raises(NotCalled) as refused:
        lacking(small, Capability.FREE_PUBLISH, "publish_delete")
    exc = refused.value
    assert (exc.capability, exc.errcode, exc.learnt) == (Capability.FREE_PUBLISH, None, False)
    assert "发表记录" in exc.reason and "reset" not in exc.reason
    learnt_missing = Capabilities(VERIFIED_SERVICE, {Capability.DATACUBE: datetime(2026, 1, 1)})
    with pytest.raises(NotCalled) as refused:
        lacking(learnt_missing, Capability.DATACUBE, "datacube")
    assert refused.value.learnt and "capabilities reset datacube" in refused.value.reason
