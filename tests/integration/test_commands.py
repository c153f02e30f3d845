"""Content commands through the real endpoint: signed (safe-mode) XML in, reply out."""

from __future__ import annotations

import itertools
import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import xmltodict
from sqlalchemy import Engine, select, update

from handlers import texts
from storage import staff as staff_store
from storage.models import AuditRow, Confirmation, ContentItemRow, OutboxMessage, Staff
from storage.uow import SqlUnitOfWork
from tests.harness import wechat as wx
from tests.integration.commanding import confirmation_code, refusal
from tests.integration.conftest import Account, make_account
from workflow import usecases
from workflow.model import Context, ItemChanges
from workflow.roles import Role
from workflow.states import State

SHANGHAI = ZoneInfo("Asia/Shanghai")
PEOPLE = {
    "creator": {Role.CREATOR}, "writer2": {Role.CREATOR}, "王芳": {Role.REVIEWER},
    "陈静": {Role.REVIEWER}, "赵强": {Role.REVIEWER}, "admin": {Role.ADMIN},
    "analyst": {Role.ANALYST}, "both": {Role.CREATOR, Role.REVIEWER},
}
_ids = itertools.count(1)


class Team:
    def __init__(self, account: Account, people: dict[str, set[Role]] | None = None) -> None:
        self.account = account
        now = datetime.now(UTC)
        with SqlUnitOfWork(account.engine) as uow:
            for name, roles in (people or PEOPLE).items():
                staff_store.add_staff(uow.session, name, frozenset(roles), now, f"o_{name}")
            uow.commit()

    def say(self, who: str, text: str, mode: str = "safe") -> str:
        message = wx.text(text, sender=f"o_{who}", msg_id=next(_ids) + 10**9)
        reply = self.account.client.push(message, mode)  # type: ignore[arg-type]
        assert reply.status == 200, reply
        if reply.text == "success":
            return ""
        content: str = xmltodict.parse(reply.text)["xml"]["Content"]
        return content

    def item(self, item_id: int) -> ContentItemRow:
        with SqlUnitOfWork(self.account.engine) as uow:
            row = uow.session.get(ContentItemRow, item_id)
            assert row is not None
            uow.session.expunge(row)
            return row

    def write(self, item_id: int, body: str = "<p>寒假前为山区学生募集冬衣。</p>") -> None:
        """The author puts text into the item, as ``wxops item edit --body-file`` does."""
        author = self.item(item_id).author_id
        usecases.edit(self.account.app.uow(), author, item_id, ItemChanges(body=body),
                      Context(now=datetime.now(UTC), command="cli"))

    def approved(self, title: str = "冬季助学") -> int:
        """An item written, then through first and final review, as commands."""
        item_id = int(re.findall(r"选题 (\d+)", self.say("creator", f"选题 {title}"))[0])
        self.say("creator", f"开始 {item_id}")
        self.write(item_id)
        for who, text in (("creator", f"提交 {item_id}"),
                          ("王芳", f"通过 {item_id}"), ("陈静", f"终审 {item_id}")):
            self.say(who, text)
        assert self.item(item_id).state == State.APPROVED.value
        return item_id

    def staff_id(self, name: str) -> int:
        with self.account.engine.connect() as conn:
            return int(conn.scalar(select(Staff.id).where(Staff.name == name)) or 0)


@pytest.fixture
def team(account: Account) -> Team:
    return Team(account)


def test_the_review_path_by_chat(team: Team) -> None:
    assert "已创建选题 1" in team.say("creator", "选题 冬季助学计划招募志愿者")
    team.say("creator", "开始 1")
    team.write(1)
    assert "提交审核" in team.say("creator", "提交 1")
    assert "初审中 → 终审中" in team.say("王芳", "通过 1 写得很好")
    assert "终审中 → 待排期" in team.say("陈静", "终审 1")
    shown = team.say("admin", "查看 1")
    assert "待排期" in shown and "排期" in shown and "王芳 初审通过：写得很好" in shown


