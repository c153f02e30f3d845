"""Reply-queue commands through the real grammar and dispatcher, on both engines.

The tests assert on what a command answers as data (its template and context,
``ask``) and on a refusal's code and data (``refused``); the last section checks
the catalogue's wording of the queue, a ticket and the ticket refusals.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from handlers import refusals
from handlers.when import format_when
from storage import platform
from storage.models import (
    CannedReply,
    Follower,
    ReplyTicket,
    TicketMessage,
    TicketNote,
)
from tests.integration.commanding import NOW, TZ, audit_trail, refusal
from tests.integration.queueing import (
    Team,
    ask,
    fan,
    make_team,
    outbox_rows,
    refused,
    say,
    ticket,
)
from workflow.errors import WorkflowError
from workflow.queue_view import QueueLine
from workflow.roles import ROLE_LABELS, Role
from workflow.window import Closed


@pytest.fixture
def team(engine: Engine) -> Team:
    return make_team(engine)


def listed(engine: Engine, team: Team, now: timedelta = timedelta()) -> list[QueueLine]:
    """The tickets 队列 lists, in its order."""
    return [row["t"] for row in ask(engine, team.li, "队列", NOW + now).context["rows"]]


def closed_refusal(ticket_id: int, action: str, holder: str,
                   resolution: str = "resolved") -> tuple[str, dict[str, object]]:
    """What an action on a ticket closed before the command read it is refused with."""
    return "ticket_refused", {"ticket_id": ticket_id, "action": action, "refusal": "closed",
                              "raced": False, "assignee": holder, "resolution": resolution}


# 队列


def test_queue_is_high_priority_first_then_longest_waiting(engine: Engine, team: Team) -> None:
    question, complaint = "请问周六的活动几点开始？", "投诉：上次活动没人接待"
    long_question = "我想报名做志愿者，需要准备什么材料呢？请告诉我具体的流程和时间安排"
    recent = fan(engine, "o_a", question, NOW - timedelta(minutes=30))
    oldest = fan(engine, "o_b", long_question, NOW - timedelta(hours=2, minutes=5))
    urgent = fan(engine, "o_c", complaint, NOW - timedelta(minutes=10), priority=1)
    say(engine, team.wang, f"接 T{oldest}")

    answer = ask(engine, team.li, "队列")

    assert (answer.template, answer.context["total"], answer.context["snoozed"]) == (
        "queue", 3, 0)
    assert [(r["t"].id, r["t"].priority, r["status"], r["minutes"], r["t"].assignee,
             r["t"].preview) for r in answer.context["rows"]] == [
        (urgent, 1, "open", 10, None, complaint),
        (oldest, 0, "open", 125, team.wang.name, long_question),
        (recent, 0, "open", 30, None, question)]


def test_an_empty_queue_says_so(engine: Engine, team: Team) -> None:
    answer = ask(engine, team.wang, "队列")
    assert (answer.template, answer.context["rows"], answer.context["total"]) == ("queue", [], 0)


def test_the_queue_lists_fifteen_and_counts_them_all(engine: Engine, team: Team) -> None:
    messages = [f"留言 {i}" for i in range(17)]
    for i, text in enumerate(messages):
        fan(engine, f"o_{i}", text, NOW - timedelta(minutes=60 - i))
    answer = ask(engine, team.wang, "queue")
    assert answer.context["total"] == 17
    assert [r["t"].preview for r in answer.context["rows"]] == messages[:15]


def test_a_snoozed_ticket_leaves_the_queue_until_its_snooze_passes(engine: Engine,
                                                                    team: Team) -> None:
    ticket_id = fan(engine, "o_a", "能开发票吗", NOW - timedelta(hours=1))

    answer = ask(engine, team.wang, f"缓 T{ticket_id} 2小时")

    until = NOW + timedelta(hours=2)
    assert (answer.template, answer.context["t"].id, answer.context["until"]) == (
        "ticket_snoozed", ticket_id, format_when(until, NOW.astimezone(TZ)))
    snoozed = ticket(engine, ticket_id)
    assert snoozed.status == "snoozed" and snoozed.snoozed_until == until
    assert snoozed.waiting_since == NOW - timedelta(hours=1)  # still counts as waiting
    queue = ask(engine, team.wang, "队列").context
    assert (queue["rows"], queue["snoozed"]) == ([], 1)
    assert listed(engine, team, timedelta(minutes=119)) == []
    later = timedelta(hours=2, minutes=1)
    [row] = ask(engine, team.wang, "队列", NOW + later).context["rows"]
    assert (row["t"].id, row["status"], row["minutes"], row["t"].assignee) == (
        ticket_id, "open", 181, None)
    assert ask(engine, team.wang, f"工单 T{ticket_id}", NOW + later).context["status"] == "open"
    assert audit_trail(engine) == [(f"ticket:{ticket_id}", "snooze", team.wang.name)]


def test_a_snooze_that_is_not_a_duration_is_refused(engine: Engine, team: Team) -> None:
    ticket_id = fan(engine, "o_a", "你好", NOW)
    # The duration parser's own words (handlers/when.py), not yet a code.
    assert "没看懂时长“明天吧”" in say(engine, team.wang, f"缓 T{ticket_id} 明天吧")
    assert "1分钟到30天" in say(engine, team.wang, f"缓 T{ticket_id} 40天")
    assert ticket(engine, ticket_id).status == "open"
    assert audit_trail(engine) == []


# 接


def test_claim_is_first_come_and_idempotent(engine: Engine, team: Team) -> None:
    ticket_id = fan(engine, "o_a", "你好", NOW)

    claimed = ask(engine, team.wang, f"接 T{ticket_id}")
    assert (claimed.template, claimed.context["t"].id, claimed.context["again"]) == (
        "ticket_claimed", ticket_id, False)
    assert refused(engine, team.li, f"接 T{ticket_id}") == ("ticket_refused", {
        "ticket_id": ticket_id, "action": "claim", "refusal": "taken", "raced": False,
        "assignee": team.wang.name, "resolution": ""})
    again = ask(engine, team.wang, f"claim t{ticket_id}")
    assert (again.template, again.context["again"]) == ("ticket_claimed", True)

    assert ticket(engine, ticket_id).assignee_id == team.wang.id
    assert audit_trail(engine) == [(f"ticket:{ticket_id}", "claim", team.wang.name)]


def test_a_missing_ticket_is_named(engine: Engine, team: Team) -> None:
    for text in ("接 T99", "回 T99 你好", "结 T99", "缓 T99 1小时", "备注 T99 x", "工单 T99"):
        assert refused(engine, team.wang, text) == ("ticket_not_found", {"ticket_id": 99}), text


# 回


def test_a_reply_is_queued_and_the_ticket_becomes_the_replier(engine: Engine,
                                                              team: Team) -> None:
    ticket_id = fan(engine, "o_a", "活动几点开始", NOW - timedelta(hours=1))
    text = "周六上午九点，欢迎来！"

    answer = ask(engine, team.li, f"回 T{ticket_id} {text}")

    assert (answer.template, answer.context["t"].id, answer.context["text"],
            answer.context["mine"], answer.context["claimed"]) == (
        "ticket_replied", ticket_id, text, True, True)
    [row] = outbox_rows(engine)
    assert (row.kind, row.recipient, row.payload["text"]) == ("cs_reply", "o_a", text)
    after = ticket(engine, ticket_id)
    assert (after.status, after.assignee_id, after.first_response_at, after.waiting_since) == \
        ("pending", team.li.id, NOW, None)
    assert (f"ticket:{ticket_id}", "reply", team.li.name) in audit_trail(engine)


def test_replying_to_someone_elses_ticket_keeps_their_claim(engine: Engine, team: Team) -> None:
    ticket_id = fan(engine, "o_a", "活动几点开始", NOW)
    say(engine, team.wang, f"接 T{ticket_id}")
    answer = ask(engine, team.li, f"回 T{ticket_id} 九点").context
    assert (answer["mine"], answer["claimed"], answer["t"].assignee) == (
        False, False, team.wang.name)
    assert ticket(engine, ticket_id).assignee_id == team.wang.id


def test_a_reply_too_long_is_refused_before_anything_changes(engine: Engine,
                                                             team: Team) -> None:
    ticket_id = fan(engine, "o_a", "活动几点开始", NOW)
    assert refused(engine, team.wang, f"回 T{ticket_id} {'长' * 601}") == (
        "reply_too_long", {"limit": 600, "length": 601})
    assert outbox_rows(engine) == [] and audit_trail(engine) == []
    assert ticket(engine, ticket_id).assignee_id is None


def test_a_canned_code_expands_to_the_saved_reply(engine: Engine, team: Team) -> None:
    ticket_id = fan(engine, "o_a", "在哪里", NOW)
    address = "社区中心在幸福路 8 号"
    say(engine, team.admin, f"快捷 添加 地址 {address}")

    answer = ask(engine, team.wang, f"回 T{ticket_id} #地址")

    assert answer.context["text"] == address
    assert outbox_rows(engine)[0].payload["text"] == address
    say(engine, team.wang, f"回 T{ticket_id} #地址 周六见")
    assert outbox_rows(engine)[1].payload["text"] == f"{address} 周六见"


def test_an_unknown_canned_code_is_refused_with_the_known_ones(engine: Engine,
                                                               team: Team) -> None:
    ticket_id = fan(engine, "o_a", "在哪里", NOW)
    address, hours, phone = "地址", "时间", "电话"
    assert refused(engine, team.wang, f"回 T{ticket_id} #{address}") == (
        "canned_unknown_in_reply", {"code": address, "codes": []})
    say(engine, team.admin, f"快捷 添加 {address} 幸福路 8 号")
    say(engine, team.admin, f"快捷 添加 {hours} 周六 9:00")
    assert refused(engine, team.wang, f"回 T{ticket_id} #{phone}") == (
        "canned_unknown_in_reply", {"code": phone, "codes": [address, hours]})
    assert outbox_rows(engine) == []
    assert ticket(engine, ticket_id).status == "open"


def test_a_reply_outside_the_48_hour_window_is_refused_and_not_queued(engine: Engine,
                                                                      team: Team) -> None:
    ticket_id = fan(engine, "o_a", "在吗", NOW - timedelta(hours=2))
    with engine.begin() as conn:
        conn.execute(update(Follower).where(Follower.openid == "o_a")
                     .values(last_message_at=NOW - timedelta(hours=49)))

    assert refused(engine, team.wang, f"回 T{ticket_id} 在的") == (
        "reply_window_closed", {"ticket_id": ticket_id, "why": Closed.EXPIRED})

    assert outbox_rows(engine) == []
    with engine.connect() as conn:
        assert conn.scalar(select(TicketMessage.id).where(TicketMessage.direction == "out")) \
            is None
    assert ticket(engine, ticket_id).status == "open"
    assert audit_trail(engine) == []


# 结 and what a resolved ticket refuses


def test_close_resolves_and_a_resolved_ticket_refuses_changes(engine: Engine,
                                                              team: Team) -> None:
    ticket_id = fan(engine, "o_a", "谢谢", NOW - timedelta(minutes=5))

    answer = ask(engine, team.wang, f"结 T{ticket_id}")

    assert (answer.template, answer.context["t"].id) == ("ticket_closed", ticket_id)
    closed = ticket(engine, ticket_id)
    assert (closed.status, closed.resolution, closed.resolved_at, closed.waiting_since) == \
        ("resolved", "resolved", NOW, None)
    actions = {f"回 T{ticket_id} 不客气": "reply", f"接 T{ticket_id}": "claim",
               f"缓 T{ticket_id} 1小时": "snooze", f"结 T{ticket_id}": "close"}
    for text, action in actions.items():  # the closer holds it: nobody had claimed it
        assert refused(engine, team.li, text) == closed_refusal(ticket_id, action,
                                                               team.wang.name), text
    assert outbox_rows(engine) == []
    assert audit_trail(engine) == [(f"ticket:{ticket_id}", "close", team.wang.name)]
    shown = ask(engine, team.li, f"工单 T{ticket_id}").context
    assert (shown["status"], shown["t"].resolution) == ("resolved", "resolved")
    assert ticket_id not in [t.id for t in listed(engine, team)]


# 备注 and 工单


def test_a_note_is_private_and_shown_with_the_ticket(engine: Engine, team: Team) -> None:
    ticket_id = fan(engine, "o_a", "我的捐款收据还没收到", NOW - timedelta(hours=1))
    text = "已电话联系，下周寄出"

    answer = ask(engine, team.wang, f"备注 T{ticket_id} {text}")

    assert (answer.template, answer.context["t"].id, answer.context["text"]) == (
        "ticket_noted", ticket_id, text)
    with Session(engine) as session:
        note = session.scalars(select(TicketNote)).one()
    assert (note.ticket_id, note.staff_id, note.content) == (ticket_id, team.wang.id, text)
    assert outbox_rows(engine) == []
    assert audit_trail(engine) == [(f"ticket:{ticket_id}", "note", team.wang.name)]


def test_show_ticket_lists_messages_with_delivery_notes_and_state(engine: Engine,
                                                                   team: Team) -> None:
    ticket_id = _a_ticket_with_history(engine, team)

    shown = ask(engine, team.li, f"ticket T{ticket_id}")

    context = shown.context
    assert (shown.template, context["t"].id, context["t"].priority, context["status"],
            context["minutes"], context["t"].assignee, context["earlier"]) == (
        "ticket", ticket_id, 1, "open", 20, team.wang.name, 0)
    assert [(m.at, m.direction, m.staff, m.delivery, m.content)
            for m in context["messages"]] == [
        (NOW - timedelta(hours=3), "in", None, "", HISTORY[0]),
        (NOW - timedelta(hours=2), "out", team.wang.name, "sent", HISTORY[1]),
        (NOW - timedelta(hours=1), "out", team.wang.name, "refused", HISTORY[2]),
        (NOW - timedelta(minutes=20), "in", None, "", HISTORY[3])]
    assert [(n.staff, n.at, n.content) for n in context["notes"]] == [
        (team.wang.name, NOW, NOTE)]


HISTORY = ("收据没收到", "马上查", "已寄出", "收到了，谢谢")
NOTE = "快递单号 SF123"


def _a_ticket_with_history(engine: Engine, team: Team) -> int:
    """A complaint answered twice (delivered, then refused), a note, and the
    follower's thanks 20 minutes ago."""
    ticket_id = fan(engine, "o_a", HISTORY[0], NOW - timedelta(hours=3), priority=1)
    say(engine, team.wang, f"回 T{ticket_id} {HISTORY[1]}", NOW - timedelta(hours=2))
    say(engine, team.wang, f"回 T{ticket_id} {HISTORY[2]}", NOW - timedelta(hours=1))
    say(engine, team.wang, f"备注 T{ticket_id} {NOTE}")
    with engine.begin() as conn:
        out = conn.execute(select(TicketMessage.id).where(TicketMessage.direction == "out")
                           .order_by(TicketMessage.id)).scalars().all()
        platform.set_delivery(conn, out[0], "sent")
        platform.set_delivery(conn, out[1], "refused")
    fan(engine, "o_a", HISTORY[3], NOW - timedelta(minutes=20))
    return ticket_id


