"""Article comments, pure: the article-id bridge from real-looking addresses and
data-interface msgids, when an article is read, and what a reply to a comment,
featuring and deleting one decide."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.unit.fakes import FakeUnitOfWork
from workflow import comment_cases, ticket_cases, tickets
from workflow.capabilities import AccountKind, AccountType, Capabilities
from workflow.comment_cases import CommentAction
from workflow.comments import (
    NO_ARTICLE,
    SEVERAL_ARTICLES,
    ArticleRef,
    CommentStatus,
    CommentTarget,
    bridge,
    comment_priority,
    due,
    from_msgid,
    from_url,
    read_every,
    seen,
)
from workflow.effects import ActOnComment, ReplyToComment, SendReply
from workflow.errors import (
    ActionDenied,
    CommentGone,
    CommentsUnavailable,
    CommentUnmapped,
    NotACommentTicket,
    ReplyWindowClosed,
)
from workflow.model import Context
from workflow.reply_queue import COMPLAINT_PRIORITY, TicketStatus
from workflow.roles import Actor, Role
from workflow.window import Closed, Interactions, Window

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
AT = Context(now=NOW)
WANG, LI, ADMIN = (Actor(2, "王芳", frozenset({Role.CREATOR})),
                   Actor(3, "李雷", frozenset({Role.REVIEWER})),
                   Actor(1, "张敏", frozenset({Role.ADMIN})))


@pytest.mark.parametrize(("url", "expected"), [
    # The long form the platform gives a published article: mid, 1-based idx.
    ("https://mp.weixin.qq.com/s?__biz=MzA3NjE2NTk3Mg==&mid=2650447891&idx=1"
     "&sn=3d6b2c4c0f8ad0a3f7a4e8f1b1f5b7b2&chksm=8771bcd1b00635c7#rd",
     ArticleRef("2650447891", 0)),
    ("http://mp.weixin.qq.com/s?__biz=MzA3NjE2NTk3Mg==&mid=2650447891&idx=3&sn=ab",
     ArticleRef("2650447891", 2)),
    # As copied out of HTML: &amp; between the parameters.
    ("https://mp.weixin.qq.com/s?__biz=MzA3NjE2NTk3Mg==&amp;mid=2247483708&amp;idx=2&amp;sn=c",
     ArticleRef("2247483708", 1)),
    ("  https://mp.weixin.qq.com/s/?mid=100000001&idx=1  ", ArticleRef("100000001", 0)),
])
def test_an_address_with_mid_and_idx_names_its_article(url: str, expected: ArticleRef) -> None:
    assert from_url(url) == expected


@pytest.mark.parametrize("url", [
    "https://mp.weixin.qq.com/s/Ao0ZJ3FZ_lJ9xQz1mTq2Sg",  # the short form: nothing to map
    "https://mp.weixin.qq.com/s?__biz=MzA3NjE2NTk3Mg==&idx=1&sn=x",  # no mid
    "https://mp.weixin.qq.com/s?mid=2650447891&sn=x",  # no idx
    "https://mp.weixin.qq.com/s?mid=2650447891&idx=0",  # idx is 1-based
    "https://mp.weixin.qq.com/s?mid=abc&idx=1",
    "https://mp.weixin.qq.com/s?mid=0&idx=1",
    "https://mp.weixin.qq.com/s?mid=²&idx=❶",  # digits to str.isdigit(), not to int()
    "https://mp.weixin.qq.com/s?mid=1&mid=2&idx=1",  # two answers: not guessed
    "https://example.com/s?mid=2650447891&idx=1",  # another host
    "https://mp.weixin.qq.com/mp/appmsg?mid=2650447891&idx=1",
    "",
])
def test_an_address_without_them_is_not_guessed(url: str) -> None:
    assert from_url(url) is None


def test_a_data_msgid_names_its_article_with_a_1_based_index() -> None:
    assert from_msgid("2247483708_1") == ArticleRef("2247483708", 0)
    assert from_msgid("2247483708_2") == ArticleRef("2247483708", 1)
    for bad in ("2247483708", "2247483708_0", "_1", "x_1", "2247483708_a", "0_1"):
        assert from_msgid(bad) is None


SHORT = "https://mp.weixin.qq.com/s/Ao0ZJ3FZ_lJ9xQz1mTq2Sg"
LONG = "https://mp.weixin.qq.com/s?__biz=MzI0NQ==&mid=2247490098&idx=2&sn=ab#rd"


def test_the_address_is_the_first_bridge_whatever_the_data_says() -> None:
    assert bridge(LONG, {"2247499999_1"}) == (ArticleRef("2247490098", 1), "")
    assert bridge(LONG, set()) == (ArticleRef("2247490098", 1), "")


def test_a_short_address_is_mapped_from_the_one_msgid_matched_to_the_item() -> None:
    assert bridge(SHORT, {"2247490111_3"}) == (ArticleRef("2247490111", 2), "")
    assert bridge("", ["2247490111_1", "2247490111_1"]) == (ArticleRef("2247490111", 0), "")


@pytest.mark.parametrize(("msgids", "why"), [
    (set(), NO_ARTICLE),  # no figures matched to it (yet)
    ({"2247490111_1", "2247490222_1"}, SEVERAL_ARTICLES),  # published and mass-sent
    ({"2247490111_1", "2247490111_2"}, SEVERAL_ARTICLES),
    ({"2247490111"}, NO_ARTICLE),  # not <msg_data_id>_<index>
    ({"0_1"}, NO_ARTICLE),
])
def test_no_msgid_or_several_leave_a_short_address_unmapped(msgids: set[str], why: str) -> None:
    assert bridge(SHORT, msgids) == (None, why)


def test_fresh_articles_are_read_every_two_hours_older_ones_daily() -> None:
    fresh, old = NOW - timedelta(days=30), NOW - timedelta(days=31)
    assert read_every(fresh, NOW) == timedelta(hours=2)
    assert read_every(old, NOW) == timedelta(days=1)
    assert due(fresh, None, NOW)
    assert not due(fresh, NOW - timedelta(minutes=119), NOW)
    assert due(fresh, NOW - timedelta(hours=2), NOW)
    assert not due(old, NOW - timedelta(hours=23), NOW)
    assert due(old, NOW - timedelta(hours=24), NOW)


def test_complaint_words_raise_a_comment_as_a_message() -> None:
    assert comment_priority("太差了，投诉", ["投诉"]) == COMPLAINT_PRIORITY
    assert comment_priority("写得好", ["投诉"]) == 0


def test_a_listing_entry_without_id_or_author_is_skipped() -> None:
    assert seen({"user_comment_id": 3, "openid": "o1", "content": "好",
                 "create_time": 5}) is not None
    assert seen({"openid": "o1"}) is None
    assert seen({"user_comment_id": True, "openid": "o1"}) is None


# --- deciding ------------------------------------------------------------------------

TARGET = CommentTarget(7, ArticleRef("2650447891", 0), 42)


def _ticket() -> tickets.Ticket:
    return tickets.Ticket(5, 1, "o-fan", TicketStatus.OPEN, NOW, waiting_since=NOW)


def test_a_comment_ticket_is_answered_under_the_comment_with_no_window() -> None:
    decided = tickets.reply(_ticket(), 3, " 谢谢 ", None, NOW, TARGET)
    assert decided.effect == ReplyToComment(ticket_id=5, msg_data_id="2650447891", index=0,
                                            user_comment_id=42, text="谢谢", staff_id=3)
    assert decided.ticket.status is TicketStatus.RESOLVED  # one reply per comment


def test_a_message_ticket_still_needs_its_window() -> None:
    closed = Window(None, Closed.EXPIRED)
    with pytest.raises(ReplyWindowClosed):
        tickets.reply(_ticket(), 3, "谢谢", closed, NOW)
    assert isinstance(tickets.reply(_ticket(), 3, "谢谢", None, NOW).effect, SendReply)


def test_a_deleted_or_unmapped_comment_is_not_answered() -> None:
    gone = CommentTarget(7, TARGET.article, 42, CommentStatus.DELETED)
    with pytest.raises(CommentGone):
        tickets.reply(_ticket(), 3, "谢谢", None, NOW, gone)
    with pytest.raises(CommentUnmapped):
        tickets.reply(_ticket(), 3, "谢谢", None, NOW, CommentTarget(7, None, 42))


def test_featuring_and_deleting_name_the_comment() -> None:
    assert comment_cases.act(5, TARGET, CommentAction.FEATURE) == ActOnComment(
        ticket_id=5, action="markelect", msg_data_id="2650447891", index=0, user_comment_id=42)
    assert comment_cases.act(5, TARGET, CommentAction.DELETE).action == "delete"
    with pytest.raises(NotACommentTicket):
        comment_cases.act(5, None, CommentAction.FEATURE)


def test_accounts_without_the_comment_interfaces_are_refused() -> None:
    with pytest.raises(CommentsUnavailable) as refused:
        comment_cases.require_comments(
            Capabilities(AccountKind(AccountType.SUBSCRIPTION, verified=False)))
    assert refused.value.kind == "unverified-subscription"
    for kind in AccountType:
        comment_cases.require_comments(Capabilities(AccountKind(kind, verified=True)))


# --- the use cases, with fakes --------------------------------------------------------


@pytest.fixture
def uow() -> FakeUnitOfWork:
    fake = FakeUnitOfWork([ADMIN, WANG, LI])
    fake.tickets.rows[5] = _ticket()
    fake.tickets.comments[5] = TARGET
    fake.interactions.seen["o-fan"] = Interactions(False)  # unsubscribed: no window at all
    return fake


def test_a_comment_ticket_is_answered_whatever_the_window(uow: FakeUnitOfWork) -> None:
    decided = ticket_cases.reply(uow, WANG, 5, "谢谢留言", AT)
    key = decided.effect.key
    assert uow.outbox.rows[key] == ("comment_reply", decided.effect.payload())
    assert decided.effect.payload()["user_comment_id"] == 42 and uow.commits == 1


def test_deleting_a_comment_needs_a_reviewer_and_is_done_once(uow: FakeUnitOfWork) -> None:
    with pytest.raises(ActionDenied):
        ticket_cases.act_on_comment(uow, WANG, 5, CommentAction.DELETE, AT)
    ticket_cases.act_on_comment(uow, LI, 5, CommentAction.DELETE, AT)
    assert [kind for kind, _ in uow.outbox.rows.values()] == ["comment_action"]
    assert uow.tickets.comments[5].status == CommentStatus.DELETED
    with pytest.raises(CommentGone):
        ticket_cases.act_on_comment(uow, ADMIN, 5, CommentAction.FEATURE, AT)
    with pytest.raises(CommentGone):
        ticket_cases.reply(uow, WANG, 5, "谢谢", AT)


def test_a_commenter_who_unsubscribes_can_still_be_answered(uow: FakeUnitOfWork) -> None:
    uow.tickets.rows[6] = replace(_ticket(), id=6)  # a message's ticket of the same person
    assert ticket_cases.follower_left(uow, 1, NOW) == 1
    assert uow.tickets.rows[5].status is TicketStatus.OPEN
    assert uow.tickets.rows[6].status is TicketStatus.RESOLVED
