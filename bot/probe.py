"""What the account can call, asked of the platform: one harmless read-only call
per capability that has one, never a send.

``wxops doctor`` shows the answers; the worker asks once at start-up, in the
background (``start_cross_check``). Both record a 48001 as the capability
learnt missing, through the storage function the sender uses, and compare the
answers with the capability table for the configured kind
(``workflow.capabilities.kinds_fitting``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from bot.timefmt import utcnow
from bot.tokens import fetch_stable_token
from bot.wechat_errors import NotAuthorised, NotCalled, WeChatError
from bot.wiring import App, database, learnt_capabilities
from workflow.capabilities import AccountKind, Capability, kinds_fitting

if TYPE_CHECKING:  # wechatpy loads with the gateway, not at every start-up
    from bot.gateway import Gateway

log = logging.getLogger("wxops.probe")

Json = dict[str, Any]
#: A read-only call, given the gateway and yesterday's date (for datacube).
Call = Callable[["Gateway", date], Json]


class Answer(StrEnum):
    """What the platform said to a probe: the call worked, 48001, or another error
    (unreachable, a quota, a fault) that says nothing of the permission."""

    ALLOWED = "allowed"
    REFUSED = "refused"
    FAILED = "failed"


#: Worst first: one refusal among a capability's calls makes it refused.
_RANK = {Answer.REFUSED: 0, Answer.FAILED: 1, Answer.ALLOWED: 2}


@dataclass(frozen=True)
class Probed:
    """One capability's answer: which call said so, and its errcode and detail."""

    capability: Capability
    answer: Answer
    call: str
    errcode: int | None = None
    detail: str = ""


def _day(d: date) -> str:
    return d.isoformat()


#: Each capability's harmless calls (gateway methods). Capabilities without one
#: (mass send, preview, comments, QR codes, OAuth) are known by the table alone.
PROBES: tuple[tuple[Capability, str, Call], ...] = (
    (Capability.CUSTOMER_SERVICE, "kf_list", lambda g, _: g.kf_list()),
    (Capability.TEMPLATE_MESSAGE, "private_templates", lambda g, _: g.private_templates()),
    (Capability.MATERIALS, "material_count", lambda g, _: g.material_count()),
    (Capability.MATERIALS, "draft_count", lambda g, _: g.draft_count()),
    (Capability.FREE_PUBLISH, "published_batchget",
     lambda g, _: g.published_batchget(0, 1, no_content=True)),
    (Capability.USER_INFO, "followers", lambda g, _: g.followers()),
    (Capability.MENU, "menu_info", lambda g, _: g.menu_info()),
    (Capability.DATACUBE, "datacube",
     lambda g, y: {"list": g.datacube("getusersummary", _day(y), _day(y))}),
)


def ask(gateway: Gateway, capability: Capability, name: str, call: Call,
        yesterday: date) -> Probed:
    """One probe call, its answer; never raises for what the platform says."""
    try:
        call(gateway, yesterday)
    except NotCalled as exc:  # a gateway that asks first: the platform was not asked
        return Probed(capability, Answer.FAILED, name, None, str(exc))
    except NotAuthorised as exc:
        return Probed(capability, Answer.REFUSED, name, exc.errcode, str(exc))
    except WeChatError as exc:
        return Probed(capability, Answer.FAILED, name, exc.errcode, str(exc))
    return Probed(capability, Answer.ALLOWED, name)


def probe(gateway: Gateway, yesterday: date) -> dict[Capability, Probed]:
    """Every probe, one answer per capability (a refusal wins, then a failure)."""
    answers: dict[Capability, Probed] = {}
    for capability, name, call in PROBES:
        probed = ask(gateway, capability, name, call, yesterday)
        kept = answers.get(capability)
        if kept is None or _RANK[probed.answer] < _RANK[kept.answer]:
            answers[capability] = probed
    return answers


def verdicts(answers: Mapping[Capability, Probed]) -> dict[Capability, bool]:
    """What the answers say of the permissions: allowed or refused (48001); a
    failed call says nothing."""
    return {cap: p.answer is Answer.ALLOWED for cap, p in answers.items()
            if p.answer is not Answer.FAILED}


