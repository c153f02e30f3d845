"""Keyword auto-reply rules: added, listed, tested, paused and removed through
one set of use cases (chat 规则 …, ``wxops rules …``). What a rule may say and
how messages are matched is ``workflow.autoreply``; storage only keeps them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import time

from workflow.autoreply import (
    MatchType,
    NewRule,
    Rule,
    answered_instead,
    match,
    validate_rule,
)
from workflow.capabilities import Capabilities, Capability
from workflow.errors import RuleNotFound
from workflow.model import ActionEntry, Context
from workflow.ports import UnitOfWork
from workflow.roles import Actor


def checked(new: NewRule) -> NewRule:
    """The rule as it is kept, or InvalidInput saying what is wrong with it.
    Blanks around a keyword are dropped; inside a regex they are meant."""
    if new.match_type is not MatchType.REGEX:
        new = replace(new, pattern=new.pattern.strip())
    validate_rule(match_type=new.match_type, pattern=new.pattern, reply_kind=new.reply_kind,
                  reply_text=new.reply_text, articles=new.articles,
                  active_from=new.active_from, active_until=new.active_until)
    return new


def add(uow: UnitOfWork, actor: Actor, new: NewRule, ctx: Context,
        local_time: time) -> tuple[Rule, Rule | None]:
    """Keep a valid rule; returns it and the rule that would answer its messages
    instead at ``local_time`` (one tried earlier), if any."""
    new = checked(new)
    with uow:
        rule = uow.rules.add(new, created_by=actor.id or None, now=ctx.now)
        _audit(uow, actor, rule, "rule_add", ctx, comment=new.reply_text)
        shadow = answered_instead(uow.rules.listed(include_inactive=False), rule, local_time)
        uow.commit()
    return rule, shadow


def listed(uow: UnitOfWork, include_inactive: bool = True) -> Sequence[Rule]:
    """In the order they are tried: highest priority first, then the older rule."""
    with uow:
        return uow.rules.listed(include_inactive)


def get(uow: UnitOfWork, rule_id: int) -> Rule:
    with uow:
        return _found(uow, rule_id)


def remove(uow: UnitOfWork, actor: Actor, rule_id: int, ctx: Context) -> Rule:
    """Delete a rule for good (to pause one, ``set_active``)."""
    with uow:
        rule = _found(uow, rule_id)
        uow.rules.remove(rule.id)
        _audit(uow, actor, rule, "rule_delete", ctx, comment=rule.reply_text)
        uow.commit()
    return rule


def set_active(uow: UnitOfWork, actor: Actor, rule_id: int, active: bool,
               ctx: Context) -> Rule:
    with uow:
        _found(uow, rule_id)
        rule = uow.rules.set_active(rule_id, active)
        _audit(uow, actor, rule, "rule_enable" if active else "rule_disable", ctx)
        uow.commit()
    return rule


def test(uow: UnitOfWork, local_time: time, text: str | None = None,
         click_key: str | None = None) -> Rule | None:
    """The rule that would answer at ``local_time``; no hit is counted."""
    with uow:
        active = uow.rules.listed(include_inactive=False)
    return match(active, text=text, click_key=click_key, local_time=local_time)


def _found(uow: UnitOfWork, rule_id: int) -> Rule:
    rule = uow.rules.get(rule_id)
    if rule is None:
        raise RuleNotFound(rule_id)
    return rule


def _audit(uow: UnitOfWork, actor: Actor, rule: Rule, event: str, ctx: Context,
           comment: str = "") -> None:
    uow.audit.record(ActionEntry(f"rule:{rule.id}", event, actor.id, actor.name, ctx.now,
                                 result=f"{rule.match_type.value} {rule.pattern}",
                                 comment=comment, command=ctx.command))


def unclickable(match_type: MatchType, capabilities: Capabilities) -> bool:
    """A menu-click rule on an account without menus: kept (the account may get
    them), but no follower can click it now, which the person adding it is told."""
    return match_type is MatchType.CLICK and not capabilities.allows(Capability.MENU)
