"""The CLI's words by code: every code bot/ raises or says is a macro of the
catalogue (a missing one would fail only when that command ran), and a failure
is worded once, from its code and data."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.cli import failure
from bot.cli_text import CliError, CliUsageError, say
from bot.cli_types import ROW_ID, TICKET
from bot.startup import SchemaState
from handlers import texts
from workflow.states import State

BOT = Path(__file__).resolve().parents[2] / "bot"
RAISED = re.compile(r"\b(?:CliError|CliUsageError|CliBadParameter|ChatError|BackupError|CopyError)"
                    r"\(\s*\"(\w+)\"")
SAID = re.compile(r"\b(?:say|echo)\(\s*\"(\w+)\",\s*\"(\w+)\"")
HELP = re.compile(r"\bhelptext\(\s*\"(\w+)\"\)")


#: storage modules whose refusals `wxops` words (``BackupError``, ``CopyError``: bot/cli_backup.py).
STORAGE_WORDED = ("backup.py", "backup_copies.py", "db_copy.py")


def sources() -> str:
    paths = [*sorted(BOT.rglob("*.py")), *(BOT.parent / "storage" / n for n in STORAGE_WORDED)]
    return "\n".join(path.read_text(encoding="utf-8") for path in paths)


def test_every_failure_code_raised_in_bot_is_worded() -> None:
    raised = set(RAISED.findall(sources())) | {ROW_ID.code, TICKET.code}
    assert {"member_not_found", "not_a_member", "unreachable"} <= raised  # the scan sees them
    assert raised - texts.macros("cli/errors") == set()


def test_no_failure_macro_is_left_unused() -> None:
    """A macro of cli/errors.j2 no code names is dead text: it goes with the raise."""
    source = sources()
    named = set(RAISED.findall(source)) | {ROW_ID.code, TICKET.code}
    named |= {key for catalogue, key in SAID.findall(source) if catalogue == "errors"}
    named |= set(re.findall(r'return "(database\w*)"', source))  # bot.cli._database_error
    named |= {SchemaState(status, None, None).code
              for status in ("not_migrated", "outdated", "unrecognised")}
    assert texts.macros("cli/errors") - named == set()


def test_every_text_said_and_every_help_is_in_the_catalogue() -> None:
    said = set(SAID.findall(sources()))
    assert ("items", "planned") in said  # the scan sees them
    assert {(c, k) for c, k in said if k not in texts.macros(f"cli/{c}")} == set()
    assert set(HELP.findall(sources())) - texts.macros("cli/help") == set()


def test_a_failure_is_its_code_and_data_worded_once() -> None:
    failed = failure(CliError("outbox_not_found", row_id=7))
    assert failed is not None
    assert (failed.code, dict(failed.data), failed.status) == ("outbox_not_found", {"row_id": 7}, 1)
    assert failed.line == "找不到消息 7"
    usage = failure(CliUsageError("reply_empty"))
    assert usage is not None and (usage.code, usage.status, usage.line) == (
        "reply_empty", 2, "回复内容是空的")


@pytest.mark.parametrize(("key", "data", "words"), [
    ("moved", {"before": "base", "after": "0011"}, "数据库已从版本 base 迁移到 0011"),
    ("moved", {"before": "0011", "after": "0011"}, "数据库已是版本 0011，没有需要执行的迁移"),
    ("current", {"current": None, "head": "0011"}, "当前 (空库)，最新 0011"),
])
def test_the_migration_commands_words(key: str, data: dict[str, object], words: str) -> None:
    assert say("db", key, **data) == words


def test_an_import_without_a_cover_says_where_its_cover_will_come_from() -> None:
    """The draft box gives an article that names no cover the account's default
    one; an account without the draft box sets it in WeChat's own backend, so
    the import must not promise the default (rendered: the words are the point)."""
    item = SimpleNamespace(id=3, title="义诊回顾", revision=1, state=State.DRAFTING,
                           sensitive=False)
    images = SimpleNamespace(uploaded=0, reused=0, kept=[], unreadable=[])
    cover = SimpleNamespace(outcome="none", file="")
    said = {drafts: say("items", "imported", item=item, images=images, cover=cover,
                        drafts=drafts).splitlines() for drafts in (True, False)}
    covers = {drafts: next(line for line in lines if line.startswith("封面："))
              for drafts, lines in said.items()}
    assert covers == {True: "封面：文章没有指定，推送草稿时用公众号的默认封面",
                      False: "封面：文章没有指定，在微信后台发表时设置"}
