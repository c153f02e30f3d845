"""Confirmation use cases: ask for ``确认 CODE`` (one transaction: the checks that
the action is allowed now, and the stored confirmation), and take a code.

What a taken code performs is the caller's: ``handlers/commands/confirm.py``
maps each action to its performer, which refuses if the subject changed since.
"""

from __future__ import annotations

from workflow import confirming, policy, staffing
from workflow.confirming import CODE_LENGTH, Confirmation
from workflow.errors import ConfirmationRefused, ItemNotFound
from workflow.model import ContentItem, Context
from workflow.ports import UnitOfWork
from workflow.roles import Action, Actor
from workflow.staffing import Member, member_fingerprint, new_code
from workflow.states import Event


def ask(uow: UnitOfWork, actor: Actor, action: str, subject_id: int, version: int,
        ctx: Context, note: str = "") -> Confirmation:
    """Store a confirmation of ``action`` on a subject as it is now (``version``)."""
    with uow:
        made = _issue(uow, actor, action, subject_id, version, ctx, note)
        uow.commit()
        return made


def ask_item(uow: UnitOfWork, actor: Actor, event: Event, item_id: int, ctx: Context,
             note: str = "") -> tuple[ContentItem, Confirmation]:
    """Publish, withdraw, cancel: refused now if the move is not allowed now."""
    with uow:
        item = uow.items.get(item_id)
        if item is None:
            raise ItemNotFound(item_id)
        policy.can(actor, event, item, uow.reviews.for_item(item_id))
        made = _issue(uow, actor, event.value, item.id, item.version, ctx, note)
        uow.commit()
        return item, made


def ask_removal(uow: UnitOfWork, actor: Actor, member_id: int,
                ctx: Context) -> tuple[Member, Confirmation]:
    """成员 删除: never oneself, only an active member; bound to the member as now."""
    with uow:
        staffing.authorise(actor, Action.REMOVE_STAFF)
        member = staffing.may_remove(uow.staff.member(member_id), member_id, actor)
        made = _issue(uow, actor, Action.REMOVE_STAFF.value, member.id,
                      member_fingerprint(member), ctx, "")
        uow.commit()
        return member, made


def take(uow: UnitOfWork, actor: Actor, code: str, ctx: Context) -> Confirmation:
    """Use ``code`` once: only its asker, only in time (confirming.use)."""
    with uow:
        used = confirming.use(uow.confirmations.get(code), actor.id, ctx.now)
        if not uow.confirmations.use(used):  # used by a second 确认 in between
            raise ConfirmationRefused("invalid")
        uow.commit()
        return used


def _issue(uow: UnitOfWork, actor: Actor, action: str, subject_id: int, version: int,
           ctx: Context, note: str) -> Confirmation:
    made = confirming.issue(actor.id, action, subject_id, version, note, ctx.command, ctx.now,
                            new_code(CODE_LENGTH))
    uow.confirmations.add(made)
    return made
