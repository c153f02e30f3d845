"""A follower writing again to an unresolved ticket: when they are told it was
added (reply_queue.follow_up_note), on both engines, and what the queue shows of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import xmltodict
from sqlalchemy import Engine, func, select, update

from handlers import texts
from handlers.hours import OfficeHours
from handlers.replies import TEXT_REPLY_BYTES
from storage import followers, tickets
from storage.models import OutboxMessage, TicketMessage
from storage.uow import SqlUnitOfWork
from tests.harness import wechat as wx
from tests.integration.commanding import NOW
from tests.integration.conftest import Account, make_account
from tests.integration.queueing import ask, make_team, say, ticket
from workflow import ticket_cases
from workflow.reply_queue import COMPLAINT_PRIORITY, QUIET_SPELL, FollowUpNote
from workflow.tickets import Arrival, Arrived

MINUTE = timedelta(minutes=1)


def write(engine: Engine, text: str, at: datetime, priority: int = 0,
          openid: str = "o_fan") -> Arrived:
    """The follower's message at ``at``, as the endpoint records it."""
    with engine.begin() as conn:
        follower_id = followers.touch(conn, openid, at, "message").follower_id
        return tickets.record_inbound(conn, follower_id, "text", text, None, at, priority)


def notes(engine: Engine, *messages: tuple[str, datetime, int]) -> list[FollowUpNote | None]:
    touches = [write(engine, text, at, priority) for text, at, priority in messages]
    assert touches[0].arrival is Arrival.OPENED
    assert not any(t.arrival is Arrival.OPENED for t in touches[1:])
    assert len({t.ticket_id for t in touches}) == 1
    return [t.note for t in touches[1:]]


# When a follow-up is noted


def test_messages_in_quick_succession_get_nothing(engine: Engine) -> None:
    noted = notes(engine, ("你好", NOW, 0), ("在吗", NOW + MINUTE, 0),
                  ("活动几点开始", NOW + 29 * MINUTE, 0))
    assert noted == [None, None]


def test_a_follow_up_after_a_quiet_spell_is_noted_once(engine: Engine) -> None:
    back = NOW + QUIET_SPELL  # the spell is measured from the newest message
    noted = notes(engine, ("你好", NOW, 0), ("还有人吗", back, 0), ("？", back + MINUTE, 0),
                  ("我再问一次", back + MINUTE + QUIET_SPELL + MINUTE, 0))
    assert noted == [FollowUpNote.QUIET, None, FollowUpNote.QUIET]


def test_a_complaint_is_noted_when_it_makes_the_ticket_one(engine: Engine) -> None:
    noted = notes(engine, ("请问活动几点开始", NOW, 0),
                  ("我要投诉，一直没人回", NOW + MINUTE, COMPLAINT_PRIORITY),
                  ("投诉！", NOW + 2 * MINUTE, COMPLAINT_PRIORITY),
                  ("好的", NOW + 3 * MINUTE, 0))
    assert noted == [FollowUpNote.COMPLAINT, None, None]
    assert ticket(engine, 1).priority == COMPLAINT_PRIORITY


def test_a_ticket_opened_by_a_complaint_gets_no_note_for_the_next_one(engine: Engine) -> None:
    noted = notes(engine, ("投诉：没人接待", NOW, COMPLAINT_PRIORITY),
                  ("投诉！！", NOW + MINUTE, COMPLAINT_PRIORITY))
    assert noted == [None]


def test_a_staff_answer_keeps_the_conversation_going(engine: Engine) -> None:
    team = make_team(engine)
    first = write(engine, "周六有活动吗", NOW)
    say(engine, team.wang, f"回 T{first.ticket_id} 有，九点开始", NOW + 2 * QUIET_SPELL)
    thanks = write(engine, "好的谢谢", NOW + 2 * QUIET_SPELL + MINUTE)
    assert (thanks.ticket_id, thanks.arrival, thanks.note) == (first.ticket_id, Arrival.REOPENED,
                                                            None)
    reopened = ticket(engine, first.ticket_id)
    assert reopened.status == "open"
    assert reopened.waiting_since == NOW + 2 * QUIET_SPELL + MINUTE


def test_a_follow_up_long_after_the_answer_is_noted_and_reopens(engine: Engine) -> None:
    team = make_team(engine)
    first = write(engine, "周六有活动吗", NOW)
    say(engine, team.wang, f"回 T{first.ticket_id} 有，九点开始", NOW + MINUTE)
    later = write(engine, "下周六呢", NOW + MINUTE + QUIET_SPELL)
    assert (later.ticket_id, later.note) == (first.ticket_id, FollowUpNote.QUIET)
    assert ticket(engine, first.ticket_id).status == "open"


def test_a_closed_ticket_is_not_followed_up_a_new_one_opens(engine: Engine) -> None:
    team = make_team(engine)
    first = write(engine, "你好", NOW)
    say(engine, team.wang, f"结 T{first.ticket_id}", NOW + MINUTE)
    again = write(engine, "又有问题", NOW + 2 * MINUTE)
    assert again.arrival is Arrival.OPENED and again.note is None
    assert again.ticket_id != first.ticket_id