def test_an_item_without_text_is_not_submitted_and_says_how_to_add_it(team: Team) -> None:
    team.say("creator", "选题 空稿")
    team.say("creator", "开始 1")
    refused = team.say("creator", "提交 1")
    assert "wxops item edit 1" in refused and "--body-file" in refused
    assert team.item(1).state == State.DRAFTING.value
    assert "wxops item edit 1" in team.say("creator", "查看 1")  # 查看 says it too


def test_a_reviewer_reads_length_and_opening_and_where_the_rest_is(team: Team) -> None:
    team.say("creator", "选题 义诊回顾")
    team.say("creator", "开始 1")
    team.write(1, "<p>12 月 6 日上午，社区中心的冬季义诊来了 80 位居民。</p>"
                  "<p>" + "医生为老人量血压、讲解用药。" * 20 + "</p>")
    team.say("creator", "提交 1")
    shown = team.say("王芳", "查看 1")
    assert "305 字" in shown  # the visible characters: no tags, no blanks
    assert "12 月 6 日上午，社区中心的冬季义诊来了 80 位居民。 医生为老人" in shown
    assert "讲解用药。" * 20 not in shown  # the opening only
    assert "预览 1" in shown and "wxops item show 1 --full" in shown


@pytest.mark.parametrize(("who", "text", "expected"), [
    ("王芳", "选题 新选题", "需要内容创作者、管理员权限"),
    ("creator", "通过 1", "需要审核员、管理员权限"),
    ("王芳", "退回 1", "缺少理由"),
    ("王芳", "通过 99", "找不到稿件 99"),
    ("王芳", "通过 abc", "“abc”不是稿件编号"),
    ("王芳", "通过", "缺少稿件编号"),
    ("王芳", "通畅 1", "你是想用「通过」吗"),
    ("王芳", "终审 1", "当前状态为 初审中，不能终审通过"),
])
def test_refusals_say_why(team: Team, who: str, text: str, expected: str) -> None:
    team.say("creator", "选题 义诊回顾")
    team.say("creator", "开始 1")
    team.write(1)
    team.say("creator", "提交 1")
    assert expected in team.say(who, text)


def test_no_self_review_and_distinct_final_reviewer(team: Team) -> None:
    team.say("both", "选题 自己的稿件")
    team.say("both", "开始 1")
    team.write(1)
    team.say("both", "提交 1")
    assert team.say("both", "通过 1") == "你不能审核自己的稿件"
    team.say("王芳", "通过 1")
    assert "终审人不能与初审人相同" in team.say("王芳", "终审 1")


def test_sensitive_items_need_two_final_approvals(team: Team) -> None:
    team.say("creator", "选题 敏感话题")
    team.say("creator", "开始 1")
    team.write(1)
    team.say("creator", "提交 1")
    team.say("王芳", "敏感 1")
    team.say("王芳", "通过 1")
    assert "还需要另一位审核员终审" in team.say("陈静", "终审 1")
    assert "终审中 → 待排期" in team.say("赵强", "终审 1")


def test_schedule_in_natural_chinese_and_refuse_the_past(team: Team) -> None:
    item_id = team.approved()
    reply = team.say("admin", f"排期 {item_id} 明天 9:00")
    assert "已排期：明天" in reply
    tomorrow = (datetime.now(SHANGHAI) + timedelta(days=1)).date()
    scheduled = team.item(item_id).scheduled_at
    assert scheduled is not None
    assert scheduled.astimezone(SHANGHAI).date() == tomorrow
    assert scheduled.astimezone(SHANGHAI).hour == 9
    with team.account.engine.connect() as conn:  # the author's notice, read maybe days later
        payload = conn.execute(select(OutboxMessage.payload).where(
            OutboxMessage.kind == "notify")
            .order_by(OutboxMessage.id.desc())).scalars().first()
    assert payload is not None and payload["template"] == "item_scheduled"
    notice = texts.render("notify/item_scheduled", **payload["context"])
    weekday = "一二三四五六日"[tomorrow.weekday()]
    assert (f"将于 {tomorrow.year}年{tomorrow.month}月{tomorrow.day}日（周{weekday}）09:00 发布"
            in notice)
    team.say("admin", f"取消排期 {item_id}")
    assert "不能早于现在" in team.say("admin", f"排期 {item_id} 2020-01-01 09:00")
    assert "明天 9:00" in team.say("admin", f"排期 {item_id} 下个月吧")