def test_a_queued_reply_shows_as_waiting_to_send(engine: Engine, team: Team) -> None:
    ticket_id = fan(engine, "o_a", "你好", NOW - timedelta(minutes=3))
    say(engine, team.wang, f"回 T{ticket_id} 您好")
    shown = ask(engine, team.wang, f"工单 T{ticket_id}").context
    assert [(m.direction, m.staff, m.delivery) for m in shown["messages"]] == [
        ("in", None, ""), ("out", team.wang.name, "queued")]
    assert shown["status"] == "pending"
    [row] = ask(engine, team.wang, "队列").context["rows"]
    assert (row["t"].id, row["status"], row["minutes"], row["t"].assignee) == (
        ticket_id, "pending", None, team.wang.name)


# 快捷


def test_canned_replies_are_listed_added_overwritten_and_deleted(engine: Engine,
                                                                 team: Team) -> None:
    address, old, new = "地址", "幸福路 8 号", "幸福路 9 号"
    assert ask(engine, team.admin, "快捷").context == {"replies": []}
    assert ask(engine, team.admin, f"快捷 添加 {address} {old}").context == {
        "code": address, "body": old, "created": True}
    assert ask(engine, team.admin, f"快捷 添加 {address} {new}").context == {
        "code": address, "body": new, "created": False}
    assert ask(engine, team.admin, "canned add hours 9:00-17:00").context == {
        "code": "HOURS", "body": "9:00-17:00", "created": True}
    listed = ask(engine, team.admin, "快捷").context["replies"]
    assert {(r.shortcut, r.body) for r in listed} == {(address, new), ("HOURS", "9:00-17:00")}
    removed = ask(engine, team.admin, f"快捷 删除 {address}")
    assert (removed.template, removed.context) == ("canned_removed", {"code": address})
    assert refused(engine, team.admin, f"快捷 删除 {address}") == (
        "canned_unknown", {"code": address, "codes": ["HOURS"]})
    with Session(engine) as session:
        assert session.scalars(select(CannedReply.shortcut)).all() == ["HOURS"]
    assert [e[:2] for e in audit_trail(engine)] == [
        (f"canned:{address}", "canned_add"), (f"canned:{address}", "canned_edit"),
        ("canned:HOURS", "canned_add"), (f"canned:{address}", "canned_remove")]


