"""Text by code: every sentence people read (chat replies, refusals, hints,
notices, CLI messages) lives in the template catalogue (handlers/templates/),
found by a code; Python holds none.

What Python may hold is vocabulary: the words people type and the names things
are shown by (command words and their choices, time words and the pieces a
date is written with, names of states, events, roles and statuses, the default
complaint words). VOCABULARY lists the modules that hold some, with how many
string literals with Chinese in them (docstrings and comments not counted;
migrations, which match old stored text, left out). A module not listed holds
none; a listed one may not grow, must lower its count when words move out, and
holds no sentence. The emulator is exempt from that last rule only: it plays
WeChat, and says what the platform says.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "workflow", "storage", "layout")
CHINESE = re.compile(r"[\u4e00-\u9fff]")
#: What only a sentence has: its punctuation.
SENTENCE = re.compile(r"[，。！？；：“”「」]")
PLATFORM_WORDS = ("bot/emulator/",)

VOCABULARY: dict[str, int] = {
    "bot/cli_queue.py": 5,
    "bot/cli_worker.py": 14,
    "bot/config.py": 1,
    "bot/demo.py": 2,
    "bot/emulator/control.py": 1,
    "bot/emulator/push.py": 1,
    "handlers/commands/grammar.py": 8,
    "handlers/commands/me.py": 4,  # +2: 本月, 这个月, words for 统计's period (issue 23)
    "handlers/commands/planning.py": 4,
    "handlers/commands/table.py": 98,  # +1: 文章链接, the argument of 已发布 (issue 21);
    # +4: 稿件 12 草稿 [草稿编号] (issue 22): the word 草稿 and the arguments' labels
    # +6: 精选, 删评, 评论 12 开|关 (issue 23): the words, the switch's label and words
    # +1: 报告, the command word (issue 23)
    # +1: 旧文, the command word (issue 24)
    # +2: 评估 and its argument's label, the staff survey's answer (issue 24)
    "handlers/staff_channel.py": 1,
    "handlers/when.py": 74,
    "workflow/agenda.py": 3,
    "workflow/autoreply.py": 4,
    "workflow/evaluation.py": 61,  # the words that group send-back reasons and
    # suggestions (REASON_GROUPS, SUGGESTION_GROUPS) (issue 24)
    "workflow/staff_survey.py": 1,  # a rating's 分/星 (issue 24)
    "workflow/recheck.py": 12,  # RECHECK_WORDS and 复查 (the command a withdrawal came from)
    "workflow/roles.py": 10,
    "workflow/states.py": 38,
    "workflow/survey_forms.py": 1,  # 退出, the word that leaves a survey (issue 24)
    "workflow/surveys.py": 2,  # 分, 星: what may follow a rating's number (issue 24)
}


def chinese_literals(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef
                                | ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and CHINESE.search(node.value) and id(node) not in docstrings]


def literals() -> dict[str, list[str]]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            if held := chinese_literals(path):
                found[str(path.relative_to(ROOT))] = held
    return found


def counts() -> dict[str, int]:
    return {name: len(held) for name, held in literals().items()}


def test_no_module_gains_chinese_text_outside_the_catalogue() -> None:
    grown = {f: (n, VOCABULARY.get(f, 0)) for f, n in counts().items()
             if n > VOCABULARY.get(f, 0)}
    assert not grown, f"move the text to handlers/templates/ (found, listed): {grown}"


def test_the_list_is_lowered_as_words_move_out() -> None:
    found = counts()
    slack = {f: (found.get(f, 0), n) for f, n in VOCABULARY.items() if found.get(f, 0) < n}
    assert not slack, f"lower VOCABULARY to what is left (found, listed): {slack}"


def test_vocabulary_holds_no_sentence() -> None:
    sentences = {f: [w for w in held if SENTENCE.search(w)] for f, held in literals().items()
                 if not f.startswith(PLATFORM_WORDS)}
    assert not {f: s for f, s in sentences.items() if s}, "a sentence belongs in the catalogue"


def test_the_counter_sees_sentences_and_skips_docstrings(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text('"""文档。"""\nx = "你好"\ny = f"第 {x}"\nz = "plain"\n', encoding="utf-8")
    assert chinese_literals(module) == ["你好", "第 "]


def test_a_sentence_is_told_from_a_word() -> None:
    assert SENTENCE.search("找不到稿件，请检查编号") and not SENTENCE.search("初审中")
