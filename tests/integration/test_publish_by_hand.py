"""An account that may not publish through the platform (no free publishing or
no draft box: unverified accounts, issue 21): 发布 and the timed publish tell
the admins to publish by hand in the official backend, with no draft sync or
freepublish submit queued (they would meet 48001); ``已发布 12 <链接>`` records
the article and moves the item to 已发布. Through the real grammar and
dispatcher, on both engines."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from handlers.commands.context import Result
from handlers.commands.grammar import CommandError
from storage.models import ContentItemRow, OutboxMessage
from tests.integration.commanding import (
    NOW,
    Team,
    ask,
    audit_trail,
    confirmation_code,
    make_team,
    refusal,
    say,
)
from workflow.capabilities import (
    FULL,
    UNVERIFIED_SERVICE,
    UNVERIFIED_SUBSCRIPTION,
    Capabilities,
)
from workflow.errors import NotAnArticleLink
from workflow.roles import Role
from workflow.states import Event, State

SMALL = Capabilities(UNVERIFIED_SUBSCRIPTION)
LINK = "https://mp.weixin.qq.com/s/AbCdEf123"


@pytest.fixture
def team(engine: Engine) -> Team:
    return make_team(engine)


def _item(engine: Engine, team: Team, state: State = State.APPROVED) -> int:
    with Session(engine) as session:
        row = ContentItemRow(title="冬季助学", body="<p>寒假前为山区学生募集冬衣。</p>",
                             author_id=team.wang, state=state.value,
                             review_round=1, created_at=NOW, updated_at=NOW)
        session.add(row)
        session.commit()
        return row.id


def _row(engine: Engine, item_id: int) -> tuple[str, str | None]:
    with engine.connect() as conn:
        row = conn.execute(select(ContentItemRow.state, ContentItemRow.url)
                           .where(ContentItemRow.id == item_id)).one()
    return row.state, row.url


def _outbox(engine: Engine) -> list[tuple[str, object, object]]:
    with engine.connect() as conn:
        rows = conn.execute(select(OutboxMessage.kind, OutboxMessage.payload)).all()
    return sorted((kind, payload.get("template"), payload.get("staff_id"))
                  for kind, payload in rows)


def _publish(engine: Engine, team: Team, item_id: int, capabilities: Capabilities) -> None:
    asked = ask(engine, team.admin, f"发布 {item_id}", capabilities=capabilities)
    code = confirmation_code(asked.render())
    moved = ask(engine, team.admin, f"确认 {code}", capabilities=capabilities)
    assert moved.template == "moved"
    assert moved.context["by_hand"] is (capabilities is not FULL)
    assert moved.context["item"].state is State.PUBLISHING


@pytest.mark.parametrize("kind", [UNVERIFIED_SUBSCRIPTION, UNVERIFIED_SERVICE],
                         ids=lambda kind: kind.name)
def test_publish_tells_the_admins_to_publish_by_hand(engine: Engine, team: Team,
                                                      kind: object) -> None:
    item_id = _item(engine, team)
    _publish(engine, team, item_id, Capabilities(kind))  # type: ignore[arg-type]

    assert _row(engine, item_id) == (State.PUBLISHING.value, None)
    # The other admin is told (the one who published read it in the reply); no
    # draft sync, no submit.
    assert _outbox(engine) == [("notify", "item_publish_by_hand", team.admin2)]


def test_todo_shows_the_admins_what_waits_to_be_published_by_hand(
        engine: Engine, team: Team) -> None:
    """Once the notice is read, 我的 is what still says an item waits in the
    backend for a person: it lists it with what to do, until 已发布."""
    item_id = _item(engine, team, State.PUBLISHING)

    answer = ask(engine, team.admin2, "我的", capabilities=SMALL)
    found = answer.context["todo"]
    assert [it.id for it in found.to_record] == [item_id] and not found.empty
    shown = answer.render()
    assert f"【待手动发布】1 篇\n{item_id}.《冬季助学》\n" in shown
    assert "回复「已发布 编号 文章链接」" in shown
    # Through the platform the worker publishes it: nothing for a person to do.
    assert ask(engine, team.admin2, "我的").context["todo"].to_record == []
    ask(engine, team.admin2, f"已发布 {item_id} {LINK}", capabilities=SMALL)
    assert ask(engine, team.admin2, "我的", capabilities=SMALL).context["todo"].to_record == []


def test_a_full_account_still_submits(engine: Engine, team: Team) -> None:
    item_id = _item(engine, team)
    _publish(engine, team, item_id, FULL)
    assert ("submit_publish", None, None) in _outbox(engine)


def test_the_recorded_link_publishes_the_item(engine: Engine, team: Team) -> None:
    item_id = _item(engine, team, State.PUBLISHING)

    moved = ask(engine, team.admin2, f"已发布 {item_id} {LINK}", capabilities=SMALL)

    assert moved.template == "moved"
    assert (moved.context["event"], moved.context["before"], moved.context["item"].state) == (
        Event.RECORD_PUBLISHED, State.PUBLISHING, State.PUBLISHED)
    assert _row(engine, item_id) == (State.PUBLISHED.value, LINK)
    assert audit_trail(engine)[-1][1:] == ("record_published", "赵强")
    told = [(template, staff) for kind, template, staff in _outbox(engine)]
    assert ("item_published", team.wang) in told and ("item_published", team.admin) in told
    # The rest works as for an article the platform published: a re-check.
    ask(engine, team.zhou, f"复查 {item_id} 正常", capabilities=SMALL)
    assert _row(engine, item_id)[0] == State.PUBLISHED.value


def test_a_revision_recorded_again_says_the_old_article_is_still_online(
        engine: Engine, team: Team) -> None:
    item_id = _item(engine, team, State.PUBLISHING)
    first = ask(engine, team.admin2, f"已发布 {item_id} {LINK}", capabilities=SMALL)
    assert first.context["still_online"] == ""
    with engine.begin() as conn:  # revised, approved and published by hand again
        conn.execute(update(ContentItemRow).where(ContentItemRow.id == item_id)
                     .values(state=State.PUBLISHING.value))
    again = ask(engine, team.admin2, f"已发布 {item_id} {LINK}X", capabilities=SMALL)
    assert again.context["still_online"] == LINK
    assert _row(engine, item_id) == (State.PUBLISHED.value, LINK + "X")


def test_the_english_alias_records_too(engine: Engine, team: Team) -> None:
    item_id = _item(engine, team, State.PUBLISHING)
    ask(engine, team.admin, f"published {item_id} {LINK}", capabilities=SMALL)
    assert _row(engine, item_id) == (State.PUBLISHED.value, LINK)


@pytest.mark.parametrize("link", ["http://mp.weixin.qq.com/s/abc", "https://example.com/s/abc",
                                  "mp.weixin.qq.com/s/abc"])
def test_a_link_that_is_not_an_article_is_refused(engine: Engine, team: Team,
                                                  link: str) -> None:
    item_id = _item(engine, team, State.PUBLISHING)
    refused = refusal(engine, team.admin, f"已发布 {item_id} {link}", capabilities=SMALL)
    assert isinstance(refused, NotAnArticleLink)
    assert (refused.code, refused.url) == ("not_an_article_link", link)
    assert _row(engine, item_id) == (State.PUBLISHING.value, None)


def test_only_admins_record_a_publication(engine: Engine, team: Team) -> None:
    item_id = _item(engine, team, State.PUBLISHING)
    refused = refusal(engine, team.li, f"已发布 {item_id} {LINK}", capabilities=SMALL)
    assert isinstance(refused, CommandError)
    assert (refused.code, refused.data["command"], refused.data["roles"]) == (
        "needs_role", "已发布", [Role.ADMIN.label])
    assert _row(engine, item_id) == (State.PUBLISHING.value, None)


def test_the_help_lists_the_command(engine: Engine, team: Team) -> None:
    assert "已发布" in say(engine, team.admin, "帮助 已发布")


def _withdraw(engine: Engine, team: Team, item_id: int, capabilities: Capabilities) -> Result:
    asked = ask(engine, team.admin, f"撤回 {item_id}", capabilities=capabilities)
    return ask(engine, team.admin, f"确认 {confirmation_code(asked.render())}",
               capabilities=capabilities)


def _notices(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [p for k, p in conn.execute(select(OutboxMessage.kind, OutboxMessage.payload))
                if k == "notify"]


@pytest.mark.parametrize("capabilities", [SMALL, FULL], ids=["small", "full"])
def test_withdrawing_an_article_published_by_hand_leaves_its_deletion_to_the_backend(
        engine: Engine, team: Team, capabilities: Capabilities) -> None:
    """Published by hand, the platform never named the article to wxops: on any
    account nothing goes to freepublish/delete, and the reply and the author's
    notice say to delete it in 发表记录."""
    item_id = _item(engine, team, State.PUBLISHING)
    ask(engine, team.admin, f"已发布 {item_id} {LINK}", capabilities=SMALL)

    moved = _withdraw(engine, team, item_id, capabilities)

    assert moved.template == "moved" and moved.context["delete_by_hand"] is True
    assert "发表记录" in moved.render() and LINK in moved.render()
    assert _row(engine, item_id)[0] == State.WITHDRAWN.value
    assert "delete_published" not in [kind for kind, _t, _s in _outbox(engine)]
    [told] = [p for p in _notices(engine) if p["template"] == "item_withdrawn"]
    assert told["staff_id"] == team.wang
    assert (told["context"]["delete_by_hand"], told["context"]["url"]) == (True, LINK)


def test_an_article_the_platform_published_is_deleted_through_it(engine: Engine,
                                                                  team: Team) -> None:
    item_id = _item(engine, team, State.PUBLISHED)
    with Session(engine) as session:
        row = session.get(ContentItemRow, item_id)
        assert row is not None
        row.article_id, row.url = "ART1", LINK
        session.commit()
    moved = _withdraw(engine, team, item_id, FULL)
    assert moved.context["delete_by_hand"] is False
    assert ("delete_published", None, None) in _outbox(engine)
    # The same article on an account without free publishing: left to the backend.
    other = _item(engine, team, State.PUBLISHED)
    with Session(engine) as session:
        row = session.get(ContentItemRow, other)
        assert row is not None
        row.article_id, row.url = "ART2", LINK
        session.commit()
    assert _withdraw(engine, team, other, SMALL).context["delete_by_hand"] is True
    assert [k for k, _t, _s in _outbox(engine)].count("delete_published") == 1