def test_publish_needs_the_same_person_to_confirm_in_time(team: Team) -> None:
    item_id = team.approved()
    code = confirmation_code(team.say("admin", f"发布 {item_id}"))
    with SqlUnitOfWork(team.account.engine) as uow:  # a second admin
        staff_store.add_staff(uow.session, "admin2", frozenset({Role.ADMIN}),
                              datetime.now(UTC), "o_admin2")
        uow.commit()
    assert "无效" in team.say("admin2", f"确认 {code}")
    assert "待排期 → 发布中" in team.say("admin", f"确认 {code.lower()}")
    assert "无效或已使用" in team.say("admin", f"确认 {code}")
    kinds = [k for (k,) in _outbox_kinds(team.account.engine)]
    assert "submit_publish" in kinds


def test_an_outdated_article_is_revised_by_its_author_and_reviewed_again(team: Team) -> None:
    """复查 … 更新 flags a published article; the author reopens it with 修订."""
    item_id = team.approved()
    with team.account.engine.begin() as conn:  # as PUBLISHJOBFINISH would leave it
        conn.execute(update(ContentItemRow).where(ContentItemRow.id == item_id)
                     .values(state=State.PUBLISHED.value, url="https://mp.weixin.qq.com/s/x"))
    assert "已发布 → 待更新" in team.say("王芳", f"复查 {item_id} 更新 数据过时")
    told = [p for (k, p) in _outbox_payloads(team.account.engine)
            if k == "notify" and p["template"] == "item_outdated"]
    assert [p["staff_id"] for p in told] == [team.staff_id("creator")]
    assert f"回复「修订 {item_id}」" in texts.render("notify/item_outdated", **told[0]["context"])
    assert "你可以：修订" in team.say("creator", f"查看 {item_id}")
    assert "待更新的先回复「修订 编号」" in team.say("creator", "我的")
    assert "不是你的稿件" in team.say("writer2", f"修订 {item_id}")
    assert "待更新 → 撰写中" in team.say("creator", f"修订{item_id}")
    assert f"修改内容（在电脑上用 wxops item edit {item_id}）" in team.say("creator",
                                                                    f"查看 {item_id}")
    assert "撰写中 → 初审中" in team.say("creator", f"提交 {item_id}")


def test_a_plan_is_cancelled_after_confirmation_and_only_before_review(team: Team) -> None:
    item_id = int(re.findall(r"选题 (\d+)", team.say("creator", "选题 不做了"))[0])
    asked = team.say("creator", f"取消 {item_id}")
    assert f"确认要取消稿件 {item_id}《不做了》吗" in asked
    assert "选题 → 已取消" in team.say("creator", f"确认 {confirmation_code(asked)}")
    assert "不能取消" in team.say("creator", f"取消 {team.approved()}")
    assert "不能取消排期" in team.say("admin", "取消排期 1")  # still its own command


