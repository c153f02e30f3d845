"""Publishing by chat with the real worker against the emulator (over sockets), on each
database: an article published, revised and published again; a preview of a
published item; a submission WeChat refuses, or whose answer is lost, failing the
publish so that 重试 works and nothing is published twice."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import OperationalError

from bot import worker as worker_module
from bot.emulator.server import start_in_thread
from bot.emulator.state import EmulatorConfig
from bot.wechat_errors import OutcomeUnknown
from bot.worker import Jobs
from handlers import texts
from handlers.commands.context import Result
from storage import capabilities as learnt_log
from storage import outbox
from storage.models import AuditRow, ContentItemRow, OutboxMessage
from tests.integration import commanding
from tests.integration.conftest import APP_ID, make_account
from tests.integration.test_commands import Team
from workflow import usecases
from workflow.capabilities import Capability
from workflow.model import Context, ItemChanges
from workflow.roles import SYSTEM_ACTOR
from workflow.states import Event, State


@pytest.fixture
def wechat() -> Iterator[str]:
    """The emulator; publish results are ready at once and collected by the poll."""
    url, stop = start_in_thread(EmulatorConfig(app_id=APP_ID, app_secret="secret",
                                               push_delay=0))
    yield url
    stop()


@dataclass
class Desk:
    """The team chatting with the account, the worker, and the emulator's URL."""

    team: Team
    worker: Jobs
    wechat: str

    @property
    def engine(self) -> Engine:
        return self.team.account.engine

    def ask(self, who: str, text: str) -> Result:
        """A team member's command, answered as data (template and context)."""
        return commanding.ask(self.engine, self.team.staff_id(who), text, datetime.now(UTC))

    def publish(self, item_id: int) -> Result:
        code = self.ask("admin", f"发布 {item_id}").context["code"]
        return self.ask("admin", f"确认 {code}")

    def work(self) -> None:
        """Send the outbox, then collect publish results as the poll does when no
        PUBLISHJOBFINISH came (it waits two minutes: that wait is skipped)."""
        self.worker.send()
        with self.engine.begin() as conn:
            conn.execute(update(ContentItemRow)
                         .where(ContentItemRow.state == State.PUBLISHING.value)
                         .values(updated_at=datetime.now(UTC) - timedelta(minutes=10)))
        self.worker.poll_publishing()
        self.worker.send()

    def item(self, item_id: int) -> ContentItemRow:
        return self.team.item(item_id)

    def calls(self, path: str) -> list[dict[str, Any]]:
        calls = requests.get(f"{self.wechat}/_emulator/calls", timeout=5).json()
        return [c for c in calls if c["path"] == f"/cgi-bin/{path}"]

    def control(self, path: str, body: dict[str, Any]) -> None:
        requests.post(f"{self.wechat}/_emulator/{path}", json=body,
                      timeout=5).raise_for_status()

    def outbox(self, kind: str) -> list[tuple[int, str, str]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(OutboxMessage.id, OutboxMessage.status,
                                       OutboxMessage.last_error)
                                .where(OutboxMessage.kind == kind).order_by(OutboxMessage.id))
            return [(r.id, r.status, r.last_error) for r in rows]

    def notices(self, template: str) -> list[int]:
        with self.engine.connect() as conn:
            payloads = conn.scalars(select(OutboxMessage.payload)
                                    .where(OutboxMessage.kind == "notify")).all()
        return sorted(p["staff_id"] for p in payloads if p["template"] == template)

    def last_audit(self, item_id: int) -> tuple[str, str, str]:
        with self.engine.connect() as conn:
            row = conn.execute(select(AuditRow.event, AuditRow.actor_name, AuditRow.comment)
                               .where(AuditRow.subject == f"item:{item_id}")
                               .order_by(AuditRow.id.desc()).limit(1)).one()
        return row.event, row.actor_name, row.comment