# What the follower gets


def reply_content(text: str) -> str | None:
    """The passive reply's text, or None for ``success``."""
    if text == "success":
        return None
    return str(dict(xmltodict.parse(text)["xml"])["Content"])


def backdate_messages(account: Account, by: timedelta) -> None:
    with account.engine.begin() as conn:
        conn.execute(update(TicketMessage).values(
            created_at=datetime.now(UTC) - by))


def outbox_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


def push(account: Account, text: str, msg_id: int) -> str | None:
    return reply_content(account.client.push(wx.text(text, msg_id=msg_id)).text)


def test_a_follower_writing_after_a_quiet_spell_is_told_once(account: Account) -> None:
    hello, there, anyone, what = "你好", "在吗", "还有人吗", "？"
    assert push(account, hello, 1) == texts.render("ack", ticket_id=1)
    assert push(account, there, 2) is None
    backdate_messages(account, QUIET_SPELL + MINUTE)
    assert push(account, anyone, 3) == texts.render("ack_follow_up", ticket_id=1,
                                                    complaint=False)
    assert push(account, what, 4) is None
    assert outbox_count(account.engine) == 0  # passive replies only


def test_a_complaint_is_told_it_was_added_and_then_silence(account: Account) -> None:
    question, complaint, again = "请问活动几点开始", "我要投诉，一直没人回", "投诉！"
    push(account, question, 1)
    assert push(account, complaint, 2) == texts.render(
        "ack_follow_up", ticket_id=1, complaint=True)
    assert push(account, again, 3) is None
    assert outbox_count(account.engine) == 0


def test_out_of_hours_the_note_says_when_the_team_answers(engine: Engine) -> None:
    away = make_account(engine, WXOPS_OFFICE_HOURS="sun 03:00-03:01")
    evening, anyone = "晚上好", "有人吗"
    push(away, evening, 1)
    backdate_messages(away, QUIET_SPELL)
    hours = OfficeHours.parse("sun 03:00-03:01").describe()
    assert push(away, anyone, 2) == texts.render("ack_follow_up_away", ticket_id=1,
                                                 complaint=False, hours=hours)


@pytest.mark.parametrize("key", ["ack_follow_up", "ack_follow_up_away"])
def test_the_notes_are_short_and_editable(key: str) -> None:
    sample: dict[str, Any] = dict(texts.EDITABLE[key].sample)
    for complaint in (False, True):
        shown = texts.render(key, **{**sample, "complaint": complaint})
        assert "T5" in shown and len(shown) < 100
    assert texts.check_template(key, "已加入 T{{ ticket_id }}") == "已加入 T5"


# What the team sees


def test_the_queue_previews_the_newest_message_with_the_complaint_mark(engine: Engine) -> None:
    team = make_team(engine)
    complaint, other = "我要投诉，一直没人回", "普通问题"
    write(engine, "请问周六的活动几点开始？", NOW - 20 * MINUTE)
    write(engine, complaint, NOW - 10 * MINUTE, COMPLAINT_PRIORITY)
    write(engine, other, NOW - 5 * MINUTE, openid="o_other")
    rows = ask(engine, team.li, "队列").context["rows"]
    assert [(r["t"].id, r["t"].priority, r["t"].preview) for r in rows] == [
        (1, COMPLAINT_PRIORITY, complaint), (2, 0, other)]

    page = ticket_cases.queue(SqlUnitOfWork(engine), NOW, 50)  # wxops queue list
    listed = {r.id: (r.priority, r.preview) for r in page.tickets}
    detail = ticket_cases.history(SqlUnitOfWork(engine), 1)
    assert listed == {1: (COMPLAINT_PRIORITY, complaint), 2: (0, other)}
    assert detail.ticket.preview == complaint

    shown = ask(engine, team.li, "工单 T1").context
    assert (shown["t"].priority, shown["messages"][-1].direction,
            shown["messages"][-1].content) == (COMPLAINT_PRIORITY, "in", complaint)
    claimed = ask(engine, team.li, "接 T1")
    assert (claimed.template, claimed.context["t"].preview) == ("ticket_claimed", complaint)


def test_the_preview_is_the_followers_not_the_answer(engine: Engine) -> None:
    team = make_team(engine)
    question = "周六有活动吗"
    write(engine, question, NOW - 10 * MINUTE)
    say(engine, team.wang, "回 T1 有，九点开始", NOW - 5 * MINUTE)
    found = ticket_cases.line(SqlUnitOfWork(engine), 1)
    assert found.preview == question


def test_a_long_ticket_shows_its_newest_messages_in_one_reply(engine: Engine) -> None:
    team = make_team(engine)
    written = [f"第{n}条：" + "很长的留言" * 60 for n in range(12)]
    for n, text in enumerate(written):
        write(engine, text, NOW - (30 - n) * MINUTE)
    shown = ask(engine, team.li, "工单 T1")
    assert len(shown.render().encode()) <= TEXT_REPLY_BYTES
    messages = [m.content for m in shown.context["messages"]]
    assert messages == written[len(written) - len(messages):]  # the newest, in order
    assert written[0] not in messages and shown.context["earlier"] == 12 - len(messages) > 0
