"""``wxops doctor``'s findings and the decisions that need no I/O: each check's
status, the verdict (the exit status), what a capability's table, learnt row
and probe say together, and whether the configured kind fits the answers.

A check is a stable ``code`` (``settings``, ``access_token``, ``server_url``,
``aes_key``, ``database``, ``worker``, ``outbox``, ``clock``, ``capability.<name>``,
``account_kind``; ``capabilities`` when none could be asked), a ``status``, a
``problem`` (what it found: the macro's case in templates/cli/doctor.j2 and the
``--json`` field scripts read) and JSON-ready ``data``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.probe import Answer, Probed
from workflow.capabilities import AccountKind, Capability, LearntMissing


class Status(StrEnum):
    OK = "ok"
    #: Something the account can use does not work: the exit status says so.
    FAIL = "fail"
    #: Works, but worth a look (no safe mode, dead outbox rows, a capability refused).
    WARN = "warn"
    #: Not applicable, or not checked because an earlier check failed.
    SKIP = "skip"


@dataclass(frozen=True)
class Check:
    code: str
    status: Status
    problem: str
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def macro(self) -> str:
        """Its macro in templates/cli/doctor.j2 (one for every capability)."""
        return self.code.split(".", 1)[0]

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "status": self.status.value, "problem": self.problem,
                "data": dict(self.data)}


def verdict(checks: Iterable[Check]) -> int:
    """The exit status: 0 only when no check failed (a warning or a capability the
    account's kind does not have is not a failure)."""
    return 1 if any(c.status is Status.FAIL for c in checks) else 0


def skipped(code: str, why: str) -> Check:
    """A check not made because an earlier one failed (``why``: which)."""
    return Check(code, Status.SKIP, why)


def transport_cause(detail: str) -> str:
    """How a connection failed, from its exception's words: ``timeout``,
    ``refused``, ``dns`` or ``other``."""
    low = detail.lower()
    if "timed out" in low or "timeout" in low:
        return "timeout"
    if "refused" in low:
        return "refused"
    if "resolve" in low or "name or service" in low or "nodename" in low:
        return "dns"
    return "other"


def kind_data(kind: AccountKind) -> dict[str, Any]:
    return {"type": kind.type.value, "verified": kind.verified}


def capability_check(capability: Capability, granted: bool, learnt: LearntMissing | None,
                     probed: Probed | None) -> Check:
    """One capability: the table for the account's kind, what was learnt missing,
    and the probe's answer (None: no harmless call exists for it)."""
    data: dict[str, Any] = {
        "capability": capability.value, "granted": granted,
        "probe": probed.answer.value if probed else None,
        "call": probed.call if probed else None,
        "errcode": probed.errcode if probed else None,
        "learnt_missing_since": learnt.since.isoformat() if learnt else None}
    code = f"capability.{capability.value}"
    status, problem = _capability_status(granted, learnt is not None, probed)
    if problem in ("works_but_learnt", "learnt_missing"):
        data["fix"] = f"wxops capabilities reset {capability.value}"
    if probed is not None and probed.answer is Answer.FAILED:
        data["detail"] = probed.detail
    return Check(code, status, problem, data)


def _capability_status(granted: bool, learnt: bool, probed: Probed | None
                       ) -> tuple[Status, str]:
    answer = probed.answer if probed else None
    if not granted:
        # The kind has not got it: not a failure, whatever the call said, unless
        # the platform allowed it (the kind setting is then wrong: account_kind).
        return (Status.WARN, "allowed_beyond_kind") if answer is Answer.ALLOWED \
            else (Status.SKIP, "not_granted")
    if answer is Answer.REFUSED:
        return Status.WARN, "refused"
    if answer is Answer.FAILED:
        return Status.FAIL, "probe_failed"
    if answer is Answer.ALLOWED:
        return (Status.WARN, "works_but_learnt") if learnt else (Status.OK, "works")
    return (Status.WARN, "learnt_missing") if learnt else (Status.OK, "by_table")


def kind_check(kind: AccountKind, fitting: tuple[AccountKind, ...], answered: int) -> Check:
    """Whether the configured kind fits the probes' answers (``fitting``: the kinds
    that do, from ``bot.probe.fits``; ``answered``: how many capabilities the
    platform allowed or refused)."""
    data: dict[str, Any] = {"kind": kind_data(kind),
                            "fitting": [kind_data(k) for k in fitting]}
    if not answered:
        return Check("account_kind", Status.SKIP, "nothing_answered", data)
    if kind in fitting:
        return Check("account_kind", Status.OK, "fits", data)
    if not fitting:
        return Check("account_kind", Status.WARN, "no_kind_fits", data)
    best = fitting[0]
    data["fix"] = (f"WXOPS_ACCOUNT_KIND={best.type.value} "
                   f"WXOPS_ACCOUNT_VERIFIED={'true' if best.verified else 'false'}")
    return Check("account_kind", Status.FAIL, "kind_wrong", data)


def answered(answers: Mapping[Capability, Probed]) -> int:
    """How many capabilities the platform allowed or refused (not failed)."""
    return sum(1 for p in answers.values() if p.answer is not Answer.FAILED)


#: Hosts on NTP agree within this (seconds); beyond it the log says so as well.
CLOCK_AGREES = 1.0


def clock_verdict(offset: float, max_skew: int) -> Check:
    """``offset``: the database server's clock less this host's, in seconds. Off by
    as much as ``WXOPS_MAX_CLOCK_SKEW`` (0: the check is off) one of them would
    have pushes refused as stale if it were the web host's."""
    data = {"offset_seconds": round(offset, 1), "max_skew": max_skew}
    if abs(offset) < CLOCK_AGREES:
        return Check("clock", Status.OK, "agrees", data)
    if max_skew and abs(offset) >= max_skew:
        return Check("clock", Status.FAIL, "far_off", data)
    return Check("clock", Status.WARN, "off", data)
