"""Content commands: list, show, review, schedule, publish, re-check, preview."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any, overload

from handlers import texts
from handlers.commands.context import CommandContext, Handler, Result, say
from handlers.commands.grammar import Command, refused
from handlers.when import (
    WhenPassed,
    format_day,
    format_moment,
    format_when,
    is_past,
    parse_when,
)
from workflow import (
    agenda,
    analytics,
    confirm_cases,
    link_cases,
    policy,
    publishing,
    review_view,
    revision_checks,
    usecases,
)
from workflow import recheck as rechecks
from workflow.capabilities import Capability
from workflow.confirming import Confirmation
from workflow.errors import ItemNotFound
from workflow.machine import Decision
from workflow.model import ContentItem
from workflow.recheck import Due
from workflow.states import WRITING_STATES, Event, State
from workflow.text import opening, visible_length

LIST_LIMIT = 15
#: The item's last trail entries 查看 shows (最近记录).
HISTORY_SHOWN = 5


def items(ctx: CommandContext, cmd: Command) -> Result:
    state = State(cmd.args["state"]) if cmd.args.get("state") else None
    with ctx.uow() as uow:
        found = list(uow.items.list(state, LIST_LIMIT))
    return say("items", items=found, state=state)


def show(ctx: CommandContext, cmd: Command) -> Result:
    item_id = int(cmd.args["item"])
    with ctx.uow() as uow:
        item = _item(uow.items.get(item_id), item_id)
        reviews = list(uow.reviews.for_item(item_id))
        history = uow.audit.history(item_id, last=HISTORY_SHOWN)
        author = uow.staff.actor(item.author_id)
        outlook = usecases.outlook(uow, item, reviews)
        checks = revision_checks.brief(uow.checks.of(item.id, item.revision))
        diff = review_view.since_review(uow, item.id, item.revision, reviews)
        reasons = review_view.reasons(uow, reviews, item.revision)
        numbers = analytics.numbers_for(uow.figures, item_id)
    today = ctx.local_now.date()
    return say("show", item=item, author=author.name if author else item.author_id,
               due=due_note(item, today), checks=checks, diff=diff, reasons=reasons,
               outlook=outlook, short=outlook.shortfall() if outlook else None,
               numbers=numbers, phone=ctx.capabilities.allows(Capability.PREVIEW),
               length=visible_length(item.body), opening=opening(item.body),
               first=sorted(policy.first_approvers(item, reviews)),
               final=sorted(policy.final_approvers(item, reviews)),
               history=history, next=policy.allowed_events(ctx.actor, item, reviews),
               edit=Event.EDIT,  # done on a computer: the template says how
               by_role=policy.next_by_role(item.state),
               local=lambda dt: format_when(dt.astimezone(ctx.tz), ctx.local_now))


def due_note(item: ContentItem, today: date) -> str:
    """``12月20日（周日）截稿``, and ``，已逾期 3 天`` once overdue, while the item
    is being written (templates/due.j2); "" otherwise."""
    if item.due_on is None or item.state not in WRITING_STATES:
        return ""
    return texts.phrase("due", "note", day=format_day(item.due_on, today),
                        late=agenda.overdue_days(item, today))


def _item(item: ContentItem | None, item_id: int) -> ContentItem:
    if item is None:
        raise ItemNotFound(item_id)
    return item


def transition(event: Event, comment_arg: str | None = None) -> Handler:
    """A command that fires one workflow event on the item in its first argument."""
    def handler(ctx: CommandContext, cmd: Command) -> Result:
        comment = str(cmd.args.get(comment_arg) or "") if comment_arg else ""
        decision = usecases.act(ctx.uow(), ctx.actor.id, int(cmd.args["item"]), event,
                                ctx.workflow(comment))
        return _moved(ctx, decision, event, comment)
    handler.__name__ = event.value
    return handler


def _moved(ctx: CommandContext, decision: Decision, event: Event, comment: str,
           still_online: str = "") -> Result:
    """The move, and who is missing when the team cannot give the approvals the
    item now needs: the person who acted learns it at once."""
    with ctx.uow() as uow:
        outlook = usecases.outlook(uow, decision.item, uow.reviews.for_item(decision.item.id))
    short = outlook.shortfall() if outlook is not None and outlook.missing else None
    return say("moved", item=decision.item, before=decision.before.state, event=event,
               comment=comment, short=short, by_hand=publishing.by_hand(ctx.capabilities),
               delete_by_hand=publishing.deleted_by_hand(decision.before.article_id,
                                                         ctx.capabilities),
               still_online=still_online)


def schedule(ctx: CommandContext, cmd: Command) -> Result:
    try:
        when = parse_when(str(cmd.args["when"]), ctx.local_now)
    except WhenPassed as passed:  # asked, never moved to a day the person did not write
        raise refused("when_passed", what=passed.what, candidate=passed.candidate,
                      clock=passed.clock, weekday=passed.weekday,
                      reply=f"{cmd.spec.words[0]} {cmd.args['item']} {passed.suggestion}") from None
    if is_past(when, ctx.local_now):  # the workflow refuses it too; this names the moment
        raise refused("when_past", when=format_moment(when))
    decision = usecases.act(ctx.uow(), ctx.actor.id, int(cmd.args["item"]), Event.SCHEDULE,
                            ctx.workflow(when=when))
    return say("scheduled", item=decision.item, when=format_when(when, ctx.local_now))


def ask_to_confirm(event: Event) -> Handler:
    """Publish, withdraw, cancel: check the move is allowed now, then ask for 确认 CODE."""
    def handler(ctx: CommandContext, cmd: Command) -> Result:
        return _ask(ctx, event, int(cmd.args["item"]))
    handler.__name__ = f"confirm_{event.value}"
    return handler


def _ask(ctx: CommandContext, event: Event, item_id: int, note: str = "") -> Result:
    item, asked = confirm_cases.ask_item(ctx.uow(), ctx.actor, event, item_id, ctx.workflow(),
                                         note)
    return say("confirm", item=item, event=event, code=asked.code)


def recheck(ctx: CommandContext, cmd: Command) -> Result:
    verdict, item_id = str(cmd.args["verdict"]), int(cmd.args["item"])
    note = str(cmd.args.get("note") or "")
    if verdict == "delete":  # the reason is kept with the confirmation, for the audit
        return _ask(ctx, Event.WITHDRAW, item_id, note)
    event = Event.RECHECK_OK if verdict == "ok" else Event.FLAG_OUTDATED
    decision = usecases.act(ctx.uow(), ctx.actor.id, item_id, event, ctx.workflow(note))
    return _moved(ctx, decision, event, note)


def rechecks_due(ctx: CommandContext, cmd: Command) -> Result:
    """复查 alone: every re-check due, most overdue first, with the signal that
    pulled it forward (workflow.recheck)."""
    today = ctx.local_now.date()
    total, first = rechecks.due_first(ctx.uow(), ctx.recheck_days, ctx.tz, today, LIST_LIMIT)
    return say("rechecks", due=Lines(first, today, total), limit=LIST_LIMIT)


def perform_item(ctx: CommandContext, asked: Confirmation) -> Result:
    """A confirmed item move: only if the item is still the version asked about."""
    event = Event(asked.action)
    with ctx.uow() as uow:
        item = _item(uow.items.get(asked.subject_id), asked.subject_id)
    if item.version != asked.subject_version:
        raise refused("item_changed", item=item)
    decision = usecases.act(ctx.uow(), ctx.actor.id, item.id, event,
                            replace(ctx.workflow(asked.note or ""),
                                    command=f"{asked.command}（{ctx.text}）"))
    return _moved(ctx, decision, event, "")


def record_published(ctx: CommandContext, cmd: Command) -> Result:
    """已发布 12 <链接>: an article an admin published by hand in the official
    backend, recorded with its link; the item is 已发布 as if the platform had
    published it (workflow.publishing)."""
    flow = replace(ctx.workflow(), extra={"url": str(cmd.args["link"])})
    decision = usecases.act(ctx.uow(), ctx.actor.id, int(cmd.args["item"]),
                            Event.RECORD_PUBLISHED, flow)
    # A revision published again by hand is a new article: WeChat leaves the one
    # it replaces online, and only the backend can take it down.
    before, now = decision.before.url, decision.item.url
    return _moved(ctx, decision, Event.RECORD_PUBLISHED, "",
                  still_online=before if before and before != now else "")


def preview(ctx: CommandContext, cmd: Command) -> Result:
    """The preview page's link, where the web pages have an address; and the WeChat
    preview to the requester's phone (through the outbox), where the account may
    send one. Refused, saying to set WXOPS_PUBLIC_URL, when neither can be had."""
    pages = ctx.pages
    asked = link_cases.preview(ctx.uow(), ctx.actor, int(cmd.args["item"]), ctx.workflow(),
                               openid=ctx.openid, lifetime=pages.lifetime if pages else None)
    link = asked.link
    return say("preview", item=asked.item, phone=asked.phone,
               no_phone=not ctx.capabilities.allows(Capability.PREVIEW),
               url=pages.url(link) if pages and link else None,
               expires=format_moment(link.expires_at.astimezone(ctx.tz)) if link else None)


class Lines(Sequence[dict[str, Any]]):
    """``Due.line`` of each of ``due``, made when read: a list shows its first
    few of what may be thousands, and says how many there are in all
    (``total``, when ``due`` is only the first few)."""

    def __init__(self, due: Sequence[Due], today: date, total: int | None = None) -> None:
        self.due, self.today = due, today
        self.total = len(due) if total is None else total

    def __len__(self) -> int:
        return self.total

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [d.line(self.today) for d in self.due[index]]
        return self.due[index].line(self.today)
