"""Issue 19, point 5, through chat commands on both engines: in a small team an
admin's own sensitive item could not pass, and the admin was told 回复「终审 1」
and then refused. Nobody is asked to approve what they may not; whoever acts,
the item's page, wxops item show and the admins learn who is missing as soon as
the item is marked sensitive or submitted."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine, select

from handlers import texts
from storage.models import OutboxMessage
from tests.integration.conftest import Account
from tests.integration.test_cli_ids import wxops
from tests.integration.test_commands import Team
from workflow.roles import Role
from workflow.states import State

#: The demo's team without its creator: the admin writes.
SMALL = {"admin": {Role.ADMIN}, "王芳": {Role.REVIEWER}, "陈静": {Role.REVIEWER}}

#: Notices that ask their reader to approve the item.
ASKS = {"item_submitted", "item_resubmitted", "item_needs_final", "item_needs_second_final",
        "item_marked_sensitive"}

THIRD = "还需要三位没有参与撰写的审核员（一位初审、两位终审，各不相同）；现在只有王芳、陈静"
NOBODY = ("还需要另一位没有参与撰写、也没有初审的审核员终审；现在没有这样的成员，"
          "可以用「成员 邀请 审核」邀请")


@pytest.fixture
def small(account: Account) -> Team:
    return Team(account, SMALL)


def notices(engine: Engine, staff_id: int) -> list[tuple[str, str]]:
    """(template, text) of every notice recorded for this person."""
    with engine.connect() as conn:
        payloads = conn.scalars(select(OutboxMessage.payload)
                                .where(OutboxMessage.kind == "notify")
                                .order_by(OutboxMessage.id)).all()
    return [(p["template"], texts.render(f"notify/{p['template']}", **p["context"]))
            for p in payloads if p["staff_id"] == staff_id]


def admins_sensitive_item(small: Team) -> int:
    item_id = int(re.findall(r"选题 (\d+)", small.say("admin", "选题 寒潮安全提醒"))[0])
    small.say("admin", f"开始 {item_id}")
    small.write(item_id)
    return item_id


def test_an_admins_sensitive_item_says_who_is_missing_and_never_asks_him(
        small: Team, engine: Engine, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    item_id = admins_sensitive_item(small)
    marked = small.say("admin", f"敏感 {item_id}")  # allowed: a safety flag
    assert THIRD in marked and "再邀请一位" in marked
    assert THIRD in small.say("admin", f"查看 {item_id}")
    assert THIRD in small.say("admin", f"提交 {item_id}")
    assert "可以初审的成员：王芳、陈静" in small.say("王芳", f"查看 {item_id}")
    first = small.say("王芳", f"通过 {item_id}")
    assert "还需要两位没有参与撰写、也没有初审的审核员终审；现在只有陈静" in first
    final = small.say("陈静", f"终审 {item_id}")
    assert NOBODY in final
    assert NOBODY in small.say("admin", f"查看 {item_id}")
    _, shown, _ = wxops(engine, ["item", "show", str(item_id)], monkeypatch, capsys)
    assert NOBODY in shown

    admin = small.staff_id("admin")
    told = notices(engine, admin)
    assert not [t for t, _ in told if t in ASKS]
    assert not [text for _, text in told if f"终审 {item_id}」" in text]
    assert NOBODY in told[-1][1]  # the admin heard it when 陈静 gave the first final review
    first_reviewer = [t for t, _ in notices(engine, small.staff_id("王芳"))]
    assert first_reviewer == ["item_submitted"]  # asked to review, never to give a final one

    code = re.findall(r"绑定 ([A-Z0-9]{8})", small.say("admin", "成员 邀请 审核 李娜"))[0]
    small.say("李娜", f"绑定 {code}")
    assert "可以终审的成员：李娜" in small.say("admin", f"查看 {item_id}")
    assert "终审中 → 待排期" in small.say("李娜", f"终审 {item_id}")
    assert small.item(item_id).state == State.APPROVED.value


def test_an_admin_and_one_reviewer_learn_at_submission_that_no_one_can_give_the_final(
        account: Account) -> None:
    small = Team(account, {"admin": {Role.ADMIN}, "王芳": {Role.REVIEWER}})
    item_id = admins_sensitive_item(small)
    submitted = small.say("admin", f"提交 {item_id}")
    assert ("还需要两位没有参与撰写的审核员（一位初审、一位终审，各不相同）；现在只有王芳，"
            "可以用「成员 邀请 审核」再邀请一位") in submitted
    [(template, text)] = notices(account.engine, small.staff_id("王芳"))
    assert template == "item_submitted" and "再邀请一位" in text  # asked, and warned
    small.say("王芳", f"通过 {item_id}")
    assert not [t for t, _ in notices(account.engine, small.staff_id("admin")) if t in ASKS]
    assert ("还需要一位没有参与撰写、也没有初审的审核员终审；现在没有这样的成员"
            in small.say("admin", f"查看 {item_id}"))
