"""Reply texts: Jinja2 templates shipped in handlers/templates, editable by admins.

An admin's edit is stored in ``account_texts`` and rendered in a sandbox, so
an edited template can use the same variables but cannot reach into Python.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from jinja2 import (
    BytecodeCache,
    Environment,
    FileSystemBytecodeCache,
    PackageLoader,
    StrictUndefined,
    Template,
    TemplateSyntaxError,
    UndefinedError,
)
from jinja2.bccache import Bucket
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from handlers.hours import OfficeHours
from handlers.when import format_date, format_day, format_moment, format_when
from workflow.roles import ROLE_WORDS, STAFF_ROLES, Role

log = logging.getLogger("wxops.texts")

MAX_CHARS = 600  # an edited text, as written and as rendered; WeChat's limit is 2048 bytes
MAX_RANGE = 100  # range() in an edited text


@dataclass(frozen=True)
class Editable:
    """A text admins may override: its key, and the variables it is rendered
    with (example values, to try an edit with)."""

    key: str
    sample: Mapping[str, object]

    @property
    def purpose(self) -> str:
        """What the text is for, as ``wxops texts list`` shows it."""
        return phrase("editable", "purpose", key=self.key)

    @property
    def variables(self) -> str:
        """The variable names, as the refusals and ``wxops texts list`` show them."""
        return phrase("text_edit", "variables", names=list(self.sample))


def role_words(roles: Iterable[Role]) -> str:
    """``创作 审核``: the words 成员 角色 takes, in the order people think of roles."""
    held = set(roles)
    return " ".join(ROLE_WORDS[role] for role in STAFF_ROLES if role in held)


class _TextSandbox(SandboxedEnvironment):
    """Admins' texts: no reach into Python (the sandbox), no unknown variables,
    and no runaway output from ``**``, a long repetition or a long loop."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self) -> None:
        super().__init__(autoescape=False, undefined=StrictUndefined)
        self.globals["range"] = _short_range

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            raise SecurityError(phrase("text_edit", "power"))
        sequence, count = (left, right) if isinstance(left, str | list | tuple) else (right, left)
        if (isinstance(sequence, str | list | tuple) and isinstance(count, int)
                and len(sequence) * count > MAX_CHARS):
            raise SecurityError(phrase("text_edit", "repetition", limit=MAX_CHARS))
        return super().call_binop(context, operator, left, right)


def _short_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise SecurityError(phrase("text_edit", "long_range", limit=MAX_RANGE))
    return numbers


class _KeptCode(FileSystemBytecodeCache):
    """Jinja's bytecode cache, which never costs a render: a cache file that
    cannot be read (damaged) or written (a full disk) is no cache."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # whatever is in the file, the template compiles anew
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            log.debug("the compiled template %s was not kept", bucket.key, exc_info=True)


def _kept_code() -> BytecodeCache | None:
    """The compiled templates' directory: the user's own under the temporary
    directory, as Jinja makes it; none where it cannot be made."""
    try:
        return _KeptCode()
    except (OSError, RuntimeError):  # no temporary directory, or not the user's
        return None


# The shipped templates change only with a release: no stat(2) of the file
# on every render to see whether it did (Jinja's auto_reload). Their compiled
# code is kept between processes, keyed by each template's source: a command
# line would otherwise spend 30-60 ms compiling its catalogues again.
_shipped = Environment(loader=PackageLoader("handlers", "templates"), autoescape=False,
                       undefined=StrictUndefined, keep_trailing_newline=False,
                       auto_reload=False, bytecode_cache=_kept_code())
_shipped.filters["moment"] = format_moment
_shipped.filters["day"] = format_date
_shipped.filters["day_seen"] = format_day  # {{ day|day_seen(today) }}
_shipped.filters["when"] = format_when  # {{ moment|when(now) }}: 明天（11月27日 周五）09:00
_shipped.globals["role_words"] = role_words
_shipped.globals["role_choices"] = [ROLE_WORDS[role] for role in STAFF_ROLES]  # 未知角色: 可选
_sandbox = _TextSandbox()


class TextSource(Protocol):
    """Where admins' versions of the editable texts are kept (storage.texts)."""

    def override(self, key: str) -> str | None:
        """The admin's version of text ``key``, or None to use the shipped one."""
        ...


def render(name: str, source: TextSource | None = None, /, **context: Any) -> str:
    """Render a shipped template, or the admin's version of it when ``source``
    has one.

    An admin's version that fails now (it was checked when saved, but a
    setting it shows may have changed) is logged and the shipped text used:
    an edit must never cost a follower their answer.
    """
    override = source.override(name) if source is not None and name in EDITABLE else None
    if override:
        try:
            return _render_edited(override, context)
        except Exception:  # whatever the template did, the follower still gets a text
            log.exception("the edited text %r failed; the shipped text was used", name)
    return _shipped.get_template(f"{name}.j2").render(**context).strip()


