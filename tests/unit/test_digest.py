"""Which held notices ride on a passive reply: one WeChat text message's worth, the
most important first, and how many are left (handlers.digest.compose)."""

from __future__ import annotations

from importlib import resources

import pytest

from handlers import notices
from handlers.digest import ELLIPSIS, Digest, Held, compose
from handlers.notices import NEWS, TO_DO, TROUBLE
from handlers.replies import TEXT_REPLY_BYTES

LINE = "【已发布】稿件 {n}《社区义诊回顾与下季度志愿者招募安排》已发布：https://mp.weixin.qq.com/s/x"


def held(row_id: int, rank: int = NEWS, text: str = "") -> Held:
    return Held(row_id, rank, text or LINE.format(n=row_id))


def size(digest: Digest) -> int:
    return len(digest.text.encode("utf-8"))


def test_all_fit_all_are_shown_in_order_of_rank_then_age() -> None:
    reply = "好的"
    digest = compose(reply, [held(5, NEWS), held(3, TO_DO), held(9, TROUBLE), held(4, TO_DO)])
    assert (digest.shown, digest.waiting) == ((9, 3, 4, 5), 0)
    assert digest.text.startswith(f"{reply}\n\n")  # the reply first, whole


def test_a_hundred_notices_fill_one_message_and_the_rest_wait() -> None:
    many = [held(n, rank=TROUBLE if n > 95 else NEWS) for n in range(1, 101)]
    reply = "收到"
    digest = compose(reply, many)
    assert size(digest) <= TEXT_REPLY_BYTES
    assert digest.shown[:5] == (96, 97, 98, 99, 100)  # the trouble first
    assert digest.shown[5:] == tuple(range(1, len(digest.shown) - 4))  # then the oldest
    assert digest.waiting == 100 - len(digest.shown) > 0
    # one more would not have fitted: the message is as full as the notices allow
    assert size(compose(reply, many[:len(digest.shown) + 1], budget=10**6)) > TEXT_REPLY_BYTES


def test_the_budget_is_in_utf8_bytes_not_characters() -> None:
    chinese = [held(n, text="通" * 100) for n in range(1, 21)]  # 300 bytes, 100 characters
    digest = compose("", chinese)
    assert size(digest) <= TEXT_REPLY_BYTES
    assert len(digest.shown) == 6  # counted in characters, 19 would have "fitted"


def test_the_tail_says_how_many_wait_and_where_to_see_them() -> None:
    digest = compose("", [held(n) for n in range(1, 101)])
    assert digest.text.endswith(f"还有 {digest.waiting} 条，回复「我的」查看")


def test_a_notice_too_long_for_any_message_is_cut_with_an_ellipsis() -> None:
    long = "长" * 3000
    digest = compose("收到", [held(1, TROUBLE, long), held(2)])
    assert digest.shown == (1,) and digest.waiting == 1
    assert size(digest) <= TEXT_REPLY_BYTES
    cut = digest.text.splitlines()[3]
    assert cut.endswith(long[-1] + ELLIPSIS) and len(cut.encode()) > TEXT_REPLY_BYTES - 200


def test_a_notice_that_fits_alone_waits_whole_rather_than_beside_a_long_reply() -> None:
    reply = "帮" * 500  # 1,500 bytes
    notice = held(1, TROUBLE, "知" * 200)  # 600 bytes: fits in a message of its own
    digest = compose(reply, [notice])
    assert (digest.shown, digest.waiting) == ((), 1)
    assert digest.text.startswith(reply) and size(digest) <= TEXT_REPLY_BYTES
    short = "好"
    assert compose(short, [notice]).shown == (1,)


def test_beside_a_reply_that_fills_the_message_nothing_is_added() -> None:
    reply = "满" * 660  # 1,980 bytes: not even the count fits beside it
    assert compose(reply, [held(1)]) == Digest(reply, (), 1)


def test_every_notice_template_has_a_rank() -> None:
    folder = resources.files("handlers") / "templates" / "notify"
    templates = {p.name.removesuffix(".j2") for p in folder.iterdir() if p.name.endswith(".j2")}
    assert templates == set(notices.RANKS)


@pytest.mark.parametrize("template", ["item_publish_failed", "reply_refused", "ticket_waiting"])
def test_trouble_goes_before_what_waits_for_action_and_news(template: str) -> None:
    assert notices.RANKS[template] < notices.RANKS["item_submitted"] < notices.RANKS[
        "item_published"]
