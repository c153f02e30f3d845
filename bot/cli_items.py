"""``wxops item``: plan, edit, list, show and trace content items."""

from __future__ import annotations

from datetime import date
from typing import TextIO

import click

from bot.articles import article_html
from bot.cli_types import MEMBER, ROW_ID
from bot.columns import pad
from bot.timefmt import local, utcnow
from bot.wiring import App
from handlers import texts
from handlers.commands.content import due_note
from handlers.commands.planning import NO_DUE
from handlers.when import WhenError, WhenPassed, format_date, parse_day
from workflow import staff_cases, usecases
from workflow.approvals import Outlook
from workflow.errors import InvalidInput, ItemNotFound
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
@click.option("--as", "as_", required=True, type=MEMBER,
              help="以哪位成员的身份（编号、名字或 openid）")
@click.option("--topic", default="", help="选题说明")
@click.option("--due", default=None, help="截稿日期：2026-12-20、12月20日、下周五")
@click.pass_obj
def item_plan(app: App, title: str, as_: str, topic: str, due: str | None) -> None:
    """新建选题 (plan a new item)."""
    actor_id = _staff_id(app, as_)
    due_on = _due_day(app, due, "--due") if due else None
    created = usecases.plan(app.uow(), actor_id, title,
                            Context(now=utcnow(), command="cli", due_on=due_on), topic=topic)
    click.echo(f"已创建选题 {created.id}：{created.title}"
               + (f"，{format_date(due_on)}截稿" if due_on else ""))


@item.command("assign")
@click.argument("item_id", type=ROW_ID)
@click.argument("member", type=MEMBER)
@click.option("--as", "as_", required=True, type=MEMBER, help="以哪位管理员的身份")
@click.pass_obj
def item_assign(app: App, item_id: int, member: str, as_: str) -> None:
    """把稿件交给一位成员撰写 (give an item to a writer; admins only)."""
    decision = usecases.assign(app.uow(), _staff_id(app, as_), item_id, member,
                               Context(now=utcnow(), command="cli"))
    it = decision.item
    with app.uow() as uow:
        writer = uow.staff.actor(it.author_id)
    click.echo(f"稿件 {it.id}《{it.title}》已交给 {writer.name if writer else it.author_id} 撰写")


@item.command("due")
@click.argument("item_id", type=ROW_ID)
@click.argument("day")
@click.option("--as", "as_", required=True, type=MEMBER, help="以哪位成员的身份（作者或管理员）")
@click.pass_obj
def item_due(app: App, item_id: int, day: str, as_: str) -> None:
    """设定截稿日期；DAY 为「无」时取消 (set or clear when the draft is due)."""
    due_on = None if day.strip().lower() in NO_DUE else _due_day(app, day, "DAY")
    decision = usecases.set_due(app.uow(), _staff_id(app, as_), item_id, due_on,
                                Context(now=utcnow(), command="cli"))
    it = decision.item
    click.echo(f"稿件 {it.id}《{it.title}》"
               + (f"{format_date(due_on)}截稿" if due_on else "不再限定截稿日期"))


def _due_day(app: App, text: str, hint: str) -> date:
    """A due day as the chat takes it; a day gone this year is refused, naming
    the one that may have been meant (the CLI cannot ask back)."""
    try:
        return parse_day(text, utcnow().astimezone(app.settings.tz))
    except WhenPassed as passed:
        raise click.BadParameter(f"{text} 已经过去了。如果是指 {passed.suggestion}，"
                                 f"请写 {passed.suggestion}", param_hint=hint) from None
    except WhenError as exc:
        raise click.BadParameter(str(exc), param_hint=hint) from None


@item.command("edit")
@click.argument("item_id", type=ROW_ID)
@click.option("--as", "as_", required=True, type=MEMBER,
              help="以哪位成员的身份（编号、名字或 openid）")
@click.option("--title", default=None, help="新标题")
@click.option("--topic", default=None, help="选题说明")
@click.option("--digest", default=None, help="摘要（不超过 128 字）")
@click.option("--body-file", type=click.File("r", encoding="utf-8"), default=None,
              help="正文文件：HTML，或纯文本（空行分段）；- 表示标准输入")
