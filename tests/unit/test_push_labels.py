"""Every refusal the endpoint can make has its series of wxops_pushes_total from
the start (bot.metrics.REFUSAL_REASONS), so an alert sees the first one."""

from __future__ import annotations

from bot import crypto, protocol
from bot.endpoint import Refused
from bot.metrics import REFUSAL_REASONS


def test_each_protocol_refusal_has_a_known_reason() -> None:
    refusals = {cls for module in (crypto, protocol) for cls in vars(module).values()
                if isinstance(cls, type) and issubclass(cls, crypto.ProtocolError)
                and cls is not crypto.ProtocolError}
    assert len(refusals) == 7
    assert {Refused.of(cls()).code for cls in refusals} <= set(REFUSAL_REASONS)