def fits(kind: AccountKind, answers: Mapping[Capability, Probed]) -> tuple[AccountKind, ...]:
    """The kinds the answers fit; empty when none does. ``kind`` (the settings')
    comes first when it fits."""
    fitting = kinds_fitting(verdicts(answers))
    return tuple(sorted(fitting, key=lambda k: k != kind))


def learn_refusals(app: App, answers: Mapping[Capability, Probed], now: datetime) -> list[str]:
    """Record every 48001 as the capability learnt missing (as the sender does);
    returns the capabilities recorded."""
    refused = [p for p in answers.values() if p.answer is Answer.REFUSED]
    if not refused:
        return []
    with database.write_lock(app.engine), app.engine.begin() as conn:
        for p in refused:
            learnt_capabilities.learn(conn, p.capability, now, p.errcode, p.call)
    return [p.capability.value for p in refused]


class GivenToken:
    """A token source for a gateway that uses the token just fetched (``wxops
    doctor``: nothing stored), fetching again when WeChat rejects it."""

    def __init__(self, token: str, fetch: Callable[[], str]) -> None:
        self.token, self.fetch = token, fetch

    def get(self) -> str:
        return self.token

    def refresh(self, failed: str | None) -> str:
        self.token = self.fetch()
        return self.token


def yesterday(app: App) -> date:
    """Yesterday in the account's time zone: the last day datacube may be asked."""
    return (utcnow().astimezone(app.settings.tz) - timedelta(days=1)).date()


def cross_check(app: App, gateway: Gateway) -> tuple[AccountKind, ...] | None:
    """Probe, record the refusals, and warn (one line) when the answers contradict
    the configured kind. Returns the kinds that fit, or None when they agree."""
    kind = app.settings.kind
    gateway.tokens.get()  # once: WeChat unreachable raises here, not in every probe
    answers = probe(gateway, yesterday(app))
    if not verdicts(answers):
        first = next(iter(answers.values()))
        log.warning("capability probe at start-up skipped: no answer (%s)", first.detail)
        return None
    learnt = learn_refusals(app, answers, utcnow())
    fitting = fits(kind, answers)
    if kind in fitting:
        log.info("capability probe agrees with WXOPS_ACCOUNT_KIND (%s); refused: %s",
                 kind.name, ", ".join(learnt) or "none")
        return None
    log.warning("the platform's answers contradict WXOPS_ACCOUNT_KIND/VERIFIED (%s): "
                "allowed %s, refused %s; the kind that fits: %s (see wxops doctor)",
                kind.name, _listed(answers, Answer.ALLOWED), _listed(answers, Answer.REFUSED),
                ", ".join(k.name for k in fitting) or "none")
    return fitting


def _listed(answers: Mapping[Capability, Probed], answer: Answer) -> str:
    return ",".join(c.value for c, p in answers.items() if p.answer is answer) or "none"


def start_cross_check(app: App, make: Callable[[App], Gateway]) -> threading.Thread | None:
    """The worker's start-up check, in a thread of its own: start-up does not wait
    for it, and nothing it meets (WeChat unreachable, a database fault) stops the
    worker. None for the demo without an account."""
    if app.settings.demo:
        return None

    def run() -> None:
        try:
            cross_check(app, make(app))
        except WeChatError as exc:
            log.warning("capability probe at start-up skipped: %s", exc)
        except Exception:  # never the worker's end: said, and the worker goes on
            log.exception("capability probe at start-up failed")

    thread = threading.Thread(target=run, name="capability-probe", daemon=True)
    thread.start()
    return thread


def doctor_gateway(app: App, token: str) -> Gateway:
    """A gateway on the token ``wxops doctor`` fetched, storing nothing."""
    from bot.gateway import Gateway

    s = app.settings

    def fetch() -> str:
        return fetch_stable_token(s.wechat_api_base, s.app_id, s.app_secret, False)[0]

    return Gateway(s.app_id, s.app_secret, s.wechat_api_base, GivenToken(token, fetch))
