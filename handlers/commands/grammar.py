"""Command grammar: text -> Command, or a CommandError with a hint.

"Does it apply?" is kept apart from "do it": parsing knows the table's words
and argument kinds, nothing about the database; a hint's wording comes from
the shipped templates (cmd/refused.j2), when it is shown. Chinese words come first,
English aliases after; several words make one command (``成员 邀请``).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from workflow.model import MAX_ID
from workflow.roles import Action, Role
from workflow.states import Event

# "pattern": one word kept exactly as typed (a regex or a menu key), where a
# "word" is normalised: full-width letters become ASCII, and in a regex a
# full-width （ would become a group.
ArgKind = Literal["item", "ticket", "int", "word", "pattern", "rest", "choice", "code"]

ARG_LABELS: dict[str, str] = {"item": "稿件编号", "ticket": "工单编号", "int": "编号",
                              "word": "词", "pattern": "表达式", "rest": "内容",
                              "choice": "选项", "code": "代码"}


@dataclass(frozen=True)
class Arg:
    name: str
    kind: ArgKind
    label: str = ""
    required: bool = True
    choices: dict[str, str] = field(default_factory=dict)  # accepted word -> canonical value

    def usage(self) -> str:
        shown = self.label or ARG_LABELS[self.kind]
        if self.kind == "choice" and len(set(self.choices.values())) <= 4:
            chinese = [w for w in self.choices if not w.isascii()]
            shown = "|".join(chinese or self.choices)
        return shown if self.required else f"[{shown}]"

    def words(self) -> list[str]:
        """A choice's words as people are shown them: the Chinese ones, one for
        each value (English aliases work too, but are not listed)."""
        seen: dict[str, str] = {}
        for word, value in self.choices.items():
            if value not in seen or (seen[value].isascii() and not word.isascii()):
                seen[value] = word
        return list(seen.values())

    def meant(self, token: str) -> str:
        """The one choice the token begins or is part of ("初审" for 初审中), or ""."""
        close = [w for w in self.words() if token and token in w]
        return close[0] if len(close) == 1 else ""


@dataclass(frozen=True)
class Spec:
    """One command: its words, arguments, who may use it, and its handler."""

    name: str
    words: tuple[str, ...]
    args: tuple[Arg, ...]
    handler: Callable[..., Any]  # what 帮助 says about it: texts.command_text(name)
    roles: frozenset[Role] = frozenset()  # empty: every staff member
    # What the command does, in workflow's terms: its roles come from there
    # (workflow.roles.command_roles), never written here.
    does: Event | Action | None = None
    changes: bool = True  # changes something: needs an authenticated message
    confirm: bool = False  # asks for 确认 CODE before acting (some do for some uses:
    # the catalogue's confirm_when says which, as 帮助 shows it)
    # The same words with other arguments, each its own command (name, handler,
    # roles): a form is taken when the first argument typed fits the form's first
    # (稿件 12 草稿: a number where 稿件 takes a state).
    forms: tuple[Spec, ...] = ()

    @property
    def usage(self) -> str:
        return " ".join([self.words[0], *(a.usage() for a in self.args)])

    def allowed_for(self, roles: frozenset[Role]) -> bool:
        return not self.roles or Role.ADMIN in roles or bool(self.roles & roles)

    def every(self) -> tuple[Spec, ...]:
        """This command and its forms."""
        return (self, *self.forms)

    def form_for(self, tokens: Sequence[str]) -> Spec:
        """The form the typed arguments (normalised) call for: this command unless
        the first one fits a form's first argument. A command that takes no
        arguments leaves whatever is typed to its first form, whose refusal says
        what it takes (复查 abc: not an item number, rather than "too much")."""
        for form in self.forms:
            if tokens and form.args and _fits(form, form.args[0], tokens[0]):
                return form
        if tokens and not self.args and self.forms:
            return self.forms[0]
        return self


@dataclass(frozen=True)
class Command:
    spec: Spec
    args: dict[str, Any]
    text: str


class CommandError(Exception):
    """Why a command did not run, as a refusal of the catalogue (templates/cmd/refused.j2):
    its ``code`` and ``data``. Worded when shown (handlers.refusals.say)."""

    def __init__(self, code: str, /, **data: Any) -> None:
        super().__init__(code)
        self.code, self.data = code, data

    @property
    def message(self) -> str:
        """The refusal in words, as the staff member reads it."""
        # Imported when shown: the catalogue's filters use the time words, which
        # refuse with a CommandError (handlers.when.WhenError).
        from handlers import refusals
        return refusals.say(self)

    def __str__(self) -> str:
        return self.message


def refused(reason: str, /, **context: Any) -> CommandError:
    """The refusal ``reason`` (a macro in templates/cmd/refused.j2), ready to raise."""
    return CommandError(reason, **context)


def normalise(text: str) -> str:
    """Full-width letters, digits and spaces as ASCII; runs of spaces as one."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


def _tokens(text: str) -> tuple[list[str], list[str]]:
    """The words as typed, and the same words normalised for matching.

    Only words used for matching and numbers are normalised: free text (a reply
    to a follower, a reason) keeps its full-width punctuation.
    """
    typed = re.sub(r"\s+", " ", text).strip().split(" ") if text.strip() else []
    return typed, [unicodedata.normalize("NFKC", t) for t in typed]