def test_canned_refuses_bad_codes_empty_bodies_and_non_admins(engine: Engine,
                                                              team: Team) -> None:
    assert refused(engine, team.admin, "快捷 添加 a-b 内容") == ("canned_code_invalid", {})
    assert refused(engine, team.admin, f"快捷 添加 {'长' * 17} 内容") == (
        "canned_code_invalid", {})
    assert refused(engine, team.admin, "快捷 添加 地址") == ("canned_body_invalid",
                                                           {"limit": 600})
    assert refused(engine, team.admin, "快捷 改 地址") == ("canned_usage", {})
    command = "快捷"  # the command word
    assert refused(engine, team.wang, f"{command} 添加 地址 幸福路") == (
        "needs_role", {"command": command, "roles": [ROLE_LABELS[Role.ADMIN]]})
    assert audit_trail(engine) == []


def test_the_queue_lists_exactly_what_the_rules_say(engine: Engine, team: Team) -> None:
    """storage.queue_ops states workflow.reply_queue.in_queue in SQL: they agree."""
    from storage.uow import SqlUnitOfWork
    from workflow import ticket_cases
    from workflow.reply_queue import in_queue

    shapes = [("open", None), ("pending", None), ("resolved", None),
              ("snoozed", NOW - timedelta(minutes=1)), ("snoozed", NOW + timedelta(hours=1)),
              ("snoozed", None)]
    ids = []
    for n, (status, until) in enumerate(shapes):
        ticket_id = fan(engine, f"o_{n}", "你好", NOW - timedelta(minutes=n))
        with engine.begin() as conn:
            conn.execute(update(ReplyTicket).where(ReplyTicket.id == ticket_id)
                         .values(status=status, snoozed_until=until))
        ids.append(ticket_id)
    listed = {t.id for t in ticket_cases.queue(SqlUnitOfWork(engine), NOW, 50).tickets}
    states = [ticket_cases.line(SqlUnitOfWork(engine), i) for i in ids]
    assert listed == {s.id for s in states if in_queue(s.facts, NOW)}
    assert len(listed) == 4  # open, pending, and the two snoozes that have run out


