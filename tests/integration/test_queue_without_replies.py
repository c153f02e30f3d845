"""An account that may not send customer-service messages (unverified accounts,
issue 21): tickets still open and staff still see the queue, but 回 and
`wxops queue reply` are refused before anything is queued; 结 T5 with a note
records that the team answered in the official backend. 帮助 leaves out 回 and
快捷 there, and 帮助 回 says why and where to answer instead."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import xmltodict
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from handlers import refusals
from handlers.commands.me import brief_usage
from handlers.commands.table import TABLE
from storage import staff
from storage.models import TicketMessage, TicketNote
from tests.harness import wechat as wx
from tests.integration import commanding
from tests.integration.clirun import Wxops
from tests.integration.commanding import NOW, audit_trail
from tests.integration.conftest import make_account
from tests.integration.queueing import Team, fan, make_team, outbox_rows, ticket
from tests.integration.test_cli_outbox import admin_and_ticket
from workflow.capabilities import (
    FULL,
    UNVERIFIED_SERVICE,
    UNVERIFIED_SUBSCRIPTION,
    VERIFIED_SUBSCRIPTION,
    AccountKind,
    Capabilities,
)
from workflow.errors import AccountCannotReply
from workflow.roles import Role

SMALL = Capabilities(UNVERIFIED_SUBSCRIPTION)


@pytest.fixture
def team(engine: Engine) -> Team:
    return make_team(engine)


def _no_reply_left_a_trace(engine: Engine) -> None:
    assert outbox_rows(engine) == []
    with engine.connect() as conn:
        assert conn.scalar(select(TicketMessage.id).where(TicketMessage.direction == "out")) \
            is None


@pytest.mark.parametrize("kind", [UNVERIFIED_SUBSCRIPTION, UNVERIFIED_SERVICE],
                         ids=lambda kind: kind.name)
def test_a_reply_is_refused_before_anything_is_queued(engine: Engine, team: Team,
                                                      kind: AccountKind) -> None:
    ticket_id = fan(engine, "o_a", "活动几点开始", NOW - timedelta(hours=1))  # window open

    refused = commanding.refusal(engine, team.li.id, f"回 T{ticket_id} 周六九点",
                                 capabilities=Capabilities(kind))

    assert isinstance(refused, AccountCannotReply)
    assert (refused.code, refused.ticket_id, refused.kind) == (
        "account_cannot_reply", ticket_id, kind.name)
    _no_reply_left_a_trace(engine)
    after = ticket(engine, ticket_id)
    assert (after.status, after.assignee_id) == ("open", None)  # not claimed either
    assert audit_trail(engine) == []


def test_a_saved_reply_is_not_looked_up_for_a_reply_that_cannot_go(engine: Engine,
                                                                    team: Team) -> None:
    ticket_id = fan(engine, "o_a", "地址在哪", NOW - timedelta(hours=1))
    refused = commanding.refusal(engine, team.li.id, f"回 T{ticket_id} #不存在",
                                 capabilities=SMALL)
    assert refused.code == "account_cannot_reply"  # not canned_unknown_in_reply


def test_the_ticket_opens_and_is_answered_in_the_backend_with_a_note(engine: Engine,
                                                                     team: Team) -> None:
    ticket_id = fan(engine, "o_a", "捐款收据", NOW - timedelta(hours=1))

    queue = commanding.ask(engine, team.li.id, "队列", capabilities=SMALL)
    assert [row["t"].id for row in queue.context["rows"]] == [ticket_id]
    noted = commanding.ask(engine, team.li.id, f"备注 T{ticket_id} 已在后台回复",
                           capabilities=SMALL)
    closed = commanding.ask(engine, team.li.id, f"结 T{ticket_id}", capabilities=SMALL)

    assert (noted.template, closed.template) == ("ticket_noted", "ticket_closed")
    with Session(engine) as session:
        assert session.scalars(select(TicketNote.content)).all() == ["已在后台回复"]
    assert ticket(engine, ticket_id).status == "resolved"
    assert outbox_rows(engine) == []
    assert audit_trail(engine) == [(f"ticket:{ticket_id}", "note", team.li.name),
                                   (f"ticket:{ticket_id}", "close", team.li.name)]


def test_a_verified_subscription_account_replies_as_before(engine: Engine,
                                                            team: Team) -> None:
    ticket_id = fan(engine, "o_a", "在吗", NOW - timedelta(hours=1))
    answer = commanding.ask(engine, team.li.id, f"回 T{ticket_id} 在的",
                            capabilities=Capabilities(VERIFIED_SUBSCRIPTION))
    assert answer.template == "ticket_replied"
    assert [row.kind for row in outbox_rows(engine)] == ["cs_reply"]


def _help_lines(engine: Engine, team: Team, capabilities: Capabilities) -> set[str]:
    groups = commanding.ask(engine, team.admin.id, "帮助",
                            capabilities=capabilities).context["groups"]
    return {usage for _, lines in groups for usage, _ in lines}


def test_help_leaves_out_replies_where_the_account_cannot_send_them(engine: Engine,
                                                                    team: Team) -> None:
    usage = {spec.name: brief_usage(spec) for command in TABLE for spec in command.every()}
    full, small = _help_lines(engine, team, FULL), _help_lines(engine, team, SMALL)
    assert {usage["reply"], usage["canned"]} <= full
    assert usage["reply"] not in small and usage["canned"] not in small
    # 稿件 12 草稿 goes too: an unverified account has no draft box either; nor has
    # it the comment interfaces (精选, 删评)
    assert full - small == {usage["reply"], usage["canned"], usage["item_drafts"],
                            usage["feature_comment"], usage["delete_comment"]}
    assert {usage["queue"], usage["close"], usage["note"]} <= small


def test_the_cli_reply_is_refused_on_such_an_account(
        engine_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    engine, _ = admin_and_ticket(engine_url, tmp_path, "在吗")  # T1, its window open
    wxops = Wxops(monkeypatch, capsys, tmp_path, WXOPS_DATABASE_URL=engine_url,
                  WXOPS_ACCOUNT_KIND="subscription", WXOPS_ACCOUNT_VERIFIED="false")
    ran = wxops("queue", "reply", "T1", "在的", "--as", "admin")
    assert (ran.status, ran.code, dict(ran.data)) == (
        1, "account_cannot_reply", {"ticket_id": 1, "kind": SMALL.kind.name})
    _no_reply_left_a_trace(engine)
    assert ticket(engine, 1).status == "open"
    engine.dispose()


def test_the_endpoint_builds_the_contexts_from_the_settings(engine: Engine) -> None:
    """Through the endpoint, as WeChat pushes: the follower's ticket opens, and a
    staff member's 回 on it is refused with the words for the settings' kind."""
    small = make_account(engine, WXOPS_ACCOUNT_KIND="subscription",
                         WXOPS_ACCOUNT_VERIFIED="false")
    assert small.app.settings.kind == UNVERIFIED_SUBSCRIPTION
    with Session(engine) as session:
        staff.add_staff(session, "李雷", frozenset({Role.REVIEWER}), NOW, openid="o_li")
        session.commit()
    small.client.push(wx.text("活动几点开始", msg_id=1))
    assert ticket(engine, 1).status == "open"
    answered = small.client.push(wx.text("回 T1 周六九点", sender="o_li", msg_id=2),
                                 mode="safe").text
    assert xmltodict.parse(answered)["xml"]["Content"] == refusals.say(
        AccountCannotReply(1, UNVERIFIED_SUBSCRIPTION.name))
    _no_reply_left_a_trace(engine)


def test_closing_with_a_note_records_the_answer_in_the_backend(engine: Engine,
                                                               team: Team) -> None:
    """结 T5 <备注> (issue 21: "the ticket records that it was answered there when a
    staff member closes it with a note"): one command, one transaction."""
    ticket_id = fan(engine, "o_a", "捐款收据", NOW - timedelta(hours=1))

    closed = commanding.ask(engine, team.li.id, f"结 T{ticket_id} 已在后台回复",
                            capabilities=SMALL)

    assert (closed.template, closed.context["resolution"], closed.context["note"]) == (
        "ticket_closed", "answered_in_backend", "已在后台回复")
    after = ticket(engine, ticket_id)
    assert (after.status, after.resolution, after.assignee_id) == (
        "resolved", "answered_in_backend", team.li.id)
    with Session(engine) as session:
        assert session.scalars(select(TicketNote.content)).all() == ["已在后台回复"]
    assert outbox_rows(engine) == []
    assert audit_trail(engine) == [(f"ticket:{ticket_id}", "close", team.li.name)]
    history = commanding.ask(engine, team.li.id, f"工单 T{ticket_id}", capabilities=SMALL)
    shown = history.render()
    assert "已在公众号后台答复" in shown and "已在后台回复" in shown


def test_closing_with_a_note_where_replies_go_from_wxops_is_resolved(engine: Engine,
                                                                     team: Team) -> None:
    ticket_id = fan(engine, "o_a", "在吗", NOW - timedelta(hours=1))
    closed = commanding.ask(engine, team.li.id, f"结 T{ticket_id} 已电话联系",
                            capabilities=FULL)
    assert closed.context["resolution"] == "resolved"
    assert ticket(engine, ticket_id).resolution == "resolved"
    with Session(engine) as session:
        assert session.scalars(select(TicketNote.content)).all() == ["已电话联系"]


def test_closing_without_a_note_is_resolved_on_any_account(engine: Engine,
                                                           team: Team) -> None:
    ticket_id = fan(engine, "o_a", "谢谢", NOW - timedelta(hours=1))
    commanding.ask(engine, team.li.id, f"结 T{ticket_id}", capabilities=SMALL)
    assert ticket(engine, ticket_id).resolution == "resolved"
    with Session(engine) as session:
        assert session.scalars(select(TicketNote.content)).all() == []


@pytest.mark.parametrize("topic", ["回", "reply", "快捷"])
def test_help_on_a_command_the_account_cannot_use_says_why_and_where(
        engine: Engine, team: Team, topic: str) -> None:
    small = commanding.ask(engine, team.li.id, f"帮助 {topic}", capabilities=SMALL)
    full = commanding.ask(engine, team.li.id, f"帮助 {topic}", capabilities=FULL)
    assert (small.template, small.context["lacking"]) == ("me_help_topic", "customer_service")
    assert full.context["lacking"] == ""
    shown = small.render()
    assert "消息管理" in shown and "未认证的订阅号" in shown
    assert "消息管理" not in full.render()
