"""Staff notices that could not be sent (window closed, no template) ride along
with the passive reply to the person's next message.

A passive reply is one WeChat text message (``TEXT_REPLY_BYTES``): the reply's
own text comes first and whole, then as many held notices as fit, the most
important first (``notices.RANKS``, then oldest first), then how many still
wait. Only the notices shown are marked sent; the others wait for the next
message, which shows the next ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from handlers import notices, texts
from handlers.inbound import HandlerContext, Inbound
from handlers.replies import TEXT_REPLY_BYTES, Reply, TextReply
from workflow.ports import HeldNotices

ELLIPSIS = "…"
#: The least of a cut notice worth showing (its label and item, about 20 Chinese
#: characters); with less room beside a long reply it waits for the next one.
MIN_PIECE_BYTES = 60


@dataclass(frozen=True)
class Held:
    """A held notice as the digest weighs it."""

    row_id: int  # its outbox row; older rows have smaller ids
    rank: int  # notices.RANKS: smaller goes first
    text: str


@dataclass(frozen=True)
class Digest:
    text: str
    shown: tuple[int, ...]  # the outbox rows it carries, in the order shown
    waiting: int  # held notices left for a later reply


def with_held_notices(ctx: HandlerContext, msg: Inbound, reply: Reply) -> Reply:
    if msg.msg_type == "event" and msg.event not in ("click", "subscribe", "scan"):
        return reply
    if reply is not None and not isinstance(reply, TextReply):
        return reply  # a news reply cannot carry text; the notices wait for the next one
    if ctx.staff(msg.openid) is None:
        return reply  # only staff notices are ever held
    with ctx.joined_uow() as uow:
        digest = _hand_over(uow.notices, msg.openid, reply.text if reply else "", ctx.now)
        uow.commit()
    return TextReply(digest.text) if digest is not None else reply


def _hand_over(box: HeldNotices, openid: str, reply: str, now: datetime) -> Digest | None:
    """The digest of this person's held notices with ``reply``, the notices it
    shows marked sent and the moot ones dropped; None when none is left to show."""
    rows = box.held_for(openid)
    if not rows:
        return None
    payloads = [payload for _id, payload in rows]
    ranked = zip(rows, notices.ranked(payloads, box.item_versions(notices.items_named(payloads))),
                 strict=True)
    held, moot = [], []
    for (row_id, _), notice in ranked:
        if notice.moot:
            moot.append(row_id)
        else:
            held.append(Held(row_id, notice.rank, notice.text))
    box.drop(moot, "notice_moot")  # a code: wxops outbox shows it in words
    if not held:
        return None
    digest = compose(reply, held)
    box.hand_over(digest.shown, now)
    return digest


def compose(reply: str, held: Sequence[Held], budget: int = TEXT_REPLY_BYTES) -> Digest:
    """The reply with the notices that fit in ``budget`` UTF-8 bytes, most important
    first. A notice that could never fit whole, however short the reply, is cut
    with an ellipsis rather than dropped; one that only does not fit beside this
    reply waits for a later one."""
    total, chosen = len(held), list[Held]()
    for notice in sorted(held, key=lambda h: (h.rank, h.row_id)):
        if _fits(reply, [*chosen, notice], total, budget):
            chosen.append(notice)
            continue
        if not chosen and not _fits("", [notice], total, budget):
            chosen = _cut(reply, notice, total, budget)
        break
    if not chosen and not _fits(reply, [], total, budget):
        return Digest(reply, (), total)  # not even the count fits beside this reply
    return Digest(_render(reply, chosen, total), tuple(h.row_id for h in chosen),
                  total - len(chosen))


def _render(reply: str, shown: Sequence[Held], total: int) -> str:
    return texts.render("digest", reply=reply, notices=[h.text for h in shown], total=total,
                        waiting=total - len(shown))


def _size(reply: str, shown: Sequence[Held], total: int) -> int:
    return len(_render(reply, shown, total).encode("utf-8"))


def _fits(reply: str, shown: Sequence[Held], total: int, budget: int) -> bool:
    return _size(reply, shown, total) <= budget


def _cut(reply: str, notice: Held, total: int, budget: int) -> list[Held]:
    """The notice cut to the room beside this reply, or nothing if too little is left."""
    room = budget - _size(reply, [replace(notice, text="")], total)
    piece = room - len(ELLIPSIS.encode("utf-8"))
    if piece < MIN_PIECE_BYTES:
        return []
    # Bytes cut inside a character are dropped; a notice's text is never rendered
    # with more than it is given, so the cut one fits.
    text = notice.text.encode("utf-8")[:piece].decode("utf-8", "ignore").rstrip()
    return [replace(notice, text=text + ELLIPSIS)]