# The catalogue's wording (templates/cmd/queue.j2, cmd/ticket.j2, errors.j2)


def test_the_queue_reads_as_one_line_a_ticket(engine: Engine, team: Team) -> None:
    long_question = "我想报名做志愿者，需要准备什么材料呢？请告诉我具体的流程和时间安排"
    recent = fan(engine, "o_a", "请问周六的活动几点开始？", NOW - timedelta(minutes=30))
    oldest = fan(engine, "o_b", long_question, NOW - timedelta(hours=2, minutes=5))
    urgent = fan(engine, "o_c", "投诉：上次活动没人接待", NOW - timedelta(minutes=10), priority=1)
    say(engine, team.wang, f"接 T{oldest}")

    lines = say(engine, team.li, "队列").splitlines()

    assert "共 3 条" in lines[0]
    assert [line.split(" ")[0] for line in lines[1:4]] == [f"T{urgent}！", f"T{oldest}",
                                                           f"T{recent}"]
    assert "等了 10 分钟 · 未认领 · 投诉：上次活动没人接待" in lines[1]
    assert "等了 2 小时 5 分 · 王芳 · " in lines[2]
    assert lines[2].endswith(f" · {long_question[:30]}…")
    assert "！" not in lines[3] and "等了 30 分钟" in lines[3]