def test_a_confirmation_expires_and_goes_stale(team: Team) -> None:
    item_id = team.approved()
    expired = confirmation_code(team.say("admin", f"发布 {item_id}"))
    with team.account.engine.begin() as conn:
        conn.execute(update(Confirmation).values(
            expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert "已过期" in team.say("admin", f"确认 {expired}")
    stale = confirmation_code(team.say("admin", f"发布 {item_id}"))
    team.say("王芳", f"敏感 {item_id}")  # the item changes meanwhile
    assert "确认码作废" in team.say("admin", f"确认 {stale}")
    assert team.item(item_id).state == State.FINAL_REVIEW.value


def test_plaintext_commands_are_refused_when_safe_mode_is_configured(team: Team) -> None:
    team.say("creator", "选题 明文测试")
    assert "安全模式" in team.say("creator", "开始 1", mode="plain")
    assert "《明文测试》" in team.say("creator", "查看 1", mode="plain")  # reading is fine
    assert team.item(1).state == State.PLANNED.value


def test_a_deployment_without_encryption_must_opt_in(engine: Engine) -> None:
    no_key = {"WXOPS_ENCODING_AES_KEY": "", "WXOPS_ENCODING_AES_KEY_PREVIOUS": ""}
    team = Team(make_account(engine, **no_key))
    assert "安全模式" in team.say("creator", "选题 无加密", mode="plain")
    opted_in = make_account(engine, **no_key, WXOPS_ALLOW_PLAINTEXT_COMMANDS="1")
    assert "已创建选题" in _say_via(opted_in, "creator", "选题 明文可以")


def _say_via(account: Account, who: str, text: str) -> str:
    reply = account.client.push(wx.text(text, sender=f"o_{who}", msg_id=next(_ids) + 10**9))
    return str(xmltodict.parse(reply.text)["xml"]["Content"])


def test_followers_typing_command_words_are_just_followers(team: Team) -> None:
    reply = team.say("stranger", "通过 1")
    assert "T1" in reply and "权限" not in reply and "命令" not in reply


def test_concurrent_approvals_one_wins_the_other_is_told_who(team: Team) -> None:
    team.say("creator", "选题 并发")
    team.say("creator", "开始 1")
    team.write(1)
    team.say("creator", "提交 1")
    replies: dict[str, str] = {}
    start = threading.Barrier(2)

    def approve(who: str) -> None:
        start.wait()
        replies[who] = team.say(who, "通过 1")

    threads = [threading.Thread(target=approve, args=(w,)) for w in ("王芳", "陈静")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    won = [w for w, r in replies.items() if "初审中 → 终审中" in r]
    lost = [r for w, r in replies.items() if w not in won]
    assert len(won) == 1 and len(lost) == 1
    assert won[0] in lost[0] and "抢先" in lost[0]


def test_every_change_is_audited_with_the_command_text(team: Team) -> None:
    team.say("creator", "选题 审计")
    team.say("creator", "开始 1")
    with team.account.engine.connect() as conn:
        rows = conn.execute(select(AuditRow.actor_name, AuditRow.command)).all()
    assert ("creator", "开始 1") in [tuple(r) for r in rows]


def test_a_confirmed_deletion_keeps_the_reason_given_with_it(team: Team) -> None:
    item_id = team.approved()
    with team.account.engine.begin() as conn:  # as PUBLISHJOBFINISH would leave it
        conn.execute(update(ContentItemRow).where(ContentItemRow.id == item_id)
                     .values(state=State.PUBLISHED.value, article_id="A1"))
    code = confirmation_code(team.say("admin", f"复查 {item_id} 删除 活动已取消"))
    assert "已发布 → 已删除" in team.say("admin", f"确认 {code}")
    with team.account.engine.connect() as conn:
        comment, command = conn.execute(select(AuditRow.comment, AuditRow.command)
                                        .order_by(AuditRow.id.desc())).first() or ("", "")
    assert comment == "活动已取消"
    assert command == f"复查 {item_id} 删除 活动已取消（确认 {code}）"


def test_a_confirmation_stores_what_it_confirms(team: Team) -> None:
    """确认 performs from the stored action, subject, version and note: the command
    text is kept for the audit only, never parsed again."""
    item_id = team.approved()
    with team.account.engine.begin() as conn:
        conn.execute(update(ContentItemRow).where(ContentItemRow.id == item_id)
                     .values(state=State.PUBLISHED.value, article_id="A1"))
    code = confirmation_code(team.say("admin", f"recheck {item_id} delete 活动已取消"))
    version = team.item(item_id).version
    with team.account.engine.begin() as conn:
        stored = conn.execute(select(Confirmation.action, Confirmation.subject_id,
                                     Confirmation.subject_version, Confirmation.note)
                              .where(Confirmation.code == code)).one()
        assert tuple(stored) == ("withdraw", item_id, version, "活动已取消")
        conn.execute(update(Confirmation).values(command="（别的文字）"))  # not read back
    assert "已发布 → 已删除" in team.say("admin", f"确认 {code}")
    with team.account.engine.connect() as conn:
        comment = conn.scalar(select(AuditRow.comment).order_by(AuditRow.id.desc()))
    assert comment == "活动已取消"


def test_a_confirmation_from_before_notes_were_kept_is_refused_clearly(team: Team) -> None:
    """A code issued before migration 0011 (no note stored) is void, and says so."""
    item_id = team.approved()
    code = confirmation_code(team.say("admin", f"发布 {item_id}"))
    with team.account.engine.begin() as conn:
        conn.execute(update(Confirmation).values(note=None))
    refused = refusal(team.account.engine, team.staff_id("admin"), f"确认 {code}",
                      now=datetime.now(UTC))
    assert (refused.code, getattr(refused, "data", None)) == (
        "confirmation_refused", {"why": "outdated"})
    assert "升级前发出的" in team.say("admin", f"确认 {code}")  # the wording, once
    assert team.item(item_id).state == State.APPROVED.value


def test_preview_goes_to_the_requesters_phone_through_the_outbox(team: Team) -> None:
    item_id = team.approved()
    assert "预览" in team.say("王芳", f"预览 {item_id}")
    with team.account.engine.connect() as conn:
        payloads = conn.execute(select(OutboxMessage.payload).where(
            OutboxMessage.kind == "preview")).scalars().all()
    assert payloads == [{"item_id": item_id, "openid": "o_王芳"}]


def _outbox_kinds(engine: Engine) -> list[tuple[str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(OutboxMessage.kind))]


def _outbox_payloads(engine: Engine) -> list[tuple[str, dict[str, Any]]]:
    with engine.connect() as conn:
        rows = conn.execute(select(OutboxMessage.kind, OutboxMessage.payload)
                            .order_by(OutboxMessage.id))
        return [(kind, payload) for kind, payload in rows]


def test_queue_team_and_me_commands_through_the_endpoint(team: Team) -> None:
    """Every other command once, as signed safe-mode XML, with the reply read back."""
    assert "T1" in team.say("fan", "请问怎么报名志愿者？")
    steps = [
        ("admin", "帮助", "规则"),
        ("王芳", "帮助", "通过"),
        ("王芳", "帮助 终审", "终审"),
        ("admin", "队列", "T1"),
        ("admin", "工单 T1", "请问怎么报名志愿者"),
        ("admin", "接 T1", "T1"),
        ("王芳", "接 T1", "admin"),
        ("admin", "快捷 添加 报名 填写报名表：example.org/join", "报名"),
        ("admin", "快捷", "报名"),
        ("admin", "回 T1 #报名", "T1"),
        ("admin", "备注 T1 已发报名表", "T1"),
        ("admin", "缓 T1 2小时", "T1"),
        ("admin", "结 T1", "T1"),
        ("admin", "成员", "王芳"),
        ("admin", "成员 邀请 审核 李娜", "绑定"),
        ("admin", "规则 添加 地址 社区中心在幸福路 8 号", "地址"),
        ("admin", "规则", "地址"),
        ("admin", "规则 测试 地址", "幸福路"),
        ("creator", "我的", "没有等你处理的事"),
        ("analyst", "统计", "最近 7 天"),
        ("creator", "建议 终审通知能不能早一点发", "谢谢你的建议"),
        ("admin", "稿件", "还没有稿件"),
    ]
    for who, text, expected in steps:
        reply = team.say(who, text)
        assert reply, f"{who}: {text} got no reply"
        assert expected in reply, f"{who}: {text} -> {reply}"
    with team.account.engine.connect() as conn:
        rows = conn.execute(select(OutboxMessage.kind, OutboxMessage.payload)).all()
    assert [p["text"] for k, p in rows if k == "cs_reply"] == ["填写报名表：example.org/join"]


def test_dangerous_team_commands_need_confirmation(team: Team) -> None:
    team.say("admin", "规则 添加 地址 社区中心")
    assert "1. 完全匹配“地址”" in team.say("admin", "规则")
    code = confirmation_code(team.say("admin", "规则 删除 1"))
    assert "已删除规则 1" in team.say("admin", f"确认 {code}")
    assert "还没有自动回复规则" in team.say("admin", "规则")
    assert "你可以用的命令" in team.say("王芳", "帮助")
    code = confirmation_code(team.say("admin", "成员 删除 3"))
    assert team.say("王芳", f"确认 {code}").startswith("确认码无效")
    assert "已移除成员 3 王芳" in team.say("admin", f"确认 {code}")
    as_follower = team.say("王芳", "帮助")  # 王芳 is no longer staff: a follower's message
    assert "你可以用的命令" not in as_follower and "T1" in as_follower


def test_joining_by_invite_code(team: Team) -> None:
    reply = team.say("admin", "成员 邀请 审核 李娜")
    code = re.findall(r"绑定 ([A-Z0-9]{8})", reply)[0]
    assert "欢迎" in team.say("newcomer", f"绑定 {code}")
    assert "通过" in team.say("newcomer", "帮助")
    assert "无效" in team.say("other", f"绑定 {code}")


@pytest.mark.parametrize("typed", ["　ｂｉｎｄ {code}", "   BIND {code}", "绑定{code}"])
def test_an_invite_code_typed_as_phones_type_it_still_binds(team: Team, typed: str) -> None:
    """Full-width letters, leading spaces, upper case, the code glued on."""
    code = re.findall(r"绑定 ([A-Z0-9]{8})", team.say("admin", "成员 邀请 审核 李娜"))[0]
    assert "欢迎" in team.say("newcomer", typed.format(code=code))


@pytest.mark.parametrize("text", ["我想绑定手机号", "绑定手机号可以吗？", "binding help"])
def test_a_follower_mentioning_binding_is_queued_not_answered_as_a_command(
        team: Team, text: str) -> None:
    assert "T1" in team.say("stranger", text)


def test_show_says_what_each_role_may_do_next(team: Team) -> None:
    team.say("creator", "选题 角色")
    team.say("creator", "开始 1")
    team.write(1)
    team.say("creator", "提交 1")
    shown = team.say("analyst", "查看 1")
    assert "审核员可初审通过、退回修改" in shown and "管理员可" in shown
    assert "现在没有需要你做的操作" in shown


def test_replies_queued_beyond_the_window_budget_are_refused_up_front(team: Team) -> None:
    team.say("fan", "请问活动时间？")
    for n in range(5):
        assert "T1" in team.say("admin", f"回 T1 第 {n + 1} 条")
    refused = team.say("admin", "回 T1 第 6 条")
    assert "条数已用完" in refused and "没有发出" in refused


def test_who_may_not_use_a_command_is_told_so_before_how_to_type_it(team: Team) -> None:
    """A reviewer's 排期 2 (no time) got the usage, as if fixing it would help."""
    from handlers import texts

    no_right = texts.phrase("cmd/refused", "needs_role", command="排期", roles=["管理员"])
    assert team.say("王芳", "排期 2") == no_right
    assert team.say("王芳", "排期 2 明天 9:00") == no_right
    assert team.say("admin", "排期 2") != no_right  # an admin gets the usage


def test_eleven_reschedules_leave_the_author_one_notice(team: Team) -> None:
    """Issue 19: each reschedule sent the author another notice, all of them still
    waiting; the newest about an item replaces those not yet sent."""
    item_id = team.approved()
    author = team.staff_id("creator")
    for hour in range(9, 20):
        team.say("admin", f"排期 {item_id} 后天 {hour}:00")
    with team.account.engine.connect() as conn:
        rows = conn.execute(select(OutboxMessage.status, OutboxMessage.payload)
                            .where(OutboxMessage.kind == "notify")).all()
    mine = [(status, p["template"]) for status, p in rows if p["staff_id"] == author]
    assert [m for m in mine if m[0] == "pending"] == [("pending", "item_scheduled")]
    assert sum(1 for status, _ in mine if status == "cancelled") >= 10
    newest = next(p for status, p in rows if p["staff_id"] == author and status == "pending")
    assert "19:00" in str(newest["context"])  # the one that is true now


def test_a_withdrawn_article_is_not_shown_as_its_link(team: Team) -> None:
    """Issue 19: 查看 showed a deleted article's link as the article's link."""
    item_id = team.approved()
    url = "https://mp.weixin.qq.com/s/deleted"
    with team.account.engine.begin() as conn:
        conn.execute(update(ContentItemRow).where(ContentItemRow.id == item_id)
                     .values(state=State.WITHDRAWN.value, url=url))
    shown = team.say("admin", f"查看 {item_id}")
    assert url in shown and f"链接：{url}" not in shown
    assert "已删除" in shown.splitlines()[[url in line for line in shown.splitlines()].index(True)]