@pytest.fixture
def desk(engine: Engine, wechat: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    # Each delivery reads what was learnt missing afresh: a reset takes effect at once.
    monkeypatch.setattr(worker_module, "CAPABILITIES_TTL", 0.0)
    account = make_account(engine, WXOPS_WECHAT_API_BASE=wechat)
    worker = Jobs(account.app, "test-worker")
    yield Desk(Team(account), worker, wechat)
    worker.leader.release()


def published(desk: Desk, title: str = "冬季助学") -> int:
    item_id = desk.team.approved(title)
    assert moved(desk.publish(item_id), State.APPROVED, State.PUBLISHING)
    desk.work()
    assert desk.item(item_id).state == State.PUBLISHED.value
    return item_id


def revised(desk: Desk, item_id: int, body: str) -> None:
    """复查 … 更新, 修订, an edit, and both reviews again, as chat (the edit as the CLI's)."""
    ask = desk.ask
    assert moved(ask("admin", f"复查 {item_id} 更新 数据已过时"), State.PUBLISHED,
                 State.NEEDS_UPDATE)
    assert moved(ask("creator", f"修订 {item_id}"), State.NEEDS_UPDATE, State.DRAFTING)
    usecases.edit(desk.team.account.app.uow(), desk.team.staff_id("creator"), item_id,
                  ItemChanges(body=body), Context(now=datetime.now(UTC)))
    assert moved(ask("creator", f"提交 {item_id}"), State.DRAFTING, State.IN_REVIEW)
    assert moved(ask("王芳", f"通过 {item_id}"), State.IN_REVIEW, State.FINAL_REVIEW)
    assert moved(ask("陈静", f"终审 {item_id}"), State.FINAL_REVIEW, State.APPROVED)


def moved(answer: Result, before: State, after: State) -> bool:
    """The command moved the item from ``before`` to ``after`` (cmd/moved.j2)."""
    return (answer.template, answer.context["before"], answer.context["item"].state) == (
        "moved", before, after)


def test_a_revised_article_is_published_again_as_a_new_article(desk: Desk) -> None:
    item_id = published(desk)
    first = desk.item(item_id)
    revised(desk, item_id, "<p>名额增加到 30 人。</p>")
    desk.work()  # the revision goes into a new draft
    assert desk.item(item_id).draft_media_id
    asked = desk.ask("admin", f"发布 {item_id}")  # says the article online is replaced
    assert (asked.template, asked.context["event"], asked.context["item"].article_id,
            asked.context["item"].url) == ("confirm", Event.PUBLISH, first.article_id,
                                           first.url)
    assert moved(desk.ask("admin", f"确认 {asked.context['code']}"), State.APPROVED,
                 State.PUBLISHING)
    desk.work()
    again = desk.item(item_id)
    assert again.state == State.PUBLISHED.value
    assert again.article_id and again.article_id != first.article_id
    assert again.publish_id != first.publish_id and again.url != first.url
    assert all(status == "sent" for kind in ("sync_draft", "submit_publish")
               for _id, status, _error in desk.outbox(kind))
    added = desk.calls("draft/add")
    assert len(added) == 2 and "30 人" in added[1]["body"]["articles"][0]["content"]
    submitted = [c["body"]["media_id"] for c in desk.calls("freepublish/submit")]
    assert len(submitted) == 2 and submitted[0] != submitted[1]
    # Each submission brought its own draft up to date; none touched a published one.
    assert [c["body"]["media_id"] for c in desk.calls("draft/update")] == submitted
    desk.worker.send()  # the outdated article the new one replaces comes down
    assert [c["body"]["article_id"] for c in desk.calls("freepublish/delete")] == [
        first.article_id]


def test_a_published_item_can_be_previewed(desk: Desk) -> None:
    item_id = published(desk)
    desk.control("send", {"openid": "o_admin", "text": "你好"})  # a follower of the account
    answer = desk.ask("admin", f"预览 {item_id}")
    assert (answer.template, answer.context["item"].id) == ("preview", item_id)
    desk.work()
    assert [status for _id, status, _error in desk.outbox("preview")] == ["sent"]
    inbox = requests.get(f"{desk.wechat}/_emulator/inbox/o_admin", timeout=5).json()
    previews = [m for m in inbox if m["kind"] == "preview"]
    assert len(previews) == 1 and previews[0]["payload"]["articles"][0]["title"] == "冬季助学"
    assert desk.item(item_id).draft_media_id == previews[0]["payload"]["media_id"]


def test_a_draft_id_left_from_an_earlier_publish_is_replaced(desk: Desk) -> None:
    """Items published before the id was forgotten on acceptance still name the
    draft that left the box: their next sync adds a new draft instead of dying."""
    item_id = published(desk)
    [gone] = [c["body"]["media_id"] for c in desk.calls("freepublish/submit")]
    with desk.engine.begin() as conn:
        conn.execute(update(ContentItemRow).where(ContentItemRow.id == item_id)
                     .values(draft_media_id=gone))
    revised(desk, item_id, "<p>更新</p>")
    desk.work()
    assert [status for _id, status, _error in desk.outbox("sync_draft")] == ["sent", "sent"]
    assert desk.item(item_id).draft_media_id not in (None, gone)
    # Before the publish the draft was brought up to date; after it, the update was refused.
    assert [c["body"]["media_id"] for c in desk.calls("draft/update")] == [gone, gone]
    assert len(desk.calls("draft/add")) == 2


def test_a_failed_publication_is_retried_with_a_fresh_draft(desk: Desk) -> None:
    """The submission was accepted, so the item forgot its draft; the publication
    failed (the platform may give that draft back to the box, unnamed now): 重试
    adds a new draft and publishes it."""
    item_id = desk.team.approved()
    desk.control("fail", {"publish_status": 3})
    desk.publish(item_id)
    desk.work()
    assert desk.item(item_id).state == State.PUBLISH_FAILED.value
    assert moved(desk.ask("admin", f"重试 {item_id}"), State.PUBLISH_FAILED, State.PUBLISHING)
    desk.work()
    assert desk.item(item_id).state == State.PUBLISHED.value
    first, second = [c["body"]["media_id"] for c in desk.calls("freepublish/submit")]
    assert first != second and len(desk.calls("draft/add")) == 2


def test_a_refused_submission_fails_the_publish_and_retry_publishes(desk: Desk) -> None:
    item_id = desk.team.approved()
    desk.control("fail", {"path": "/cgi-bin/freepublish/submit", "errcode": 48001})
    desk.publish(item_id)
    desk.work()
    [(row_id, status, error)] = desk.outbox("submit_publish")
    assert status == "dead" and "48001" in error
    assert desk.item(item_id).state == State.PUBLISH_FAILED.value
    event, actor, comment = desk.last_audit(item_id)
    assert (event, actor) == ("publish_failed", SYSTEM_ACTOR.name) and "48001" in comment
    assert desk.notices("item_publish_failed") == sorted(
        [desk.team.staff_id("admin"), desk.team.staff_id("creator")])
    # The 48001 taught that the account lacks free publishing: a submission now
    # would not be made. The account gets the permission back, and an admin says
    # so (wxops capabilities reset free_publish) before 重试.
    with desk.engine.begin() as conn:
        assert learnt_log.forget(conn, Capability.FREE_PUBLISH)
    assert moved(desk.ask("admin", f"重试 {item_id}"), State.PUBLISH_FAILED, State.PUBLISHING)
    desk.work()
    assert desk.item(item_id).state == State.PUBLISHED.value
    assert len(desk.calls("freepublish/submit")) == 2  # the refused one and the retry
    # The dead row re-driven by hand afterwards submits nothing.
    with desk.engine.begin() as conn:
        assert outbox.retry(conn, row_id, datetime.now(UTC))
    desk.work()
    assert desk.outbox("submit_publish")[0][1:] == ("dead", texts.phrase(
        "publish_submit", "not_publishing", item_id=item_id, state=State.PUBLISHED.label))
    assert len(desk.calls("freepublish/submit")) == 2
    assert desk.item(item_id).state == State.PUBLISHED.value


def test_a_submission_whose_answer_was_lost_fails_the_publish_unconfirmed(
        desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """WeChat took freepublish/submit but its answer never came: the row is parked,
    and the publish fails with a reason that says to check before 重试."""
    item_id = desk.team.approved()
    gateway = desk.worker.sender.gateway
    accept = gateway.publish_submit

    def accepted_but_unanswered(media_id: str) -> dict[str, Any]:
        accept(media_id)
        raise OutcomeUnknown(None, "ReadTimeout: the answer was lost")

    monkeypatch.setattr(gateway, "publish_submit", accepted_but_unanswered)
    desk.publish(item_id)
    desk.work()
    assert desk.outbox("submit_publish")[0][1] == "dead"
    assert desk.item(item_id).state == State.PUBLISH_FAILED.value
    assert texts.phrase("publish_submit", "unconfirmed") in desk.last_audit(item_id)[2]
    assert len(desk.calls("freepublish/submit")) == 1


LOST = OperationalError("UPDATE outbox", {}, Exception("server closed the connection"))


def lose_the_record(monkeypatch: pytest.MonkeyPatch, marker_too: bool) -> None:
    """The commit that records an accepted submission fails (the database went
    away); with ``marker_too``, so does the delivered marker tried alone after it."""
    finish = outbox.finish

    def lost(conn: Any, row_id: int, status: str, now: datetime, *args: Any,
             accepted: dict[str, Any] | None = None, **kwargs: Any) -> bool:
        if accepted is not None and "publish_id" in accepted:
            raise LOST
        return finish(conn, row_id, status, now, *args, accepted=accepted, **kwargs)

    def marker_lost(*_args: Any) -> None:
        raise LOST

    monkeypatch.setattr(outbox, "finish", lost)
    if marker_too:
        monkeypatch.setattr(outbox, "mark_delivered", marker_lost)


def lease_runs_out(desk: Desk) -> None:
    with desk.engine.begin() as conn:
        conn.execute(update(OutboxMessage).values(
            claimed_at=datetime.now(UTC) - timedelta(hours=1)))
    desk.worker.recover()
    desk.worker.send()


def test_an_accepted_submission_whose_record_was_lost_is_not_made_twice(
        desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """WeChat accepted freepublish/submit, then the database failed before that was
    recorded, delivered marker and all. The row stays started: once its lease runs
    out it is parked as perhaps submitted, never retried (a new draft, submitted,
    would publish the article twice), and the publish fails unconfirmed."""
    item_id = desk.team.approved()
    lose_the_record(monkeypatch, marker_too=True)
    desk.publish(item_id)
    with pytest.raises(OperationalError):
        desk.worker.send()
    monkeypatch.undo()
    assert desk.outbox("submit_publish")[0][1] == "sending"
    lease_runs_out(desk)
    [(_id, status, error)] = desk.outbox("submit_publish")
    assert (status, error) == ("dead", texts.phrase("outbox", "interrupted"))
    assert desk.item(item_id).state == State.PUBLISH_FAILED.value
    assert texts.phrase("publish_submit", "unconfirmed") in desk.last_audit(item_id)[2]
    assert len(desk.calls("freepublish/submit")) == 1 and len(desk.calls("draft/add")) == 1


def test_an_accepted_submission_whose_outcome_was_lost_is_finished_from_its_marker(
        desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """The outcome's commit failed, the delivered marker alone went in: once the
    lease runs out the row is finished as sent without a second submission, and
    the publish goes on with its publish_id."""
    item_id = desk.team.approved()
    lose_the_record(monkeypatch, marker_too=False)
    desk.publish(item_id)
    with pytest.raises(OperationalError):
        desk.worker.send()
    monkeypatch.undo()
    lease_runs_out(desk)
    assert desk.outbox("submit_publish")[0][1] == "sent"
    item = desk.item(item_id)
    assert (item.state, bool(item.publish_id)) == (State.PUBLISHING.value, True)
    assert len(desk.calls("freepublish/submit")) == 1 and len(desk.calls("draft/add")) == 1


def test_a_submission_cut_off_by_a_dead_worker_fails_the_publish(desk: Desk) -> None:
    item_id = desk.team.approved()
    desk.publish(item_id)
    claimed = outbox.claim_due(desk.engine, "dead-worker", datetime.now(UTC))
    [submit] = [row for row in claimed if row.kind == "submit_publish"]
    assert outbox.start_attempt(desk.engine, submit.id, "dead-worker", datetime.now(UTC))
    with desk.engine.begin() as conn:  # the worker died during the call, long ago
        conn.execute(update(OutboxMessage).values(
            claimed_at=datetime.now(UTC) - timedelta(hours=1)))
    desk.worker.recover()
    assert desk.outbox("submit_publish")[0][1] == "dead"
    assert desk.item(item_id).state == State.PUBLISH_FAILED.value
    assert texts.phrase("publish_submit", "unconfirmed") in desk.last_audit(item_id)[2]
    assert moved(desk.ask("admin", f"重试 {item_id}"), State.PUBLISH_FAILED, State.PUBLISHING)


def test_a_submission_given_up_while_its_worker_stalled_goes_on_when_accepted(
        desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker stalls with freepublish/submit in flight, past its lease: another
    worker parks the row in doubt and the publish fails, unconfirmed. Then WeChat's
    acceptance comes back. The publish goes on (its publish_id kept), whoever was
    told it failed is told it did not, and its result publishes the item, once."""
    from bot.worker import make_sender

    item_id = desk.team.approved()
    rescuer = make_sender(desk.team.account.app, "rescuer")
    rescuer.clock = lambda: datetime.now(UTC) + timedelta(hours=1)  # past the lease
    gateway = desk.worker.sender.gateway
    accept = gateway.publish_submit

    def stalled(media_id: str) -> dict[str, Any]:
        answer = accept(media_id)
        rescuer.recover(timedelta(minutes=5))  # meanwhile: parked, the publish failed
        assert desk.item(item_id).state == State.PUBLISH_FAILED.value
        return answer

    monkeypatch.setattr(gateway, "publish_submit", stalled)
    desk.publish(item_id)
    desk.worker.send()
    monkeypatch.undo()
    item = desk.item(item_id)
    assert (item.state, bool(item.publish_id)) == (State.PUBLISHING.value, True)
    assert desk.outbox("submit_publish")[0][1] == "sent"
    assert desk.last_audit(item_id)[:2] == ("submit_confirmed", SYSTEM_ACTOR.name)
    assert desk.notices("item_submit_confirmed") == desk.notices("item_publish_failed")
    desk.work()
    assert desk.item(item_id).state == State.PUBLISHED.value
    assert len(desk.calls("freepublish/submit")) == 1


def test_an_item_without_text_fails_its_publish_instead_of_getting_a_made_up_body(
        desk: Desk) -> None:
    """An item from an older version reaches the outbox without a body: nothing
    goes to WeChat in its name (before, its title was sent as the article), the
    publish fails with the reason, and 重试 says to add text first."""
    item_id = desk.team.approved()
    desk.publish(item_id)
    with desk.engine.begin() as conn:  # as an item written before bodies were checked
        conn.execute(update(ContentItemRow).where(ContentItemRow.id == item_id)
                     .values(body=""))
    desk.work()
    assert desk.calls("draft/add") == [] and desk.calls("freepublish/submit") == []
    assert [status for _, status, _ in desk.outbox("sync_draft")] == ["dead"]
    [(_, status, error)] = desk.outbox("submit_publish")
    assert status == "dead" and f"wxops item edit {item_id}" in error
    assert desk.item(item_id).state == State.PUBLISH_FAILED.value
    event, actor, comment = desk.last_audit(item_id)
    assert (event, actor) == ("publish_failed", SYSTEM_ACTOR.name)
    assert f"item edit {item_id}" in comment
    assert desk.notices("item_publish_failed") == sorted(
        [desk.team.staff_id("admin"), desk.team.staff_id("creator")])
    retry = commanding.refusal(desk.engine, desk.team.staff_id("admin"), f"重试 {item_id}",
                               datetime.now(UTC))  # says to add text with wxops item edit
    assert (retry.code, vars(retry).get("item_id")) == ("empty_body", item_id)
    assert desk.item(item_id).state == State.PUBLISH_FAILED.value
