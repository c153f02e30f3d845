"""An AppSecret reset in the console, or a server not yet on the IP whitelist:
the token fetch is refused (40125, 40164) until a person puts the settings
right. The outbox waits and sends then; nothing dies meanwhile. Both engines."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from bot.wechat_errors import BadCredentials
from tests.integration.test_outbox import (
    NOW,
    FakeGateway,
    interacted,
    make_sender,
    queue_notify,
    staff_member,
    status_of,
)


@pytest.mark.parametrize("errcode", [40125, 40164])
def test_a_refused_token_fetch_keeps_the_message_waiting(engine: Engine, errcode: int) -> None:
    staff_id = staff_member(engine)
    interacted(engine, "o_staff", NOW - timedelta(hours=1))
    queue_notify(engine, staff_id)
    gateway = FakeGateway()
    gateway.fail_with = [BadCredentials(errcode, "invalid appsecret"),
                         BadCredentials(errcode, "invalid appsecret")]
    make_sender(engine, gateway).run_once()
    status, error = status_of(engine)[0]
    assert status == "pending" and str(errcode) in error
    make_sender(engine, gateway, now=NOW + timedelta(minutes=1)).run_once()
    assert status_of(engine)[0][0] == "pending"
    make_sender(engine, gateway, now=NOW + timedelta(minutes=5)).run_once()  # settings fixed
    assert status_of(engine)[0] == ("sent", "") and len(gateway.calls) == 3
