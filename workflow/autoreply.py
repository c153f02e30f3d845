"""Keyword auto-reply rules: what a follower's text or menu click is answered with.

Pure: the rules come in as data, the caller supplies the local time of day.
A regex rule is matched with a timeout, so one pathological pattern costs a
request a few milliseconds instead of stalling a web worker past WeChat's 5 s;
and all regex rules together share a budget per message, so many of them
cannot add up to a stall either.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import time
from enum import StrEnum
from time import monotonic

import regex  # typeshed's types-regex is not a dependency

from workflow.errors import RuleRefused

log = logging.getLogger(__name__)

MAX_PATTERN_CHARS = 200
MAX_CLICK_KEY_BYTES = 128  # WeChat's limit for a menu button's key
#: A text reply is one passive reply, which WeChat shows only up to 2047 bytes of
#: UTF-8 (handlers.replies.TEXT_REPLY_BYTES keeps the same margin): longer, and the
#: follower sees nothing but 该公众号暂时无法提供服务. About 660 Chinese characters.
MAX_TEXT_REPLY_BYTES = 2000
MAX_ARTICLES = 8  # a passive news reply carries at most 8 articles
REGEX_TIMEOUT_SECONDS = 0.05  # one regex rule against one message
REGEX_BUDGET_SECONDS = 0.2  # all regex rules against one message


class MatchType(StrEnum):
    EXACT = "exact"
    CONTAINS = "contains"
    REGEX = "regex"
    CLICK = "click"

    @property
    def label(self) -> str:
        return MATCH_LABELS[self]


MATCH_LABELS: dict[MatchType, str] = {
    MatchType.EXACT: "完全匹配",
    MatchType.CONTAINS: "包含",
    MatchType.REGEX: "正则",
    MatchType.CLICK: "菜单点击",
}


class ReplyKind(StrEnum):
    TEXT = "text"
    NEWS = "news"


@dataclass(frozen=True)
class Article:
    title: str
    description: str
    url: str
    picurl: str = ""


@dataclass(frozen=True)
class Rule:
    id: int
    match_type: MatchType
    pattern: str
    priority: int
    active: bool
    active_from: time | None
    active_until: time | None
    reply_kind: ReplyKind
    reply_text: str
    articles: tuple[Article, ...]
    hits: int = 0

    @property
    def unshowable(self) -> bool:
        """A text reply longer than one passive reply carries (a rule saved while
        the limit counted characters): WeChat would show the follower its error
        instead, so the rule answers nobody and the lists say why."""
        return (self.reply_kind is ReplyKind.TEXT
                and len(self.reply_text.encode()) > MAX_TEXT_REPLY_BYTES)


@dataclass(frozen=True)
class NewRule:
    """A rule as someone asked for it; articles make it a news reply."""

    match_type: MatchType
    pattern: str
    reply_text: str = ""
    articles: tuple[Article, ...] = ()
    priority: int = 0
    active: bool = True
    active_from: time | None = None
    active_until: time | None = None

    @property
    def reply_kind(self) -> ReplyKind:
        return ReplyKind.NEWS if self.articles else ReplyKind.TEXT


def validate_rule(*, match_type: MatchType, pattern: str, reply_kind: ReplyKind,
                  reply_text: str = "", articles: Sequence[Article] = (),
                  active_from: time | None = None, active_until: time | None = None) -> None:
    """Refuse a rule that could never answer, or could answer badly, with a reason."""
    _validate_pattern(match_type, pattern)
    if reply_kind is ReplyKind.TEXT:
        _validate_text_reply(reply_text, articles)
    else:
        _validate_news_reply(reply_text, articles)
    if (active_from is None) != (active_until is None):
        raise RuleRefused("hours_half")
    if active_from is not None and active_from == active_until:
        raise RuleRefused("hours_same")


def _validate_pattern(match_type: MatchType, pattern: str) -> None:
    if not pattern.strip():
        raise RuleRefused("pattern_empty")
    if len(pattern) > MAX_PATTERN_CHARS:
        raise RuleRefused("pattern_long", limit=MAX_PATTERN_CHARS)
    if match_type is MatchType.CLICK and len(pattern.encode()) > MAX_CLICK_KEY_BYTES:
        raise RuleRefused("click_key_long", limit=MAX_CLICK_KEY_BYTES)
    if match_type is MatchType.REGEX:
        try:
            regex.compile(pattern)
        except regex.error as exc:
            raise _regex_problem(exc) from exc


def _regex_problem(exc: regex.error) -> RuleRefused:
    """The regex module's complaint and where (a 1-based character), for the
    catalogue to say in Chinese (errors.j2 translates the commonest ones)."""
    msg, pos = str(getattr(exc, "msg", exc)), getattr(exc, "pos", None)  # untyped in stubs
    return RuleRefused("regex", position=pos + 1 if isinstance(pos, int) else 0, text=msg)


def _validate_text_reply(reply_text: str, articles: Sequence[Article]) -> None:
    if articles:
        raise RuleRefused("text_and_news")
    if not reply_text.strip():
        raise RuleRefused("reply_empty")
    if len(reply_text.encode()) > MAX_TEXT_REPLY_BYTES:
        raise RuleRefused("reply_long", limit=MAX_TEXT_REPLY_BYTES)


def _validate_news_reply(reply_text: str, articles: Sequence[Article]) -> None:
    if reply_text.strip():
        raise RuleRefused("text_and_news")
    if not 1 <= len(articles) <= MAX_ARTICLES:
        raise RuleRefused("articles_count", limit=MAX_ARTICLES)
    for number, article in enumerate(articles, start=1):
        if not article.title.strip():
            raise RuleRefused("article_title", number=number)
        if not _is_http_url(article.url):
            raise RuleRefused("article_url", number=number)
        if article.picurl and not _is_http_url(article.picurl):
            raise RuleRefused("article_picurl", number=number)


def _is_http_url(url: str) -> bool:
    head, sep, rest = url.strip().partition("://")
    return bool(sep) and head.lower() in ("http", "https") and bool(rest)


def parse_hours(text: str) -> tuple[time, time]:
    """``09:00-18:00`` (or ``22:00-06:00``, crossing midnight) into its two ends."""
    start, sep, end = unicodedata.normalize("NFKC", text).replace("~", "-").partition("-")
    if not sep:
        raise RuleRefused("hours_format", text=text)
    return parse_clock(start), parse_clock(end)


def parse_clock(text: str) -> time:
    """``9:00`` / ``09:30`` into a time of day."""
    hours, sep, minutes = unicodedata.normalize("NFKC", text).strip().partition(":")
    if not (sep and hours.isdecimal() and minutes.isdecimal() and len(minutes) == 2):
        raise RuleRefused("clock_format", text=text.strip())
    if int(hours) > 23 or int(minutes) > 59:
        raise RuleRefused("clock_range", text=text.strip())
    return time(int(hours), int(minutes))


def parse_article(text: str) -> Article:
    """``标题|描述|https://url[|https://pic]`` into an Article (validated with the rule)."""
    parts = [p.strip() for p in text.split("|")]
    if len(parts) not in (3, 4):
        raise RuleRefused("article_format")
    return Article(parts[0], parts[1], parts[2], parts[3] if len(parts) == 4 else "")


