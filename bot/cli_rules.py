"""``wxops rules``: keyword and menu-click auto-replies."""

from __future__ import annotations

from datetime import datetime, time

import click

from bot.cli_text import CliUsageError, echo, helptext, say
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
from workflow.model import Context
from workflow.roles import CONSOLE_ACTOR


@click.group()
def rules() -> None:
    """自动回复规则 (keyword and menu auto-replies)."""


@rules.command("add")
@click.option("--exact", default=None, metavar="KEYWORD", help=helptext("exact"))
@click.option("--contains", default=None, metavar="KEYWORD", help=helptext("contains"))
@click.option("--regex", "regex_", default=None, metavar="PATTERN", help=helptext("regex"))
@click.option("--click", "click_key", default=None, metavar="KEY", help=helptext("click"))
@click.option("--reply", default=None, metavar="TEXT", help=helptext("reply"))
@click.option("--article", "articles", multiple=True, metavar="ARTICLE",
              help=helptext("article"))
@click.option("--priority", default=0, show_default=True, type=int, help=helptext("priority"))
@click.option("--hours", default=None, metavar="HH:MM-HH:MM", help=helptext("hours"))
@click.option("--inactive", is_flag=True, help=helptext("inactive"))
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
    echo("rules", "added", rule=rule)
    capabilities = app.capabilities()
    if rule_cases.unclickable(match_type, capabilities):
        echo("rules", "no_menu", kind=capabilities.kind.name)


@rules.command("list")
@click.option("--active", "active_only", is_flag=True, help=helptext("active_only"))
@click.pass_obj
def rules_list(app: App, active_only: bool) -> None:
    """按匹配顺序列出规则 (list rules in the order they are tried)."""
    found = rule_cases.listed(app.uow(), include_inactive=not active_only)
    if not found:
        echo("rules", "empty")
    for rule in found:
        echo("rules", "row", rule=rule, summary=_reply_summary(rule))


@rules.command("remove")
@click.argument("rule_id", type=ROW_ID)
@click.pass_obj
def rules_remove(app: App, rule_id: int) -> None:
    """删除规则 (delete a rule)."""
    rule = rule_cases.remove(app.uow(), CONSOLE_ACTOR, rule_id, _context())
    echo("rules", "removed", rule=rule)


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
@click.option("--click", "click_key", default=None, metavar="KEY", help=helptext("test_click"))
@click.option("--at", "at", default=None, metavar="HH:MM", help=helptext("at"))
@click.pass_obj
def rules_test(app: App, text: str | None, click_key: str | None, at: str | None) -> None:
    """看一条消息会由哪条规则回复（不计入命中次数）(which rule would answer)."""
    if (text is None) == (click_key is None):
        raise CliUsageError("test_text_or_click")
    when = parse_clock(at) if at else _local_now(app)
    rule = rule_cases.test(app.uow(), when, text=text, click_key=click_key)
    echo("rules", "tested", when=when, rule=rule)
    if rule is not None:
        echo("rules", "reply", rule=rule, news=rule.reply_kind is ReplyKind.NEWS)


def register(cli: click.Group) -> None:
    """Add ``rules`` to the CLI; safe to call more than once."""
    if "rules" not in cli.commands:
        cli.add_command(rules)


def _one_pattern(**given: str | None) -> tuple[MatchType, str]:
    chosen = [(MatchType(name), value) for name, value in given.items() if value is not None]
    if len(chosen) != 1:
        raise CliUsageError("one_pattern")
    return chosen[0]


def _reply(reply: str | None, articles: tuple[str, ...]) -> tuple[Article, ...]:
    if (reply is None) == (not articles):
        raise CliUsageError("reply_or_articles")
    return tuple(parse_article(a) for a in articles)


def _set_active(app: App, rule_id: int, active: bool) -> None:
    rule = rule_cases.set_active(app.uow(), CONSOLE_ACTOR, rule_id, active, _context())
    echo("rules", "activated" if active else "deactivated", rule=rule)


def _context() -> Context:
    return Context(now=utcnow(), command="cli")


def _local_now(app: App) -> time:
    now: datetime = utcnow().astimezone(app.settings.tz)
    return now.time().replace(second=0, microsecond=0)


def _reply_summary(rule: Rule) -> str:
    if rule.reply_kind is ReplyKind.NEWS:
        return say("rules", "news_summary", articles=rule.articles)
    first = rule.reply_text.splitlines()[0] if rule.reply_text else ""
    return first if len(first) <= 30 else first[:30] + "…"
