"""``wxops words``: the organisation's sensitive-word list, which the checks on
every new revision read (workflow/revision_checks.py)."""

from __future__ import annotations

from typing import TextIO

import click

from bot.cli_text import CliError, echo, helptext
from bot.timefmt import utcnow
from bot.wiring import App
from workflow import word_cases


@click.group()
def words() -> None:
    """敏感词表 (the sensitive-word list)."""


@words.command("add")
@click.argument("word")
@click.option("--category", required=True, help=helptext("word_category"))
@click.option("--pattern", is_flag=True, help=helptext("word_pattern"))
@click.pass_obj
def words_add(app: App, word: str, category: str, pattern: bool) -> None:
    """添加一个敏感词或规则 (add a word, or a regex with --pattern)."""
    new = word_cases.entry(word, category, pattern)
    added = word_cases.add(app.uow(), new, utcnow())
    echo("words", "added" if added else "present", entry=new)


@words.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--category", default="", help=helptext("word_default_category"))
@click.pass_obj
def words_import(app: App, file: TextIO, category: str) -> None:
    """从文件导入，一行一个（类别<TAB>词，或用 --category 给出类别）(import a file)."""
    try:
        lines = file.read().splitlines()
    except UnicodeDecodeError:
        raise CliError("words_not_utf8") from None
    done = word_cases.import_lines(app.uow(), lines, category, utcnow())
    echo("words", "imported", done=done)


@words.command("list")
@click.pass_obj
def words_list(app: App) -> None:
    """列出敏感词表 (list the words and patterns)."""
    entries = word_cases.listed(app.uow())
    if not entries:
        echo("words", "empty")
    for found in entries:
        echo("words", "row", entry=found)


@words.command("remove")
@click.argument("word")
@click.pass_obj
def words_remove(app: App, word: str) -> None:
    """删除一个敏感词或规则 (remove a word or pattern)."""
    if not word_cases.remove(app.uow(), word):
        raise CliError("word_unknown", word=word)
    echo("words", "removed", word=word)


def register(cli: click.Group) -> None:
    """Add ``words`` to the CLI; safe to call more than once."""
    if "words" not in cli.commands:
        cli.add_command(words)