def stream(name: str, /, **context: Any) -> Iterator[str]:
    """A shipped template rendered piece by piece (a page too long to hold whole)."""
    return _shipped.get_template(f"{name}.j2").generate(**context)


def verbatim(name: str, key: str, /, **context: Any) -> str:
    """Like :func:`phrase`, but blanks kept as written (a table's columns)."""
    macro = getattr(_shipped.get_template(f"{name}.j2").module, key)
    return str(macro(**context))


def phrase(name: str, key: str, /, **context: Any) -> str:
    """One macro ``key`` of the shipped template ``name``: a catalogue of short texts."""
    return verbatim(name, key, **context).strip()


# After phrase(): the samples are worded by the catalogue (office hours).
_AWAY = {"hours": OfficeHours.parse("mon-fri 09:00-18:00").describe()}
EDITABLE = {e.key: e for e in (
    Editable("welcome", {}),
    Editable("ack", {"ticket_id": 5}),
    Editable("ack_away", {"ticket_id": 5, **_AWAY}),
    Editable("ack_follow_up", {"ticket_id": 5, "complaint": False}),
    Editable("ack_follow_up_away", {"ticket_id": 5, "complaint": False, **_AWAY}),
)}


#: What storage notes on an outbox row by code, rather than in words.
OUTBOX_NOTES = frozenset({"superseded", "handed_over", "notice_moot"})


def outbox_note(text: str) -> str:
    """An outbox row's note as people read it: a code in words, other text as written."""
    return phrase("outbox", text) if text in OUTBOX_NOTES else text


def macros(name: str) -> frozenset[str]:
    """The macros the shipped template ``name`` defines (a catalogue's keys)."""
    module = _shipped.get_template(f"{name}.j2").module
    return frozenset(key for key in vars(module) if not key.startswith("_"))


def shipped_source(name: str) -> str:
    return _catalogue_file(f"{name}.j2").strip()


def _catalogue_file(filename: str) -> str:
    loader = _shipped.loader
    assert loader is not None
    return loader.get_source(_shipped, filename)[0]


@dataclass(frozen=True)
class CommandText:
    """What 帮助 and the command reference say about one staff command."""

    summary: str
    example: str
    confirm_when: str = ""  # asks for 确认 only for these uses ("" : always or never)


def command_text(name: str) -> CommandText:
    """The catalogue's words for the command ``name`` (templates/commands.toml,
    keyed by the command table's ``Spec.name``)."""
    return command_texts()[name]


@lru_cache(maxsize=1)
def command_texts() -> Mapping[str, CommandText]:
    data = tomllib.loads(_catalogue_file("commands.toml"))
    return {name: CommandText(**entry) for name, entry in data.items()}


_shipped.globals["command_text"] = command_text


def check_template(key: str, body: str) -> str:
    """An admin's edit of ``key``, rendered with example values; raises ValueError
    (Chinese) when it cannot be saved."""
    if not body.strip() or len(body) > MAX_CHARS:
        raise ValueError(phrase("text_edit", "body_invalid", limit=MAX_CHARS))
    editable = EDITABLE[key]
    try:
        return _render_edited(body, editable.sample)
    except _Unfit as exc:
        raise ValueError(str(exc)) from None
    except UndefinedError as exc:
        raise ValueError(phrase("text_edit", "unknown_variable", detail=_undefined(exc),
                                names=list(editable.sample))) from None
    except TemplateSyntaxError as exc:
        unfinished = "end of template" in exc.message.lower() if exc.message else False
        raise ValueError(phrase("text_edit", "syntax", line=exc.lineno, unfinished=unfinished,
                                detail=exc.message or "")) from None
    except SecurityError as exc:  # the sandbox's own limits say why in Chinese already
        unsafe = "unsafe" in str(exc)
        raise ValueError(phrase("text_edit", "unsafe") if unsafe else str(exc)) from None
    except Exception as exc:  # jinja2 raises several types; all mean "bad template"
        raise ValueError(phrase("text_edit", "broken", detail=str(exc))) from None


_UNDEFINED = re.compile(r"'(?P<name>[^']+)' is undefined")
_NO_ATTRIBUTE = re.compile(r"'[^']+' has no attribute '(?P<name>[^']+)'")


def _undefined(exc: UndefinedError) -> str:
    """Jinja's "'nope' is undefined" as staff read it: the name, in Chinese."""
    text = str(exc)
    if found := _UNDEFINED.fullmatch(text):
        return found["name"]
    if found := _NO_ATTRIBUTE.fullmatch(text):
        return phrase("text_edit", "no_such_field", name=found["name"])
    return text


class _Unfit(ValueError):
    """An edited text that rendered, but to nothing or to too much."""


def _render_edited(body: str, context: Mapping[str, object]) -> str:
    text = _compiled(body).render(**context).strip()
    if not text or len(text) > MAX_CHARS:
        raise _Unfit(phrase("text_edit", "rendered_unfit", limit=MAX_CHARS, length=len(text)))
    return text


@lru_cache(maxsize=64)
def _compiled(body: str) -> Template:
    return _sandbox.from_string(body)
