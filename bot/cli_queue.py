"""``wxops queue``: the follower reply queue. ``wxops texts``: the editable replies."""

from __future__ import annotations

import click

from bot.cli_text import CliError, CliUsageError, echo, helptext, say
from bot.cli_types import MEMBER, TICKET
from bot.columns import pad
from bot.timefmt import local, utcnow
from bot.wiring import App, account_texts, database, joined_uow
from handlers import texts
from handlers.commands import dispatch
from handlers.commands.context import CommandContext
from workflow import staff_cases, ticket_cases
from workflow.errors import TicketNotFound
from workflow.reply_queue import TicketStatus
from workflow.roles import Actor

STATUS_LABELS: dict[str, str] = {  # names of the states: vocabulary
    TicketStatus.OPEN: "待回复", TicketStatus.PENDING: "待对方回复",
    TicketStatus.SNOOZED: "已暂缓", TicketStatus.RESOLVED: "已解决",
}


@click.group()
def queue() -> None:
    """留言队列 (the follower reply queue)."""


@queue.command("list")
@click.option("--all", "include_resolved", is_flag=True,
              help=helptext("queue_all"))
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.pass_obj
def queue_list(app: App, include_resolved: bool, limit: int) -> None:
    """列出工单：优先级高的在前，其次等待最久的在前 (oldest waiting first).

    The same query as the chat's 队列: a snoozed ticket is left out until its
    snooze runs out (or the follower writes), unless --all."""
    now = utcnow()
    page = ticket_cases.queue(app.uow(), now, limit, include_resolved)
    if not page.tickets:
        echo("queue", "empty")
    for r in page.tickets:
        status = r.current_status(now)
        since = local(r.waiting_since, app.settings.tz)  # "-": waiting on the follower
        echo("queue", "row", ticket=r, since=pad(since, len("2026-01-01 00:00")),
             status=pad(STATUS_LABELS.get(status, status), 10),
             holder=pad(r.assignee or say("queue", "unclaimed"), 10))
    if page.snoozed and not include_resolved:
        echo("queue", "snoozed", count=page.snoozed)


@queue.command("show")
@click.argument("ticket_id", metavar="TICKET", type=TICKET)
@click.pass_obj
def queue_show(app: App, ticket_id: int) -> None:
    """查看一个工单的全部消息和备注，例如 T5 或 5 (one ticket's history)."""
    found = ticket_cases.history(app.uow(), ticket_id)
    tz, r = app.settings.tz, found.ticket
    echo("queue", "ticket", ticket=r, status=STATUS_LABELS.get(r.status, r.status))
    lines = [(m.at, say("queue", "message", message=m)) for m in found.messages]
    lines += [(n.at, say("queue", "note", note=n)) for n in found.notes]
    for at, line in sorted(lines, key=lambda entry: entry[0]):  # one history, in time order
        echo("queue", "history", at=local(at, tz), line=line)


@queue.command("reply")
@click.argument("ticket_id", metavar="TICKET", type=TICKET)
@click.argument("text")
@click.option("--as", "as_", required=True, type=MEMBER, help=helptext("reply_as"))
@click.pass_obj
def queue_reply(app: App, ticket_id: int, text: str, as_: str) -> None:
    """回复粉丝：作为客服消息发出（#代码 换成快捷回复），窗口已过则告知原因.

    The chat command 回 does the work, so both check the same things (the
    ticket still open, the customer-service window, the length) and audit alike.
    """
    if not text.strip():
        raise CliUsageError("reply_empty")
    now, capabilities = utcnow(), app.capabilities()  # read before the write lock
    with database.write_lock(app.engine), app.engine.begin() as conn:
        member = staff_cases.find(joined_uow(conn), as_)
        with joined_uow(conn) as uow:
            # Checked here, not left to 回: its grammar takes up to nine digits and
            # would answer a longer id with the chat's usage (回 T5 内容).
            known = uow.queue.line(ticket_id) is not None
        if member is None:
            raise CliError("member_not_found", member=as_)
        if not known:
            raise TicketNotFound(ticket_id)
        actor = Actor(member.id, member.name, member.roles)
        ctx = CommandContext(now, app.settings.tz, actor, member.openid or "",
                             f"回 T{ticket_id} {text}",
                             uow=lambda: joined_uow(conn, clock=lambda: now),
                             capabilities=capabilities)
        click.echo(dispatch.perform(ctx, trusted=True))


@click.group("texts")
def texts_group() -> None:
    """可编辑的回复文字：欢迎语、留言确认 (editable reply texts)."""


@texts_group.command("list")
@click.pass_obj
def texts_list(app: App) -> None:
    """列出可编辑的文字及其当前内容."""
    with app.uow() as uow:
        for key, editable in texts.EDITABLE.items():
            custom = account_texts(uow.session).custom(key)
            body = custom.body if custom else texts.shipped_source(key)
            echo("queue", "text", key=key, editable=editable, custom=bool(custom), body=body)
            click.echo()


@texts_group.command("set")
@click.argument("key", metavar="KEY", type=click.Choice(sorted(texts.EDITABLE)))
@click.argument("body")
@click.pass_obj
def texts_set(app: App, key: str, body: str) -> None:
    """替换一段文字（可用 Jinja2 变量，如 {{ ticket_id }}）."""
    try:
        example = texts.check_template(key, body)
    except ValueError as exc:
        raise CliError("text_refused", detail=str(exc)) from None
    with app.uow() as uow:
        account_texts(uow.session).save(key, body.strip(), utcnow())
        uow.commit()
    echo("queue", "text_set", key=key, example=example)


@texts_group.command("reset")
@click.argument("key", metavar="KEY", type=click.Choice(sorted(texts.EDITABLE)))
@click.pass_obj
def texts_reset(app: App, key: str) -> None:
    """恢复默认文字."""
    with app.uow() as uow:
        account_texts(uow.session).reset(key)
        uow.commit()
    echo("queue", "text_reset", key=key)


def register(cli: click.Group) -> None:
    for group in (queue, texts_group):
        if group.name not in cli.commands:
            cli.add_command(group)



