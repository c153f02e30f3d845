"""The checks on every new revision (workflow/revision_checks.py), over the fakes:
kept with the revision, a refusal to submit or approve on an error, a word of
the list marking the item sensitive, and the built list reused while unchanged."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from handlers import refusals, texts
from tests.unit.fakes import FakeUnitOfWork, FakeWords
from workflow import revision_checks, usecases, word_cases
from workflow.capabilities import FULL, UNVERIFIED_SUBSCRIPTION, Capabilities
from workflow.checks import Code, WordEntry
from workflow.errors import ChecksFailed, WordInvalid
from workflow.model import ArticleMeta, Context, ItemChanges
from workflow.revision_checks import WordListCache
from workflow.roles import SYSTEM_ACTOR, Actor, Role
from workflow.states import Event, State

NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
AUTHOR = Actor(1, "小李", frozenset({Role.CREATOR}))
R1 = Actor(2, "王芳", frozenset({Role.REVIEWER}))
CLEAN = "<p>社区义诊来了八十位居民。</p>"
OUTSIDE_LINK = '<p>报名见 <a href="https://example.org/join">这里</a>。</p>'


def ctx() -> Context:
    return Context(now=NOW, command="测试")


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork([AUTHOR, R1])


def started(uow: FakeUnitOfWork) -> int:
    item = usecases.plan(uow, AUTHOR.id, "义诊回顾", ctx())
    usecases.act(uow, AUTHOR.id, item.id, Event.START, ctx())
    return item.id


def edited(uow: FakeUnitOfWork, body: str) -> int:
    item_id = started(uow)
    usecases.edit(uow, AUTHOR.id, item_id, ItemChanges(body=body), ctx())
    return item_id


def test_every_new_revision_is_checked_and_kept(uow: FakeUnitOfWork) -> None:
    item_id = edited(uow, CLEAN)
    usecases.edit(uow, AUTHOR.id, item_id, ItemChanges(body=OUTSIDE_LINK), ctx())
    item = uow.items.rows[item_id]
    assert set(uow.checks.rows) == {(item_id, item.revision - 1), (item_id, item.revision)}
    assert not uow.checks.rows[item_id, item.revision - 1].refused
    assert Code.EXTERNAL_LINK in uow.checks.rows[item_id, item.revision].codes()


def test_a_move_that_writes_no_revision_checks_nothing(uow: FakeUnitOfWork) -> None:
    item_id = started(uow)
    assert uow.checks.rows == {}
    assert uow.items.rows[item_id].state is State.DRAFTING


def test_submit_is_refused_while_the_newest_revision_has_an_error(uow: FakeUnitOfWork) -> None:
    item_id = edited(uow, OUTSIDE_LINK)
    with pytest.raises(ChecksFailed) as refused:
        usecases.act(uow, AUTHOR.id, item_id, Event.SUBMIT, ctx())
    assert (refused.value.finding, refused.value.errors) == ("external_link", 1)
    assert refused.value.finding_data == {"href": "https://example.org/join"}
    assert uow.items.rows[item_id].state is State.DRAFTING


def test_a_fixed_revision_may_be_submitted(uow: FakeUnitOfWork) -> None:
    item_id = edited(uow, OUTSIDE_LINK)
    usecases.edit(uow, AUTHOR.id, item_id, ItemChanges(body=CLEAN), ctx())
    usecases.act(uow, AUTHOR.id, item_id, Event.SUBMIT, ctx())
    assert uow.items.rows[item_id].state is State.IN_REVIEW


def test_approving_is_refused_on_an_error_too(uow: FakeUnitOfWork) -> None:
    item_id = edited(uow, CLEAN)
    usecases.act(uow, AUTHOR.id, item_id, Event.SUBMIT, ctx())
    # An edit during review writes a revision with an error; the item stays in review.
    usecases.edit(uow, AUTHOR.id, item_id, ItemChanges(body=OUTSIDE_LINK), ctx())
    assert uow.items.rows[item_id].state is State.IN_REVIEW
    with pytest.raises(ChecksFailed) as refused:
        usecases.act(uow, R1.id, item_id, Event.APPROVE, ctx())
    assert refused.value.event is Event.APPROVE


def test_a_word_of_the_list_marks_the_item_sensitive_and_says_which(
        uow: FakeUnitOfWork) -> None:
    uow.words.add(WordEntry("募捐", "募捐"), NOW)
    item_id = edited(uow, "<p>本周末街头募捐，请带好证件。</p>")
    item = uow.items.rows[item_id]
    assert item.sensitive and item.required_final_approvals == 2
    last = uow.audit.history(item_id)[-1]
    assert (last.event, last.actor_id, last.comment) == (Event.MARK_SENSITIVE,
                                                         SYSTEM_ACTOR.id, "募捐")
    assert uow.checks.rows[item_id, item.revision].sensitive


def test_an_item_marked_already_is_not_marked_twice(uow: FakeUnitOfWork) -> None:
    uow.words.add(WordEntry("募捐", "募捐"), NOW)
    item_id = edited(uow, "<p>募捐</p>")
    usecases.edit(uow, AUTHOR.id, item_id, ItemChanges(body="<p>募捐结束</p>"), ctx())
    marks = [e for e in uow.audit.history(item_id) if e.event is Event.MARK_SENSITIVE]
    assert len(marks) == 1


def test_the_refusal_names_the_first_error_and_the_fix(uow: FakeUnitOfWork) -> None:
    item_id = edited(uow, OUTSIDE_LINK)
    with pytest.raises(ChecksFailed) as refused:
        usecases.act(uow, AUTHOR.id, item_id, Event.SUBMIT, ctx())
    said = refusals.say(refused.value)
    assert "https://example.org/join" in said and f"wxops item edit {item_id}" in said


def test_the_built_list_is_kept_while_the_stored_list_is_unchanged() -> None:
    store, cache = FakeWords(), WordListCache()
    store.add(WordEntry("募捐", "募捐"), NOW)
    first = cache.current(store)
    assert cache.current(store) is first and cache.builds == 1
    store.add(WordEntry("捐款", "募捐"), NOW)
    assert cache.current(store) is not first and cache.builds == 2
    store.remove("捐款")
    cache.current(store)
    assert cache.builds == 3


@pytest.mark.parametrize(("line", "expected"), [
    ("募捐", WordEntry("募捐", "默认")),
    ("医疗\t偏方", WordEntry("偏方", "医疗")),
    ("re:包治.{0,2}病", WordEntry("包治.{0,2}病", "默认", True)),
    ("医疗\tre:根治", WordEntry("根治", "医疗", True)),
    ("   ", None),
    ("# 注释", None),
])
def test_a_line_of_an_imported_list(line: str, expected: WordEntry | None) -> None:
    assert word_cases.line_entry(line, "默认") == expected


@pytest.mark.parametrize("line", ["re:([", "\t募捐", "长" * 257])
def test_a_line_that_cannot_be_kept(line: str) -> None:
    with pytest.raises(WordInvalid):
        word_cases.line_entry(line, "")


def test_the_brief_lists_errors_then_sensitive_then_counts(uow: FakeUnitOfWork) -> None:
    uow.words.add(WordEntry("募捐", "募捐"), NOW)
    item_id = edited(uow, OUTSIDE_LINK.replace("报名", "募捐报名") + "<p>中文English</p>")
    item = uow.items.rows[item_id]
    shown = revision_checks.brief(uow.checks.rows[item_id, item.revision])
    assert shown is not None
    assert [f.code for f in shown.errors] == [Code.EXTERNAL_LINK]
    assert [f.code for f in shown.sensitive] == [Code.SENSITIVE_WORD]
    assert shown.warnings >= 1 and shown.facts.references == 1
    said = texts.phrase("checks_brief", "brief", b=shown)
    assert said.index("example.org") < said.index("募捐") < said.index(f"{shown.warnings} 条")


def test_the_call_for_review_says_what_the_check_found(uow: FakeUnitOfWork) -> None:
    uow.words.add(WordEntry("募捐", "募捐"), NOW)
    item_id = edited(uow, "<p>周末街头募捐，请带好证件。</p>")
    usecases.act(uow, AUTHOR.id, item_id, Event.SUBMIT, ctx())
    asked = [row for row in uow.outbox.rows.values()
             if row[1].get("template") == "item_submitted"]
    assert asked and asked[-1][1]["context"]["checks"] == {"errors": 0, "sensitive": 1,
                                                           "warnings": 0}


def meta_checked(uow: FakeUnitOfWork, meta: ArticleMeta, capabilities: Capabilities = FULL,
                 ) -> set[Code]:
    """The codes of the check of a revision written with ``meta``."""
    item_id = started(uow)
    usecases.edit(uow, AUTHOR.id, item_id, ItemChanges(body=CLEAN, meta=meta),
                  replace(ctx(), capabilities=capabilities))
    return set(uow.checks.rows[item_id, uow.items.rows[item_id].revision].codes())


@pytest.mark.parametrize(("meta", "missing"), [
    (ArticleMeta(), False),  # names none: the account's default cover goes with the draft
    (ArticleMeta(cover="m1", cover_file="photo.jpg"), False),  # named and uploaded
    (ArticleMeta(cover_file="photo.jpg"), True),  # named, not found or not readable
])
def test_a_cover_is_missing_only_when_the_one_named_was_not_uploaded(
        uow: FakeUnitOfWork, meta: ArticleMeta, missing: bool) -> None:
    assert (Code.COVER_MISSING in meta_checked(uow, meta)) is missing


def test_without_materials_a_cover_not_uploaded_is_chosen_by_hand(uow: FakeUnitOfWork) -> None:
    unverified = Capabilities(UNVERIFIED_SUBSCRIPTION)
    assert Code.COVER_MISSING not in meta_checked(uow, ArticleMeta(cover_file="a.jpg"),
                                                  unverified)


def test_a_byline_over_16_characters_is_an_error(uow: FakeUnitOfWork) -> None:
    assert Code.AUTHOR_TOO_LONG in meta_checked(uow, ArticleMeta(byline="长" * 17))
    assert Code.AUTHOR_TOO_LONG not in meta_checked(uow, ArticleMeta(byline="长" * 16))
