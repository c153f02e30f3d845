"""``wxops rules``: keyword and menu-click auto-replies."""

from __future__ import annotations

from datetime import datetime, time

import click

from bot.cli_types import ROW_ID
from bot.timefmt import utcnow
from bot.wiring import App
from workflow import rule_cases
from workflow.autoreply import (
    Article,
    MatchType,
    NewRule,
    ReplyKind,
    Rule,
    parse_article,
    parse_clock,
    parse_hours,
)
from workflow.errors import InvalidInput
from workflow.model import Context
from workflow.roles import CONSOLE_ACTOR

ARTICLE_HELP = "图文：标题|描述|https://链接[|https://图片]，可重复（最多 8 篇）"


@click.group()
def rules() -> None:
    """自动回复规则 (keyword and menu auto-replies)."""


@rules.command("add")
@click.option("--exact", default=None, metavar="KEYWORD", help="消息与关键词完全相同时回复")
@click.option("--contains", default=None, metavar="KEYWORD", help="消息包含关键词时回复")
@click.option("--regex", "regex_", default=None, metavar="PATTERN", help="消息匹配正则表达式时回复")
@click.option("--click", "click_key", default=None, metavar="KEY",
              help="点击菜单（CLICK 的 EventKey）时回复")
@click.option("--reply", default=None, metavar="TEXT", help="文字回复内容")
@click.option("--article", "articles", multiple=True, metavar="ARTICLE", help=ARTICLE_HELP)
@click.option("--priority", default=0, show_default=True, type=int, help="数字大的先匹配")
@click.option("--hours", default=None, metavar="HH:MM-HH:MM",
              help="生效时段，例如 09:00-18:00 或 22:00-06:00")
@click.option("--inactive", is_flag=True, help="先不启用")
@click.pass_obj
def rules_add(app: App, exact: str | None, contains: str | None, regex_: str | None,
              click_key: str | None, reply: str | None, articles: tuple[str, ...],
              priority: int, hours: str | None, inactive: bool) -> None:
    """添加规则 (add a rule)."""
    match_type, pattern = _one_pattern(exact=exact, contains=contains, regex=regex_,
                                       click=click_key)
    parsed = _reply(reply, articles)
    start, end = parse_hours(hours) if hours else (None, None)
    new = NewRule(match_type, pattern, reply_text=reply or "", articles=parsed,
                  priority=priority, active=not inactive, active_from=start, active_until=end)
    rule, _ = rule_cases.add(app.uow(), CONSOLE_ACTOR, new, _context(), _local_now(app))
    click.echo(f"已添加规则 {rule.id}：{_describe(rule)}")


@rules.command("list")
@click.option("--active", "active_only", is_flag=True, help="只看启用的规则")
@click.pass_obj
def rules_list(app: App, active_only: bool) -> None:
    """按匹配顺序列出规则 (list rules in the order they are tried)."""
    found = rule_cases.listed(app.uow(), include_inactive=not active_only)
    if not found:
        click.echo("还没有自动回复规则。用 `wxops rules add --contains 关键词 --reply 内容` 添加。")
    for rule in found:
        state = "" if rule.active else "  [已停用]"
        click.echo(f"{rule.id:>4}  {_describe(rule)}  → {_reply_summary(rule)}  "
                   f"命中 {rule.hits} 次{state}")


@rules.command("remove")
@click.argument("rule_id", type=ROW_ID)
@click.pass_obj
def rules_remove(app: App, rule_id: int) -> None:
    """删除规则 (delete a rule)."""
    rule = rule_cases.remove(app.uow(), CONSOLE_ACTOR, rule_id, _context())
    click.echo(f"已删除规则 {rule.id}：{_describe(rule)}")


@rules.command("enable")
@click.argument("rule_id", type=ROW_ID)
@click.pass_obj
def rules_enable(app: App, rule_id: int) -> None:
    """启用规则 (activate a rule)."""
    _set_active(app, rule_id, True)


@rules.command("disable")
@click.argument("rule_id", type=ROW_ID)
@click.pass_obj
def rules_disable(app: App, rule_id: int) -> None:
    """停用规则，保留记录 (deactivate a rule, keep it)."""
    _set_active(app, rule_id, False)


@rules.command("test")
@click.argument("text", required=False)
@click.option("--click", "click_key", default=None, metavar="KEY", help="测试菜单点击的 EventKey")
@click.option("--at", "at", default=None, metavar="HH:MM",
              help="按一天中的某个时间测试，例如 23:30")
@click.pass_obj
def rules_test(app: App, text: str | None, click_key: str | None, at: str | None) -> None:
    """看一条消息会由哪条规则回复（不计入命中次数）(which rule would answer)."""
    if (text is None) == (click_key is None):
        raise InvalidInput("请给出要测试的消息文字，或用 --click 给出菜单 key（二选一）")
    when = parse_clock(at) if at else _local_now(app)
    rule = rule_cases.test(app.uow(), when, text=text, click_key=click_key)
    if rule is None:
        click.echo(f"{when:%H:%M} 没有规则匹配：这条消息会进入人工回复队列")
        return
    click.echo(f"{when:%H:%M} 命中规则 {rule.id}：{_describe(rule)}")
    for line in _reply_lines(rule):
        click.echo(line)


def register(cli: click.Group) -> None:
    """Add ``rules`` to the CLI; safe to call more than once."""
    if "rules" not in cli.commands:
        cli.add_command(rules)


def _one_pattern(**given: str | None) -> tuple[MatchType, str]:
    chosen = [(MatchType(name), value) for name, value in given.items() if value is not None]
    if len(chosen) != 1:
        raise InvalidInput("请在 --exact、--contains、--regex、--click 中恰好选一个")
    return chosen[0]


def _reply(reply: str | None, articles: tuple[str, ...]) -> tuple[Article, ...]:
    if (reply is None) == (not articles):
        raise InvalidInput("请用 --reply 给出文字回复，或用 --article 给出图文（二选一）")
    return tuple(parse_article(a) for a in articles)


def _set_active(app: App, rule_id: int, active: bool) -> None:
    rule = rule_cases.set_active(app.uow(), CONSOLE_ACTOR, rule_id, active, _context())
    click.echo(f"已{'启用' if active else '停用'}规则 {rule.id}：{_describe(rule)}")


def _context() -> Context:
    return Context(now=utcnow(), command="cli")


def _local_now(app: App) -> time:
    now: datetime = utcnow().astimezone(app.settings.tz)
    return now.time().replace(second=0, microsecond=0)


def _describe(rule: Rule) -> str:
    text = f"{rule.match_type.label}「{rule.pattern}」 优先级 {rule.priority}"
    if rule.active_from is not None and rule.active_until is not None:
        text += f" 时段 {rule.active_from:%H:%M}-{rule.active_until:%H:%M}"
    return text


def _reply_summary(rule: Rule) -> str:
    if rule.reply_kind is ReplyKind.NEWS:
        return f"图文 {len(rule.articles)} 篇：{rule.articles[0].title}"
    first = rule.reply_text.splitlines()[0] if rule.reply_text else ""
    return first if len(first) <= 30 else first[:30] + "…"


def _reply_lines(rule: Rule) -> list[str]:
    if rule.reply_kind is ReplyKind.TEXT:
        return ["回复：", rule.reply_text]
    lines = [f"回复图文 {len(rule.articles)} 篇："]
    for number, a in enumerate(rule.articles, start=1):
        lines.append(f"  {number}. {a.title}  {a.url}")
        if a.description:
            lines.append(f"     {a.description}")
    return lines