def match(rules: Iterable[Rule], *, text: str | None = None, click_key: str | None = None,
          local_time: time, now: Callable[[], float] = monotonic) -> Rule | None:
    """The rule that answers: highest priority first, then the older rule (lower id).

    Regex rules tried after the budget is spent count as not matching; the
    plain rules are still tried. ``now`` is the clock the budget runs on.
    """
    budget = _RegexBudget(now)
    for rule in sorted(rules, key=lambda r: (-r.priority, r.id)):
        if not rule.active or rule.unshowable or not in_window(rule, local_time):
            continue  # an unshowable reply: the message goes to the queue instead
        if rule.match_type is MatchType.CLICK:
            if click_key is not None and rule.pattern == click_key:
                return rule
        elif text is not None and _matches_text(rule, text, budget):
            return rule
    return None


def answered_instead(rules: Iterable[Rule], rule: Rule, local_time: time) -> Rule | None:
    """Another rule that would answer ``rule``'s own keyword or menu key now,
    because it comes first. A regex has no one text to try: never reported."""
    if rule.match_type is MatchType.REGEX:
        return None
    if rule.match_type is MatchType.CLICK:
        answering = match(rules, click_key=rule.pattern, local_time=local_time)
    else:
        answering = match(rules, text=rule.pattern, local_time=local_time)
    return answering if answering is not None and answering.id != rule.id else None


class _RegexBudget:
    """What is left of one message's time for regex rules."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self._deadline = now() + REGEX_BUDGET_SECONDS
        self._spent_noted = False

    def timeout(self, rule: Rule) -> float | None:
        """The timeout for this rule's search, or None when the budget is spent."""
        left = self._deadline - self._now()
        if left > 0:
            return min(REGEX_TIMEOUT_SECONDS, left)
        if not self._spent_noted:
            self._spent_noted = True
            log.warning("auto-reply: regex rules used up their %.0f ms for this message; "
                        "rule %s and later regex rules were not tried",
                        REGEX_BUDGET_SECONDS * 1000, rule.id)
        return None


def in_window(rule: Rule, local_time: time) -> bool:
    """Half-open window [from, until); a window with from > until crosses midnight."""
    start, end = rule.active_from, rule.active_until
    if start is None or end is None or start == end:
        return True
    if start < end:
        return start <= local_time < end
    return local_time >= start or local_time < end


def _fold(value: str) -> str:
    # NFKC first so full-width letters and digits (ＶＩＰ, １２) compare as their ASCII forms.
    return unicodedata.normalize("NFKC", value).strip().casefold()


def _matches_text(rule: Rule, text: str, budget: _RegexBudget) -> bool:
    if rule.match_type is MatchType.EXACT:
        return _fold(text) == _fold(rule.pattern)
    if rule.match_type is MatchType.CONTAINS:
        return _fold(rule.pattern) in _fold(text)
    timeout = budget.timeout(rule)
    return timeout is not None and _regex_matches(rule, text, timeout)


def _regex_matches(rule: Rule, text: str, timeout: float) -> bool:
    # The raw text, not a folded one: folding could change what the author's
    # pattern means (NFKC turns a full-width （ into a regex metacharacter).
    try:
        return regex.search(rule.pattern, text, timeout=timeout) is not None
    except TimeoutError:
        log.warning("auto-reply rule %s: regex timed out after %.0f ms; treated as no match",
                    rule.id, timeout * 1000)
    except regex.error as exc:  # a row edited outside validate_rule
        log.warning("auto-reply rule %s: invalid regex (%s); treated as no match", rule.id, exc)
    return False
