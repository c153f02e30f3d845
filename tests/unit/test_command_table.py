"""Promises the routing table makes that no single command's test would catch."""

from __future__ import annotations

from handlers.commands.confirm import CONFIRMED
from handlers.commands.table import TABLE


def test_every_item_move_that_asks_for_confirmation_can_be_confirmed() -> None:
    """``ask_to_confirm(event)`` issues a code for the event; ``确认 CODE`` must
    know how to carry it out, or the code is useless."""
    asked = [spec.handler.__name__.removeprefix("confirm_") for spec in TABLE
             if spec.confirm and spec.handler.__name__.startswith("confirm_")]
    assert {"publish", "withdraw", "cancel"} <= set(asked)
    assert [action for action in asked if action not in CONFIRMED] == []