def match(text: str, table: Sequence[Spec]) -> tuple[Spec, int, int] | None:
    """The command whose words start the text (longest first): the spec, how many
    whole words it took, and how many characters of the next word (glued 通过12)."""
    lowered = [t.lower() for t in _tokens(text)[1]]
    for word, spec in sorted(((w, s) for s in table for w in s.words), key=lambda p: -len(p[0])):
        parts = word.lower().split(" ")
        if lowered[:len(parts)] == parts:
            return spec, len(parts), 0
        if len(parts) == 1 and lowered and _glued(lowered[0], parts[0], spec):
            return spec, 0, len(parts[0])
    return None


def _glued(token: str, word: str, spec: Spec) -> bool:
    """A Chinese command word with its first argument typed on: a number
    (通过12), a ticket (回T5), a canned reply (#地址), or a code (绑定K7M2QX8P)."""
    rest = token[len(word):] if token.startswith(word) and not word.isascii() else ""
    if not rest:
        return False
    takes_code = bool(spec.args) and spec.args[0].kind == "code"
    return rest[0].isdecimal() or rest[0] in "tT#" or (
        takes_code and rest.isascii() and rest.isalnum())


#: How much of a word typed a refusal repeats: the rest of a long one would push the
#: reply past what one passive reply can carry (handlers.replies.TEXT_REPLY_BYTES),
#: and WeChat would then show the sender nothing but an error.
SHOWN_CHARS = 20


def shown(text: str) -> str:
    """``text`` as a refusal repeats it: its first ``SHOWN_CHARS`` characters."""
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


#: Characters no WeChat message can carry (XML 1.0 forbids them) and PostgreSQL will
#: not store (NUL): typed only by a script or a test, refused before any handler.
_UNSENDABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def parse(text: str, table: Sequence[Spec]) -> Command:
    if _UNSENDABLE.search(text):
        raise refused("control_characters")
    typed, norm = _tokens(text)
    found = match(text, table)
    if found is None:
        raise unknown_command(" ".join(norm), table)
    spec, words, glued = found
    if glued:
        typed = [typed[0][glued:], *typed[1:]]
        norm = [norm[0][glued:], *norm[1:]]
    spec = spec.form_for(norm[words:])
    values = parse_args(spec, typed[words:], norm[words:])
    return Command(spec, values, " ".join(_tokens(text)[0]))


def parse_args(spec: Spec, typed: list[str], norm: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for position, arg in enumerate(spec.args):
        if arg.kind == "rest":
            text = " ".join(typed[position:]).strip()
            if arg.required and not text:
                raise refused("missing", spec=spec, label=arg.label or ARG_LABELS[arg.kind])
            values[arg.name] = text
            return values
        if position >= len(norm):
            if arg.required:
                raise refused("missing", spec=spec, label=arg.label or ARG_LABELS[arg.kind])
            values[arg.name] = None
            continue
        token = typed[position] if arg.kind == "pattern" else norm[position]
        values[arg.name] = _convert(spec, arg, token)
    if len(norm) > len(spec.args):
        raise refused("extra", spec=spec, text=shown(" ".join(typed[len(spec.args):])))
    return values


def _number(digits: str) -> int | None:
    """An id or count as typed: decimal digits, at most ``MAX_ID`` (what a row's id
    can be, and what the CLI takes); None otherwise."""
    if not digits.isdecimal() or len(digits) > len(str(MAX_ID)) or int(digits) > MAX_ID:
        return None
    return int(digits)


def _convert(spec: Spec, arg: Arg, token: str) -> Any:
    if arg.kind in ("item", "int"):
        number = _number(token.lstrip("#"))
        if number is None:
            raise refused("not_a", spec=spec, token=shown(token),
                          label=arg.label or ARG_LABELS[arg.kind])
        return number
    if arg.kind == "ticket":
        number = _number(token.upper().removeprefix("T"))
        if number is None:
            raise refused("not_a_ticket", spec=spec, token=shown(token))
        return number
    if arg.kind == "choice":
        value = arg.choices.get(token) or arg.choices.get(token.lower())
        if value is None:
            raise refused("not_a_choice", spec=spec, token=shown(token), choices=arg.words(),
                          meant=arg.meant(token))
        return value
    if arg.kind == "code":
        return token.upper()
    return token


def _fits(spec: Spec, arg: Arg, token: str) -> bool:
    try:
        _convert(spec, arg, token)
    except CommandError:
        return False
    return True


def unknown_command(text: str, table: Sequence[Spec]) -> CommandError:
    """The closest command and its usage: never silence."""
    first = text.split(" ", 1)[0][:12]
    words = {w: s for s in table for w in s.words}
    close = difflib.get_close_matches(first.lower(), [w.lower() for w in words], n=1,
                                      cutoff=0.4)
    spec = next((s for w, s in words.items() if close and w.lower() == close[0]), None)
    return refused("unknown_command", word=first, spec=spec)
