"""Staff notices on every kind of account (issue 21): a customer-service message
only where the account may send one, a template message only where it may send
those, otherwise held for the person's next passive reply: never a call that
would meet 48001. With a recording fake of the gateway, and with the real
gateway against the emulator playing an unverified subscription account."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from bot import deliveries
from bot.emulator.server import start_in_thread
from bot.emulator.state import EmulatorConfig
from bot.sender import Sender
from handlers import texts
from storage.models import OutboxMessage
from tests.integration.test_gateway import APP_ID, SECRET, calls_to, follower_writes, gateway
from tests.integration.test_outbox import (
    NOW,
    FakeGateway,
    interacted,
    queue_notify,
    staff_member,
    status_of,
)
from workflow.capabilities import (
    UNVERIFIED_SERVICE,
    UNVERIFIED_SUBSCRIPTION,
    VERIFIED_SERVICE,
    VERIFIED_SUBSCRIPTION,
    AccountKind,
    Capabilities,
)

NO_CS = texts.phrase("delivery", "no_customer_service")


def sender(engine: Engine, gw: object, kind: AccountKind, template_id: str = "TPL-1",
           now: datetime = NOW) -> Sender:
    """The worker's sender for an account of ``kind``, a notice template configured."""
    return Sender(engine, gw, deliveries.handlers(template_id, deliveries.INCIDENT,  # type: ignore[arg-type]
                                                  Capabilities(kind)),
                  "test-worker", clock=lambda: now, dead_ends=deliveries.dead_ends(),
                  sent_after_all=deliveries.sent_after_all())


def one_notice(engine: Engine, hours_since_they_wrote: int) -> None:
    staff_id = staff_member(engine)
    interacted(engine, "o_staff", NOW - timedelta(hours=hours_since_they_wrote))
    queue_notify(engine, staff_id)


def recipient(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return conn.scalar(select(OutboxMessage.recipient))


@pytest.mark.parametrize("kind", [UNVERIFIED_SUBSCRIPTION, UNVERIFIED_SERVICE],
                         ids=lambda kind: kind.name)
def test_without_either_way_a_notice_is_held_with_no_call(engine: Engine,
                                                          kind: AccountKind) -> None:
    one_notice(engine, hours_since_they_wrote=1)  # the window is open, a template is set
    fake = FakeGateway()
    assert sender(engine, fake, kind).run_once() == 1
    assert fake.calls == []
    assert status_of(engine) == [("held", NO_CS)]
    assert recipient(engine) == "o_staff"  # rides along with their next passive reply


def test_a_verified_subscription_account_sends_inside_the_window(engine: Engine) -> None:
    one_notice(engine, hours_since_they_wrote=1)
    fake = FakeGateway()
    sender(engine, fake, VERIFIED_SUBSCRIPTION).run_once()
    assert [name for name, _ in fake.calls] == ["send_text"]
    assert status_of(engine) == [("sent", "")]


def test_a_verified_subscription_account_holds_rather_than_send_a_template(
        engine: Engine) -> None:
    """Template messages are a verified service account's: outside the window the
    notice waits, as on an account with no template configured."""
    one_notice(engine, hours_since_they_wrote=49)
    fake = FakeGateway()
    sender(engine, fake, VERIFIED_SUBSCRIPTION).run_once()
    assert fake.calls == [] and status_of(engine)[0][0] == "held"


def test_a_verified_service_account_sends_a_template_outside_the_window(
        engine: Engine) -> None:
    one_notice(engine, hours_since_they_wrote=49)
    fake = FakeGateway()
    sender(engine, fake, VERIFIED_SERVICE).run_once()
    assert [name for name, _ in fake.calls] == ["send_template"]


# --- against the emulator playing an unverified subscription account -----------------


@pytest.fixture
def small_account() -> Iterator[str]:
    url, stop = start_in_thread(EmulatorConfig(app_id=APP_ID, app_secret=SECRET,
                                               kind=UNVERIFIED_SUBSCRIPTION))
    yield url
    stop()


def test_an_unverified_subscription_account_holds_the_notice_without_calling(
        engine: Engine, small_account: str) -> None:
    now = datetime.now(UTC)
    staff_id = staff_member(engine)
    interacted(engine, "o_staff", now - timedelta(minutes=5))  # they wrote: window open
    follower_writes(small_account, "o_staff")
    queue_notify(engine, staff_id)
    worker = sender(engine, gateway(engine, small_account), UNVERIFIED_SUBSCRIPTION, now=now)
    assert worker.drain() == 1
    assert status_of(engine) == [("held", NO_CS)]
    for path in ("/cgi-bin/message/custom/send", "/cgi-bin/message/template/send"):
        assert calls_to(small_account, path) == 0, path
