"""``wxops item``: plan, edit, list, show and trace content items."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TextIO
from zoneinfo import ZoneInfo

import click

from bot.articles import article_html
from bot.cli_text import CliBadParameter, CliError, echo, helptext
from bot.cli_types import MEMBER, ROW_ID
from bot.columns import pad
from bot.timefmt import local, utcnow
from bot.wiring import App
from handlers import texts
from handlers.commands.content import due_note
from handlers.commands.planning import NO_DUE
from handlers.when import WhenError, WhenPassed, parse_day
from workflow import analytics, review_view, revision_checks, staff_cases, usecases
from workflow.approvals import Outlook
from workflow.capabilities import Capability
from workflow.diffing import RevisionDiff
from workflow.errors import ItemNotFound
from workflow.model import Context, ItemChanges
from workflow.states import State
from workflow.text import opening, plain_text, visible_length

# A state by its value or its Chinese label (待排期), as the chat command 稿件 takes it.
STATES = {s.value: s for s in State} | {s.label: s for s in State}


@click.group()
def item() -> None:
    """稿件 (content items)."""


@item.command("plan")
@click.argument("title")
@click.option("--as", "as_", required=True, type=MEMBER, help=helptext("as_member"))
@click.option("--topic", default="", help=helptext("topic"))
@click.option("--due", default=None, help=helptext("due"))
@click.pass_obj
def item_plan(app: App, title: str, as_: str, topic: str, due: str | None) -> None:
    """新建选题 (plan a new item)."""
    actor_id = _staff_id(app, as_)
    due_on = _due_day(app, due, "--due") if due else None
    created = usecases.plan(app.uow(), actor_id, title,
                            Context(now=utcnow(), command="cli", due_on=due_on), topic=topic)
    echo("items", "planned", item_id=created.id, title=created.title, due_on=due_on)


@item.command("assign")
@click.argument("item_id", type=ROW_ID)
@click.argument("member", type=MEMBER)
@click.option("--as", "as_", required=True, type=MEMBER, help=helptext("as_admin"))
@click.pass_obj
def item_assign(app: App, item_id: int, member: str, as_: str) -> None:
    """把稿件交给一位成员撰写 (give an item to a writer; admins only)."""
    decision = usecases.assign(app.uow(), _staff_id(app, as_), item_id, member,
                               Context(now=utcnow(), command="cli"))
    it = decision.item
    with app.uow() as uow:
        writer = uow.staff.actor(it.author_id)
    echo("items", "assigned", item_id=it.id, title=it.title,
         writer=writer.name if writer else it.author_id)


@item.command("due")
@click.argument("item_id", type=ROW_ID)
@click.argument("day")
@click.option("--as", "as_", required=True, type=MEMBER, help=helptext("as_author"))
@click.pass_obj
def item_due(app: App, item_id: int, day: str, as_: str) -> None:
    """设定截稿日期；DAY 为「无」时取消 (set or clear when the draft is due)."""
    due_on = None if day.strip().lower() in NO_DUE else _due_day(app, day, "DAY")
    decision = usecases.set_due(app.uow(), _staff_id(app, as_), item_id, due_on,
                                Context(now=utcnow(), command="cli"))
    it = decision.item
    echo("items", "due_set", item_id=it.id, title=it.title, due_on=due_on)


def _due_day(app: App, text: str, hint: str) -> date:
    """A due day as the chat takes it; a day gone this year is refused, naming
    the one that may have been meant (the CLI cannot ask back)."""
    try:
        return parse_day(text, utcnow().astimezone(app.settings.tz))
    except WhenPassed as passed:
        raise CliBadParameter("day_passed", param_hint=hint, text=text,
                              suggestion=passed.suggestion) from None
    except WhenError as exc:
        raise CliBadParameter("day_unknown", param_hint=hint, detail=str(exc)) from None


@item.command("edit")
@click.argument("item_id", type=ROW_ID)
@click.option("--as", "as_", required=True, type=MEMBER, help=helptext("as_member"))
@click.option("--title", default=None, help=helptext("title"))
@click.option("--topic", default=None, help=helptext("topic"))
@click.option("--digest", default=None, help=helptext("digest"))
@click.option("--body-file", type=click.File("r", encoding="utf-8"), default=None,
              help=helptext("body_file"))
@click.pass_obj
def item_edit(app: App, item_id: int, as_: str, title: str | None, topic: str | None,
              digest: str | None, body_file: TextIO | None) -> None:
    """修改稿件内容：版本加一，之前的审核作废 (edit an item's content)."""
    body = _article_body(body_file) if body_file is not None else None
    changes = ItemChanges(title=title, topic=topic, digest=digest, body=body)
    decision = usecases.edit(app.uow(), _staff_id(app, as_), item_id, changes,
                             Context(now=utcnow(), command="cli"))
    it = decision.item
    echo("items", "edited", item_id=it.id, title=it.title, revision=it.revision,
         state=it.state)
    if it.state is State.IN_REVIEW:  # sent back to review: can the team review it?
        with app.uow() as uow:
            outlook = usecases.outlook(uow, it, uow.reviews.for_item(it.id))
        _echo_missing(outlook)


def _article_body(body_file: TextIO) -> str:
    try:
        return article_html(body_file.read())
    except UnicodeDecodeError:
        raise CliBadParameter("body_not_utf8", param_hint="--body-file") from None


@item.command("list")
@click.option("--state", type=click.Choice(list(STATES)), default=None,
              help=helptext("state"))
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.pass_obj
def item_list(app: App, state: str | None, limit: int) -> None:
    """列出稿件 (list items, newest first)."""
    with app.uow() as uow:
        items = uow.items.list(STATES[state] if state else None, limit)
    if not items:
        echo("items", "empty")
    for it in items:
        echo("items", "row", item=it, state=pad(it.state.label, 8))


@item.command("show")
@click.argument("item_id", type=ROW_ID)
@click.option("--full", is_flag=True, help=helptext("full"))
@click.pass_obj
def item_show(app: App, item_id: int, full: bool) -> None:
    """查看稿件详情和正文开头；--full 打印正文全文 (show one item)."""
    tz = app.settings.tz
    with app.uow() as uow:
        it = uow.items.get(item_id)
        if it is None:
            raise ItemNotFound(item_id)
        author = uow.staff.actor(it.author_id)
        reviews = list(uow.reviews.for_item(it.id))
        outlook = usecases.outlook(uow, it, reviews)
        checks = revision_checks.brief(uow.checks.of(it.id, it.revision))
        diff = review_view.since_review(uow, it.id, it.revision, reviews)
        reasons = review_view.reasons(uow, reviews, it.revision)
        numbers = analytics.numbers_for(uow.figures, it.id)
    echo("items", "shown", item=it, author=author.name if author else it.author_id,
         due=due_note(it, utcnow().astimezone(tz).date()),
         planned=_local(it.planned_at, tz), scheduled=_local(it.scheduled_at, tz),
         published=_local(it.published_at, tz),
         withdrawn=it.state is State.WITHDRAWN)  # a withdrawn article's link leads nowhere
    _echo_approvers(outlook)
    _echo_review(diff, checks, reasons)
    if numbers is not None:
        click.echo(texts.phrase("item_numbers", "lines", n=numbers))
    _echo_body(it.id, it.body, full, app.capabilities().allows(Capability.PREVIEW))


def _local(moment: datetime | None, tz: ZoneInfo) -> str | None:
    return local(moment, tz) if moment else None


def _echo_approvers(outlook: Outlook | None) -> None:
    """Who may give the next approval, and who the team is missing (as 查看 says)."""
    if outlook is None:
        return
    if outlook.approvers:
        click.echo(texts.phrase("approvers", "waiting", stage=outlook.stage,
                                names=[p.name for p in outlook.approvers]))
    _echo_missing(outlook)


def _echo_review(diff: RevisionDiff | None, checks: revision_checks.Brief | None,
                 reasons: Sequence[review_view.Reason]) -> None:
    """As 查看 shows them: what changed since the revision last reviewed, the
    check's findings, and the reasons (with their passages) the last review gave."""
    if diff is not None:
        click.echo(texts.phrase("diff", "line", d=diff.summary()))
    if checks is not None:
        click.echo(texts.phrase("checks_brief", "brief", b=checks))
    if reasons:
        click.echo(texts.phrase("diff", "reasons", rs=reasons))


def _echo_missing(outlook: Outlook | None) -> None:
    if outlook is not None and outlook.missing:
        echo("items", "team_missing",
             missing=texts.phrase("approvers", "missing", short=outlook.shortfall()))


def _echo_body(item_id: int, body: str, full: bool, phone: bool) -> None:
    """What a reviewer needs to read the item: its length, then its opening or all of it."""
    length = visible_length(body)
    echo("items", "body_length", item_id=item_id, length=length)
    if not length:
        return
    if full:
        click.echo(plain_text(body))
        return
    echo("items", "opening", item_id=item_id, opening=opening(body), phone=phone)


@item.command("history")
@click.argument("item_id", type=ROW_ID)
@click.pass_obj
def item_history(app: App, item_id: int) -> None:
    """稿件的操作记录 (audit trail of one item)."""
    with app.uow() as uow:
        if uow.items.get(item_id) is None:
            raise ItemNotFound(item_id)
        entries = uow.audit.history(item_id)
    for e in entries:
        echo("items", "history", entry=e, at=local(e.at, app.settings.tz))


def _staff_id(app: App, ref: str) -> int:
    member = staff_cases.find(app.uow(), ref)
    if member is None:
        raise CliError("member_not_found", member=ref)
    return member.id


def register(cli: click.Group) -> None:
    """``item`` joins the CLI (other modules add subcommands to it); safe to call again."""
    if "item" not in cli.commands:
        cli.add_command(item)