@click.pass_obj
def item_edit(app: App, item_id: int, as_: str, title: str | None, topic: str | None,
              digest: str | None, body_file: TextIO | None) -> None:
    """修改稿件内容：版本加一，之前的审核作废 (edit an item's content)."""
    body = _article_body(body_file) if body_file is not None else None
    changes = ItemChanges(title=title, topic=topic, digest=digest, body=body)
    decision = usecases.edit(app.uow(), _staff_id(app, as_), item_id, changes,
                             Context(now=utcnow(), command="cli"))
    it = decision.item
    click.echo(f"已修改稿件 {it.id}《{it.title}》：版本 r{it.revision}，状态 {it.state.label}")
    if it.state is State.IN_REVIEW:  # sent back to review: can the team review it?
        with app.uow() as uow:
            outlook = usecases.outlook(uow, it, uow.reviews.for_item(it.id))
        _echo_missing(outlook)


def _article_body(body_file: TextIO) -> str:
    try:
        return article_html(body_file.read())
    except UnicodeDecodeError:
        raise click.BadParameter("正文文件不是 UTF-8 编码的文本，请另存为 UTF-8 再试",
                                 param_hint="--body-file") from None


@item.command("list")
@click.option("--state", type=click.Choice(list(STATES)), default=None,
              help="只看某个状态（英文或中文：published 或 已发布）")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.pass_obj
def item_list(app: App, state: str | None, limit: int) -> None:
    """列出稿件 (list items, newest first)."""
    with app.uow() as uow:
        items = uow.items.list(STATES[state] if state else None, limit)
    if not items:
        click.echo("没有稿件")
    for it in items:
        flag = " [敏感]" if it.sensitive else ""
        click.echo(f"{it.id:>5}  {pad(it.state.label, 8)} r{it.revision}  {it.title}{flag}")


@item.command("show")
@click.argument("item_id", type=ROW_ID)
@click.option("--full", is_flag=True, help="打印正文全文（纯文本）")
@click.pass_obj
def item_show(app: App, item_id: int, full: bool) -> None:
    """查看稿件详情和正文开头；--full 打印正文全文 (show one item)."""
    tz = app.settings.tz
    with app.uow() as uow:
        it = uow.items.get(item_id)
        if it is None:
            raise ItemNotFound(item_id)
        author = uow.staff.actor(it.author_id)
        outlook = usecases.outlook(uow, it, uow.reviews.for_item(it.id))
    click.echo(f"稿件 {it.id}：{it.title}")
    click.echo(f"状态：{it.state.label}（{it.state.value}）  版本 r{it.revision}  "
               f"{'敏感稿件，需两位终审' if it.sensitive else ''}")
    click.echo(f"作者：{author.name if author else it.author_id}")
    if due := due_note(it, utcnow().astimezone(tz).date()):
        click.echo(f"截稿：{due}")
    for label, moment in (("选题于", it.planned_at), ("排期", it.scheduled_at),
                          ("发布于", it.published_at)):
        if moment:
            click.echo(f"{label}：{local(moment, tz)}")
    if it.url:  # a withdrawn article's link no longer leads to it
        gone = it.state is State.WITHDRAWN
        click.echo(f"{'已删除的文章（链接已失效）' if gone else '链接'}：{it.url}")
    _echo_approvers(outlook)
    _echo_body(it.id, it.body, full)


def _echo_approvers(outlook: Outlook | None) -> None:
    """Who may give the next approval, and who the team is missing (as 查看 says)."""
    if outlook is None:
        return
    if outlook.approvers:
        click.echo(texts.phrase("approvers", "waiting", stage=outlook.stage,
                                names=[p.name for p in outlook.approvers]))
    _echo_missing(outlook)


def _echo_missing(outlook: Outlook | None) -> None:
    if outlook is not None and outlook.missing:
        click.echo(f"注意：{texts.phrase('approvers', 'missing', short=outlook.shortfall())}。")


def _echo_body(item_id: int, body: str, full: bool) -> None:
    """What a reviewer needs to read the item: its length, then its opening or all of it."""
    length = visible_length(body)
    if not length:
        click.echo(f"正文：还没有正文，不能提交审核。写入正文："
                   f"wxops item edit {item_id} --as 作者 --body-file 正文文件")
        return
    click.echo(f"正文：{length} 字")
    if full:
        click.echo(plain_text(body))
        return
    click.echo(f"开头：{opening(body)}")
    click.echo(f"看全文：wxops item show {item_id} --full，"
               f"或在微信里发送「预览 {item_id}」把预览发到手机")


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
        note = f"：{e.comment}" if e.comment else ""
        click.echo(f"{local(e.at, app.settings.tz)}  {e.actor_name}  {e.event.label}  "
                   f"{e.from_state.label}→{e.to_state.label}  r{e.revision}{note}")


def _staff_id(app: App, ref: str) -> int:
    member = staff_cases.find(app.uow(), ref)
    if member is None:
        raise InvalidInput(f"找不到成员 {ref}")
    return member.id
