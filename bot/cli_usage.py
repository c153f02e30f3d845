"""click's usage errors in Chinese, for the staff who run the CLI.

click words its complaints in English ("Missing option '--as'."). The ones a
person meets are matched here to a code of templates/cli/usage.j2 (with the
pattern's groups as its data) and said in Chinese; anything else keeps click's
words (code ``unknown``), which still name the option at fault.
"""

from __future__ import annotations

import re

from bot.cli_text import say

_Rule = tuple[re.Pattern[str], str]

#: What is wrong with a value: the part after "Invalid value for '--x': ".
_WHY: list[_Rule] = [
    (re.compile(r"(?P<value>.+?) is not in the range (?P<range>.+?)\.?"), "not_in_range"),
    (re.compile(r"'(?P<value>.*)' is not one of (?P<choices>.+?)\.?"), "not_a_choice"),
    (re.compile(r"'(?P<value>.*)' is not a valid integer(?: range)?\.?"), "not_an_integer"),
    (re.compile(r"'(?P<value>.*)' is not a valid float(?: range)?\.?"), "not_a_number"),
    (re.compile(r"(?:File|Path) '(?P<value>.*)' does not exist\.?"), "no_such_file"),
    (re.compile(r"Directory '(?P<value>.*)' does not exist\.?"), "no_such_folder"),
    (re.compile(r"(?:File|Directory|Path) '(?P<value>.*)' is a directory\.?"), "is_a_folder"),
    (re.compile(r"(?:File|Directory|Path) '(?P<value>.*)' is a file\.?"), "is_a_file"),
    (re.compile(r"(?:File|Directory|Path) '(?P<value>.*)' is not readable\.?"), "not_readable"),
    (re.compile(r"(?:File|Directory|Path) '(?P<value>.*)' is not writable\.?"), "not_writable"),
    # click.File's open failing: the OS's words after the name
    (re.compile(r"'(?P<value>.*)': No such file or directory"), "no_such_file"),
    (re.compile(r"'(?P<value>.*)': Is a directory"), "is_a_folder"),
    (re.compile(r"'(?P<value>.*)': Permission denied"), "not_readable"),
    (re.compile(r"'(?P<value>.*)': (?P<reason>[^']+)"), "cannot_open"),
    # click.DateTime
    (re.compile(r"'(?P<value>.*)' does not match the formats? (?P<formats>.+?)\.?"), "not_a_date"),
]

_USAGE: list[_Rule] = [
    (re.compile(r"Missing option '(?P<name>[^']+)'\.?"), "missing_option"),
    (re.compile(r"Missing argument '(?P<name>[^']+)'\.?"), "missing_argument"),
    (re.compile(r"No such command '(?P<name>[^']+)'\.?(?: Did you mean '(?P<guess>[^']+)'\?)?"),
     "no_such_command"),
    (re.compile(r"No such option:? '?(?P<name>[^' ]+?)'?\.?(?: Did you mean (?P<guess>.+?)\?)?"),
     "no_such_option"),
    (re.compile(r"Option '(?P<name>[^']+)' requires an argument\.?"), "needs_a_value"),
    (re.compile(r"Got unexpected extra arguments? \((?P<extra>.*)\)\.?"), "extra_arguments"),
]

_INVALID = re.compile(r"Invalid value for '(?P<option>[^']+)': (?P<why>.*)", re.S)


def classify(message: str) -> tuple[str, dict[str, str | None]]:
    """click's usage error as a code and its data; a bad value's code says what
    is wrong with it, and its data names the ``option``."""
    text = message.strip()
    if found := _INVALID.fullmatch(text):
        code, data = _first(_WHY, found["why"].strip())
        return code, {"option": found["option"], **data}
    return _first(_USAGE, text)


def in_words(code: str, data: dict[str, str | None]) -> str:
    """A classified usage error, said from the catalogue."""
    if "option" in data:
        rest = {key: value for key, value in data.items() if key != "option"}
        return say("usage", "invalid_value", option=data["option"],
                   why=say("usage", code, **rest))
    return say("usage", code, **data)


def _first(rules: list[_Rule], text: str) -> tuple[str, dict[str, str | None]]:
    for pattern, code in rules:
        if found := pattern.fullmatch(text):
            data = found.groupdict()
            if data.get("guess"):  # click quotes the option it guesses
                data["guess"] = data["guess"].strip("'")
            return code, data
    return "unknown", {"text": text}
