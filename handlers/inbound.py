"""What handlers see of a push: the fields they need, typed, and the context."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from handlers.commands.context import LinkAddresses
from handlers.hours import OfficeHours
from handlers.texts import TextSource
from workflow.autoreply import Rule, match
from workflow.capabilities import FULL, Capabilities
from workflow.ports import PushStore, SurveyAnswers, TicketInbox, UnitOfWork
from workflow.recheck import DEFAULT_INTERVALS, RecheckDays
from workflow.roles import Actor
from workflow.survey_forms import SurveyBook
from workflow.window import Interaction

RuleQuestion = tuple[str | None, str | None]  # (text, menu key) put to the rules


@dataclass(frozen=True)
class Inbound:
    openid: str
    account: str
    msg_type: str  # text, image, voice, video, shortvideo, location, link, event
    event: str  # lower case; "" for messages
    create_time: int
    authenticated: bool
    fields: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_fields(cls, fields: Mapping[str, Any], authenticated: bool) -> Inbound:
        return cls(
            openid=str(fields.get("FromUserName", "")),
            account=str(fields.get("ToUserName", "")),
            msg_type=str(fields.get("MsgType", "")).lower(),
            event=str(fields.get("Event", "")).lower(),
            create_time=as_int(fields.get("CreateTime")),
            authenticated=authenticated,
            fields=fields,
        )

    def text(self, name: str) -> str:
        value = self.fields.get(name)
        return value.strip() if isinstance(value, str) else ""


@dataclass
class HandlerContext:
    """One push's transaction and the account's settings.

    Built before the write lock is taken, with ``inbound_id`` 0 until the push
    is claimed; the rules matched then (``prematch``) are kept for the handler,
    so no regex runs under the lock. Whether the sender is staff comes with
    the write that records them (``touch``), so a follower's push looks
    nothing up.
    """

    store: PushStore  # the sender, the rules: on the push's own connection
    now: datetime
    tz: ZoneInfo
    hours: OfficeHours
    complaint_words: tuple[str, ...]
    joined_uow: Callable[[], UnitOfWork]
    texts: TextSource  # admins' versions of the editable replies
    tickets: TicketInbox  # the reply queue's statements on this push's connection
    inbound_id: int = 0
    plaintext_commands: bool = False  # staff commands accepted from unauthenticated bodies
    reply_sla_minutes: int = 30
    recheck_days: RecheckDays = DEFAULT_INTERVALS  # WXOPS_RECHECK_DAYS (workflow.recheck)
    capabilities: Capabilities = FULL  # what the account may call, when nothing is learnt
    #: The same with what the platform refused (48001), asked only by a handler that
    #: needs it, inside the push's transaction; kept a while by the process.
    learnt_capabilities: Callable[[], Capabilities] | None = None
    #: Where page links point (WXOPS_PUBLIC_URL); None: no web address is set.
    pages: LinkAddresses | None = None
    #: The follower surveys defined (WXOPS_SURVEYS_DIR), read once by the process.
    surveys: SurveyBook = field(default_factory=SurveyBook)
    #: Followers' answer sets, on the push's connection; asked only for a push
    #: that starts or answers a survey.
    survey_answers: Callable[[], SurveyAnswers] | None = None
    #: The sender has a survey's answer set started (known from ``touch``).
    in_survey: bool = False
    _staff: dict[str, Actor | None] = field(default_factory=dict)
    _rules: dict[RuleQuestion, Rule | None] = field(default_factory=dict)

    def account_capabilities(self) -> Capabilities:
        """What the account may call now: the table for its kind less what was learnt."""
        return self.learnt_capabilities() if self.learnt_capabilities else self.capabilities

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(self.tz)

    def touch(self, openid: str, kind: Interaction, subscribed: bool | None = None,
              scene: str | None = None) -> int:
        """Record the sender's interaction and return their follower id. The same
        statement says whether they are staff, so ``staff`` asks nothing of a
        follower, and whether they are in a survey (``in_survey``). A push's
        handler calls this once."""
        follower_id, staff_id, self.in_survey = self.store.touch(openid, self.now, kind,
                                                                 subscribed, scene)
        if staff_id is None:
            self._staff[openid] = None
        return follower_id

    def staff(self, openid: str) -> Actor | None:
        """The staff member behind ``openid``: known from ``touch``, or looked up
        once per push."""
        if openid not in self._staff:
            self._staff[openid] = self.store.staff_by_openid(openid)
        return self._staff[openid]

    def rule_for(self, question: RuleQuestion) -> Rule | None:
        """The auto-reply rule answering ``question``, matched once per push."""
        if question not in self._rules:
            self._match(question, self.store.active_rules())
        return self._rules[question]

    def prematched(self, question: RuleQuestion) -> tuple[bool, Rule | None]:
        """(whether ``question`` was matched before the lock, the rule that answers)."""
        return (question in self._rules, self._rules.get(question))

    def prematch(self, question: RuleQuestion) -> None:
        """Match now if this process's copy of the rules is fresh; otherwise the
        handler reads them and matches in its transaction."""
        cached = self.store.cached_active_rules()
        if cached is not None:
            self._match(question, cached)

    def _match(self, question: RuleQuestion, active: list[Rule]) -> None:
        text, click_key = question
        self._rules[question] = match(active, text=text, click_key=click_key,
                                      local_time=self.local_now.time())


def as_int(value: Any, default: int = 0) -> int:
    """A number from a pushed field, which may be missing or not a number."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
