"""Reply-queue commands through the real grammar and dispatcher, on both engines."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from storage import platform
from storage.models import (
    CannedReply,
    Follower,
    ReplyTicket,
    TicketMessage,
    TicketNote,
)
from tests.integration.commanding import NOW, audit_trail
from tests.integration.queueing import Team, fan, make_team, outbox_rows, say, ticket


@pytest.fixture
def team(engine: Engine) -> Team:
    return make_team(engine)


# 队列


def test_queue_is_high_priority_first_then_longest_waiting(engine: Engine, team: Team) -> None:
    recent = fan(engine, "o_a", "请问周六的活动几点开始？", NOW - timedelta(minutes=30))
    long_question = "我想报名做志愿者，需要准备什么材料呢？请告诉我具体的流程和时间安排"
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


def test_an_empty_queue_says_so(engine: Engine, team: Team) -> None:
    assert say(engine, team.wang, "队列").startswith("队列是空的")


def test_the_queue_lists_fifteen_and_counts_them_all(engine: Engine, team: Team) -> None:
    for i in range(17):
        fan(engine, f"o_{i}", f"留言 {i}", NOW - timedelta(minutes=60 - i))
    reply = say(engine, team.wang, "queue")
    assert "共 17 条" in reply and "最靠前的 15 条" in reply
    assert "留言 0" in reply and "留言 14" in reply and "留言 15" not in reply


def test_a_snoozed_ticket_leaves_the_queue_until_its_snooze_passes(engine: Engine,
                                                                    team: Team) -> None:
    ticket_id = fan(engine, "o_a", "能开发票吗", NOW - timedelta(hours=1))

    answer = say(engine, team.wang, f"缓 T{ticket_id} 2小时")

    assert answer.startswith(f"T{ticket_id} 暂缓到 今天 16:00")
    snoozed = ticket(engine, ticket_id)
    assert snoozed.status == "snoozed" and snoozed.snoozed_until == NOW + timedelta(hours=2)
    assert snoozed.waiting_since == NOW - timedelta(hours=1)  # still counts as waiting
    assert "另有 1 条暂缓" in say(engine, team.wang, "队列")
    assert f"T{ticket_id}" not in say(engine, team.wang, "队列", NOW + timedelta(minutes=119))
    later = say(engine, team.wang, "队列", NOW + timedelta(hours=2, minutes=1))
    assert f"T{ticket_id} 等了 3 小时 1 分 · 未认领 · 能开发票吗" in later
    assert "待回复" in say(engine, team.wang, f"工单 T{ticket_id}",
                         NOW + timedelta(hours=2, minutes=1))
    assert audit_trail(engine) == [(f"ticket:{ticket_id}", "snooze", "王芳")]


def test_a_snooze_that_is_not_a_duration_is_refused(engine: Engine, team: Team) -> None:
    ticket_id = fan(engine, "o_a", "你好", NOW)
    assert "没看懂时长“明天吧”" in say(engine, team.wang, f"缓 T{ticket_id} 明天吧")
    assert "1分钟到30天" in say(engine, team.wang, f"缓 T{ticket_id} 40天")
    assert ticket(engine, ticket_id).status == "open"
    assert audit_trail(engine) == []


# 接


def test_claim_is_first_come_and_idempotent(engine: Engine, team: Team) -> None:
    ticket_id = fan(engine, "o_a", "你好", NOW)

    assert say(engine, team.wang, f"接 T{ticket_id}").startswith(f"已认领 T{ticket_id}：你好")
    assert say(engine, team.li, f"接 T{ticket_id}") == f"T{ticket_id} 已由 王芳 认领"
    again = say(engine, team.wang, f"claim t{ticket_id}")
    assert again.startswith(f"T{ticket_id} 已经是你认领的了")

    assert ticket(engine, ticket_id).assignee_id == team.wang.id
    assert audit_trail(engine) == [(f"ticket:{ticket_id}", "claim", "王芳")]


def test_a_missing_ticket_is_named(engine: Engine, team: Team) -> None:
    for text in ("接 T99", "回 T99 你好", "结 T99", "缓 T99 1小时", "备注 T99 x", "工单 T99"):
        assert say(engine, team.wang, text) == "找不到工单 T99"


# 回


def test_a_reply_is_queued_and_the_ticket_becomes_the_replier(engine: Engine,
                                                              team: Team) -> None:
    ticket_id = fan(engine, "o_a", "活动几点开始", NOW - timedelta(hours=1))

    answer = say(engine, team.li, f"回 T{ticket_id} 周六上午九点，欢迎来！")

    assert answer.startswith(f"已回复 T{ticket_id}") and "现在由你负责" in answer
    [row] = outbox_rows(engine)
    assert (row.kind, row.recipient, row.payload["text"]) == ("cs_reply", "o_a",
                                                               "周六上午九点，欢迎来！")
    after = ticket(engine, ticket_id)
    assert (after.status, after.assignee_id, after.first_response_at, after.waiting_since) == \
        ("pending", team.li.id, NOW, None)
    assert (f"ticket:{ticket_id}", "reply", "李雷") in audit_trail(engine)


def test_replying_to_someone_elses_ticket_keeps_their_claim(engine: Engine, team: Team) -> None:
    ticket_id = fan(engine, "o_a", "活动几点开始", NOW)
    say(engine, team.wang, f"接 T{ticket_id}")
    assert "由 王芳 认领" in say(engine, team.li, f"回 T{ticket_id} 九点")
    assert ticket(engine, ticket_id).assignee_id == team.wang.id


def test_a_reply_too_long_is_refused_before_anything_changes(engine: Engine,
                                                             team: Team) -> None:
    ticket_id = fan(engine, "o_a", "活动几点开始", NOW)
    assert "不能超过 600 字" in say(engine, team.wang, f"回 T{ticket_id} {'长' * 601}")
    assert outbox_rows(engine) == [] and audit_trail(engine) == []
    assert ticket(engine, ticket_id).assignee_id is None


def test_a_canned_code_expands_to_the_saved_reply(engine: Engine, team: Team) -> None:
    ticket_id = fan(engine, "o_a", "在哪里", NOW)
    say(engine, team.admin, "快捷 添加 地址 社区中心在幸福路 8 号")

    answer = say(engine, team.wang, f"回 T{ticket_id} #地址")

    assert "社区中心在幸福路 8 号" in answer
    assert outbox_rows(engine)[0].payload["text"] == "社区中心在幸福路 8 号"
    say(engine, team.wang, f"回 T{ticket_id} #地址 周六见")
    assert outbox_rows(engine)[1].payload["text"] == "社区中心在幸福路 8 号 周六见"


def test_an_unknown_canned_code_is_refused_with_the_known_ones(engine: Engine,
                                                               team: Team) -> None:
    ticket_id = fan(engine, "o_a", "在哪里", NOW)
    assert say(engine, team.wang, f"回 T{ticket_id} #地址") == \
        "没有快捷回复“#地址”。可用的：（还没有保存任何快捷回复）"
    say(engine, team.admin, "快捷 添加 地址 幸福路 8 号")
    say(engine, team.admin, "快捷 添加 时间 周六 9:00")
    assert say(engine, team.wang, f"回 T{ticket_id} #电话") == \
        "没有快捷回复“#电话”。可用的：#地址、#时间"
    assert outbox_rows(engine) == []
    assert ticket(engine, ticket_id).status == "open"


def test_a_reply_outside_the_48_hour_window_is_refused_and_not_queued(engine: Engine,
                                                                      team: Team) -> None:
    ticket_id = fan(engine, "o_a", "在吗", NOW - timedelta(hours=2))
    with engine.begin() as conn:
        conn.execute(update(Follower).where(Follower.openid == "o_a")
                     .values(last_message_at=NOW - timedelta(hours=49)))

    answer = say(engine, team.wang, f"回 T{ticket_id} 在的")

    assert "对方超过 48 小时没有发消息" in answer and "没有发出" in answer
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

    assert say(engine, team.wang, f"结 T{ticket_id}").startswith(f"T{ticket_id} 已结束：谢谢")

    closed = ticket(engine, ticket_id)
    assert (closed.status, closed.resolution, closed.resolved_at, closed.waiting_since) == \
        ("resolved", "resolved", NOW, None)
    refusals = {f"回 T{ticket_id} 不客气": "不能再回复", f"接 T{ticket_id}": "不用认领",
                f"缓 T{ticket_id} 1小时": "不用暂缓", f"结 T{ticket_id}": "已经结束了"}
    for text, reason in refusals.items():
        answer = say(engine, team.li, text)
        assert reason in answer and "已解决" in answer, answer
    assert outbox_rows(engine) == []
    assert audit_trail(engine) == [(f"ticket:{ticket_id}", "close", "王芳")]
    assert "已结束（已解决）" in say(engine, team.li, f"工单 T{ticket_id}")
    assert f"T{ticket_id}" not in say(engine, team.li, "队列")


# 备注 and 工单


def test_a_note_is_private_and_shown_with_the_ticket(engine: Engine, team: Team) -> None:
    ticket_id = fan(engine, "o_a", "我的捐款收据还没收到", NOW - timedelta(hours=1))

    answer = say(engine, team.wang, f"备注 T{ticket_id} 已电话联系，下周寄出")

    assert answer == f"已给 T{ticket_id} 加备注（粉丝看不到）：已电话联系，下周寄出"
    with Session(engine) as session:
        note = session.scalars(select(TicketNote)).one()
    assert (note.ticket_id, note.staff_id, note.content) == (ticket_id, team.wang.id,
                                                             "已电话联系，下周寄出")
    assert outbox_rows(engine) == []
    assert audit_trail(engine) == [(f"ticket:{ticket_id}", "note", "王芳")]


def test_show_ticket_lists_messages_with_delivery_notes_and_state(engine: Engine,
                                                                   team: Team) -> None:
    ticket_id = fan(engine, "o_a", "收据没收到", NOW - timedelta(hours=3), priority=1)
    say(engine, team.wang, f"回 T{ticket_id} 马上查", NOW - timedelta(hours=2))
    say(engine, team.wang, f"回 T{ticket_id} 已寄出", NOW - timedelta(hours=1))
    say(engine, team.wang, f"备注 T{ticket_id} 快递单号 SF123")
    with engine.begin() as conn:
        out = conn.execute(select(TicketMessage.id).where(TicketMessage.direction == "out")
                           .order_by(TicketMessage.id)).scalars().all()
        platform.set_delivery(conn, out[0], "sent")
        platform.set_delivery(conn, out[1], "refused")
    fan(engine, "o_a", "收到了，谢谢", NOW - timedelta(minutes=20))

    shown = say(engine, team.li, f"ticket T{ticket_id}").splitlines()

    assert shown[0] == f"工单 T{ticket_id}！"
    assert shown[1] == "状态：待回复，已等 20 分钟"
    assert shown[2] == "认领人：王芳　优先级：高"
    assert shown[3:7] == ["今天 11:00 粉丝 → 收据没收到",
                          "今天 12:00 ← 回复（王芳，已送达）：马上查",
                          "今天 13:00 ← 回复（王芳，未送达）：已寄出",
                          "今天 13:40 粉丝 → 收到了，谢谢"]
    assert shown[7:9] == ["备注：", "· 王芳（今天 14:00）：快递单号 SF123"]


def test_a_queued_reply_shows_as_waiting_to_send(engine: Engine, team: Team) -> None:
    ticket_id = fan(engine, "o_a", "你好", NOW - timedelta(minutes=3))
    say(engine, team.wang, f"回 T{ticket_id} 您好")
    shown = say(engine, team.wang, f"工单 T{ticket_id}")
    assert "← 回复（王芳，待发送）：您好" in shown and "已回复，等粉丝回应" in shown
    assert f"T{ticket_id} 已回复 · 王芳 · 你好" in say(engine, team.wang, "队列")


# 快捷


def test_canned_replies_are_listed_added_overwritten_and_deleted(engine: Engine,
                                                                 team: Team) -> None:
    assert say(engine, team.admin, "快捷").startswith("还没有快捷回复")
    assert say(engine, team.admin, "快捷 添加 地址 幸福路 8 号").startswith("已添加快捷回复 #地址")
    assert say(engine, team.admin, "快捷 添加 地址 幸福路 9 号").startswith("已更新快捷回复 #地址")
    assert say(engine, team.admin, "canned add hours 9:00-17:00").startswith(
        "已添加快捷回复 #HOURS")
    listed = say(engine, team.admin, "快捷")
    assert "#地址：幸福路 9 号" in listed and "#HOURS：9:00-17:00" in listed
    assert say(engine, team.admin, "快捷 删除 地址") == "已删除快捷回复 #地址。"
    assert say(engine, team.admin, "快捷 删除 地址") == "没有快捷回复“地址”。现有：HOURS"
    with Session(engine) as session:
        assert session.scalars(select(CannedReply.shortcut)).all() == ["HOURS"]
    assert [e[:2] for e in audit_trail(engine)] == [
        ("canned:地址", "canned_add"), ("canned:地址", "canned_edit"),
        ("canned:HOURS", "canned_add"), ("canned:地址", "canned_remove")]


def test_canned_refuses_bad_codes_empty_bodies_and_non_admins(engine: Engine,
                                                              team: Team) -> None:
    assert "1–16 个字母、数字或汉字" in say(engine, team.admin, "快捷 添加 a-b 内容")
    assert "1–16 个字母、数字或汉字" in say(engine, team.admin, f"快捷 添加 {'长' * 17} 内容")
    assert "不能为空" in say(engine, team.admin, "快捷 添加 地址")
    assert say(engine, team.admin, "快捷 改 地址").startswith("用法：快捷")
    assert "需要管理员权限" in say(engine, team.wang, "快捷 添加 地址 幸福路")
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