def test_a_ticket_reads_as_its_history(engine: Engine, team: Team) -> None:
    ticket_id = _a_ticket_with_history(engine, team)

    shown = say(engine, team.li, f"ticket T{ticket_id}").splitlines()

    assert shown[0] == f"工单 T{ticket_id}！"
    assert shown[1] == "状态：待回复，已等 20 分钟"
    assert shown[2] == "认领人：王芳　优先级：高"
    assert shown[3:7] == ["今天 11:00 粉丝 → 收据没收到",
                          "今天 12:00 ← 回复（王芳，已送达）：马上查",
                          "今天 13:00 ← 回复（王芳，未送达）：已寄出",
                          "今天 13:40 粉丝 → 收到了，谢谢"]
    assert shown[7:9] == ["备注：", "· 王芳（今天 14:00）：快递单号 SF123"]


def test_ticket_refusals_read_the_same_in_chat_and_from_their_code(engine: Engine,
                                                                   team: Team) -> None:
    """Chat says the workflow's refusal as errors.j2 words it (the CLI does too)."""
    ticket_id = fan(engine, "o_a", "谢谢", NOW)
    say(engine, team.wang, f"结 T{ticket_id}")
    worded = {f"接 T{ticket_id}": "已结束（已解决），不用认领了",
              f"回 T{ticket_id} 好": "已结束（已解决），不能再回复；粉丝再发消息会开新工单",
              f"缓 T{ticket_id} 1小时": "已结束（已解决），不用暂缓",
              f"结 T{ticket_id}": "已经结束了（已解决）"}
    for text, words in worded.items():
        error = refusal(engine, team.li.id, text)
        assert isinstance(error, WorkflowError)
        assert say(engine, team.li, text) == refusals.say(error) == f"T{ticket_id} {words}"
    assert say(engine, team.wang, "接 T99") == "找不到工单 T99"
    other = fan(engine, "o_b", "你好", NOW)
    say(engine, team.wang, f"接 T{other}")
    assert say(engine, team.li, f"接 T{other}") == f"T{other} 已由 王芳 认领"
    assert "不能超过 600 字（现在 601 字）" in say(engine, team.li, f"回 T{other} {'长' * 601}")
    with engine.begin() as conn:
        conn.execute(update(Follower).where(Follower.openid == "o_b")
                     .values(last_message_at=NOW - timedelta(hours=49)))
    assert say(engine, team.li, f"回 T{other} 在的") == (
        f"T{other} 现在无法回复：对方超过 48 小时没有发消息，客服消息无法送达。回复没有发出。")
    assert say(engine, team.li, f"备注 T{other} {'长' * 1001}") == "备注不能超过 1000 字"
