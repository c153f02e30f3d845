"""click's usage errors in Chinese, for the staff who run the CLI.

click words its complaints in English ("Missing option '--as'."). The ones a
person meets are matched here and said again in Chinese; anything else keeps
click's words, which still name the option at fault.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]

_WHY: list[_Rule] = [
    (re.compile(r"(?P<v>.+?) is not in the range (?P<r>.+?)\.?"),
     lambda m: f"{m['v']} 不在允许的范围（{m['r']}）内"),
    (re.compile(r"'(?P<v>.*)' is not one of (?P<choices>.+?)\.?"),
     lambda m: f"“{m['v']}”不是可选的值，可选：{_choices(m['choices'])}"),
    (re.compile(r"'(?P<v>.*)' is not a valid integer(?: range)?\.?"),
     lambda m: f"“{m['v']}”不是整数"),
    (re.compile(r"'(?P<v>.*)' is not a valid float(?: range)?\.?"),
     lambda m: f"“{m['v']}”不是数字"),
    (re.compile(r"(?:File|Path) '(?P<v>.*)' does not exist\.?"),
     lambda m: f"文件“{m['v']}”不存在"),
    (re.compile(r"'(?P<v>.*)': No such file or directory"), lambda m: f"文件“{m['v']}”不存在"),
]

_USAGE: list[_Rule] = [
    (re.compile(r"Missing option '(?P<x>[^']+)'\.?"), lambda m: f"缺少选项 {m['x']}"),
    (re.compile(r"Missing argument '(?P<x>[^']+)'\.?"), lambda m: f"缺少参数 {m['x']}"),
    (re.compile(r"No such command '(?P<x>[^']+)'\.?(?: Did you mean '(?P<d>[^']+)'\?)?"),
     lambda m: f"没有“{m['x']}”这个命令" + (f"，是不是 {m['d']}？" if m["d"] else "")),
    (re.compile(r"No such option:? '?(?P<x>[^' ]+?)'?\.?(?: Did you mean (?P<d>.+?)\?)?"),
     lambda m: f"没有选项 {m['x']}" + (f"，是不是 {m['d'].strip(chr(39))}？" if m["d"] else "")),
    (re.compile(r"Option '(?P<x>[^']+)' requires an argument\.?"),
     lambda m: f"选项 {m['x']} 后面要跟一个值"),
    (re.compile(r"Got unexpected extra arguments? \((?P<x>.*)\)\.?"),
     lambda m: f"多余的参数：{m['x']}"),
    (re.compile(r"Invalid value for '(?P<x>[^']+)': (?P<why>.*)", re.S),
     lambda m: f"{m['x']} 的值无效：{_first(_WHY, m['why'].strip())}"),
]


def in_chinese(message: str) -> str:
    """click's usage error, said in Chinese when it is one people meet."""
    return _first(_USAGE, message.strip())


def _first(rules: list[_Rule], text: str) -> str:
    for pattern, say in rules:
        if found := pattern.fullmatch(text):
            return say(found)
    return text


def _choices(listed: str) -> str:
    return "、".join(c.strip().strip("'") for c in listed.split(","))
