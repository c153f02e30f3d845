"""Issue 19, point 5, through chat commands on both engines: in a small team an
admin's own sensitive item could not pass, and the admin was told 回复「终审 1」
and then refused. Nobody is asked to approve what they may not; whoever acts,
the item's page, wxops item show and the admins learn who is missing as soon as
the item is marked sensitive or submitted."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select

from handlers import texts
from handlers.commands.context import Result
from storage.models import OutboxMessage
from tests.integration import commanding
from tests.integration.conftest import Account
from tests.integration.test_cli_ids import wxops
from tests.integration.test_commands import Team
from workflow.model import ReviewStage
from workflow.roles import Role
from workflow.states import State

#: The demo's team without its creator: the admin writes.
SMALL = {"admin": {Role.ADMIN}, "王芳": {Role.REVIEWER}, "陈静": {Role.REVIEWER}}

#: Notices that ask their reader to approve the item.
ASKS = {"item_submitted", "item_resubmitted", "item_needs_final", "item_needs_second_final",
        "item_marked_sensitive"}


def short(stage: str, needed: int, finals: int, names: list[str], first_given: bool = False,
          finals_given: int = 0) -> dict[str, Any]:
    """Who is missing, as a reply's (or a notice's) data: ``needed`` approvals to go,
    ``finals`` of them final, from more people than ``names`` (one more, here)."""
    return {"stage": stage, "needed": needed, "finals": finals, "names": names, "missing": 1,
            "first_given": first_given, "finals_given": finals_given}


#: Three reviewers needed (one first, two finals), only 王芳 and 陈静 there.
THIRD = short("first", 3, 2, ["王芳", "陈静"])
#: One more final, from someone who neither wrote nor first-approved: nobody.
NOBODY = short("final", 1, 1, [], first_given=True, finals_given=1)
NOBODY_WORDS = ("还需要另一位没有参与撰写、也没有初审的审核员终审；现在没有这样的成员，"
                "可以用「成员 邀请 审核」邀请")


@pytest.fixture
def small(account: Account) -> Team:
    return Team(account, SMALL)


def answer(team: Team, who: str, text: str) -> Result:
    """A chat command's answer as data; ``who`` by name, or an openid (not staff yet)."""
    sender: int | str = who if who.startswith("o_") else team.staff_id(who)
    return commanding.ask(team.account.engine, sender, text, now=datetime.now(UTC))


def approvers(shown: Result) -> tuple[ReviewStage, list[str]]:
    """Who may give the next approval now, as 查看 shows it."""
    outlook = shown.context["outlook"]
    return outlook.stage, [p.name for p in outlook.approvers]


def notices(engine: Engine, staff_id: int) -> list[tuple[str, dict[str, Any]]]:
    """(template, context) of every notice recorded for this person."""
    with engine.connect() as conn:
        payloads = conn.scalars(select(OutboxMessage.payload)
                                .where(OutboxMessage.kind == "notify")
                                .order_by(OutboxMessage.id)).all()
    return [(p["template"], p["context"]) for p in payloads if p["staff_id"] == staff_id]


def admins_sensitive_item(small: Team) -> int:
    item_id = int(re.findall(r"选题 (\d+)", small.say("admin", "选题 寒潮安全提醒"))[0])
    small.say("admin", f"开始 {item_id}")
    small.write(item_id)
    return item_id


def test_an_admins_sensitive_item_says_who_is_missing_and_never_asks_him(
        small: Team, engine: Engine, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    item_id = admins_sensitive_item(small)
    assert answer(small, "admin", f"敏感 {item_id}").context["short"] == THIRD  # a safety flag
    assert answer(small, "admin", f"查看 {item_id}").context["short"] == THIRD
    assert answer(small, "admin", f"提交 {item_id}").context["short"] == THIRD
    assert approvers(answer(small, "王芳", f"查看 {item_id}")) == (ReviewStage.FIRST,
                                                                 ["王芳", "陈静"])
    first = answer(small, "王芳", f"通过 {item_id}")
    assert first.context["short"] == short("final", 2, 2, ["陈静"], first_given=True)
    assert answer(small, "陈静", f"终审 {item_id}").context["short"] == NOBODY
    assert answer(small, "admin", f"查看 {item_id}").context["short"] == NOBODY
    _, shown, _ = wxops(engine, ["item", "show", str(item_id)], monkeypatch, capsys)
    assert NOBODY_WORDS in shown  # the console words it as chat does

    admin = small.staff_id("admin")
    told = notices(engine, admin)
    assert not [t for t, _ in told if t in ASKS]
    assert not [t for t, context in told
                if f"终审 {item_id}」" in texts.render(f"notify/{t}", **context)]
    assert told[-1][1]["short"] == NOBODY  # the admin heard when 陈静 gave the first final
    first_reviewer = [t for t, _ in notices(engine, small.staff_id("王芳"))]
    assert first_reviewer == ["item_submitted"]  # asked to review, never to give a final one

    code = answer(small, "admin", "成员 邀请 审核 李娜").context["code"]
    answer(small, "o_李娜", f"绑定 {code}")
    assert approvers(answer(small, "admin", f"查看 {item_id}")) == (ReviewStage.FINAL, ["李娜"])
    approved = answer(small, "李娜", f"终审 {item_id}")
    assert (approved.context["before"], approved.context["item"].state) == (State.FINAL_REVIEW,
                                                                           State.APPROVED)
    assert small.item(item_id).state == State.APPROVED.value


def test_an_admin_and_one_reviewer_learn_at_submission_that_no_one_can_give_the_final(
        account: Account) -> None:
    small = Team(account, {"admin": {Role.ADMIN}, "王芳": {Role.REVIEWER}})
    item_id = admins_sensitive_item(small)
    two = short("first", 2, 1, ["王芳"])  # a first and a final, only 王芳 there
    assert answer(small, "admin", f"提交 {item_id}").context["short"] == two
    [(template, context)] = notices(account.engine, small.staff_id("王芳"))
    assert (template, context["short"]) == ("item_submitted", two)  # asked, and warned
    answer(small, "王芳", f"通过 {item_id}")
    assert not [t for t, _ in notices(account.engine, small.staff_id("admin")) if t in ASKS]
    assert answer(small, "admin", f"查看 {item_id}").context["short"] == short(
        "final", 1, 1, [], first_given=True)


def test_who_is_missing_reads_as_before(small: Team) -> None:
    """The catalogue's words for the shortfall (approvers.j2), in a reply and a notice."""
    item_id = admins_sensitive_item(small)
    marked = small.say("admin", f"敏感 {item_id}")
    assert ("还需要三位没有参与撰写的审核员（一位初审、两位终审，各不相同）；现在只有王芳、陈静"
            in marked and "再邀请一位" in marked)
    small.say("admin", f"提交 {item_id}")
    assert "可以初审的成员：王芳、陈静" in small.say("王芳", f"查看 {item_id}")
    first = small.say("王芳", f"通过 {item_id}")
    assert "还需要两位没有参与撰写、也没有初审的审核员终审；现在只有陈静" in first
    assert NOBODY_WORDS in small.say("陈静", f"终审 {item_id}")
