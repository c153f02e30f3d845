"""What the account may call on the platform: its kind and one capability table.

The platform gives each kind of Official Account (subscription or service,
verified by WeChat or not) a different set of interfaces: the table
"接口权限说明" (Getting_Started/Explanation_of_interface_privileges).
``TABLE`` below is that table, by capability; docs/platform.md says which
sources it follows and why where they disagree. An account registered to a
person counts as an unverified subscription account.

The table is what the platform promises; an account may still be refused a
capability the table grants (48001, "api unauthorized"). ``Capabilities``
keeps what was learnt so on top of the table, with the time it was learnt.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType


class AccountType(StrEnum):
    """The platform's two kinds of Official Account (the setting's values)."""

    SUBSCRIPTION = "subscription"
    SERVICE = "service"


@dataclass(frozen=True)
class AccountKind:
    """One of the four kinds of account: its type and whether WeChat verified it."""

    type: AccountType
    verified: bool

    @classmethod
    def parse(cls, account_type: str, verified: bool) -> AccountKind:
        """From the settings' words; ValueError for a type that is not one."""
        return cls(AccountType(account_type), verified)

    @property
    def name(self) -> str:
        """``verified-service``, ``unverified-subscription``, ...: for logs and reports."""
        return f"{'verified' if self.verified else 'unverified'}-{self.type.value}"


#: The kind wxops assumed before it knew kinds, and the default.
VERIFIED_SERVICE = AccountKind(AccountType.SERVICE, verified=True)
VERIFIED_SUBSCRIPTION = AccountKind(AccountType.SUBSCRIPTION, verified=True)
UNVERIFIED_SERVICE = AccountKind(AccountType.SERVICE, verified=False)
UNVERIFIED_SUBSCRIPTION = AccountKind(AccountType.SUBSCRIPTION, verified=False)
ALL_KINDS = (UNVERIFIED_SUBSCRIPTION, VERIFIED_SUBSCRIPTION, UNVERIFIED_SERVICE,
             VERIFIED_SERVICE)


class Capability(StrEnum):
    """A group of platform interfaces that the permission table grants together."""

    #: receiving messages and events, and the passive reply to them
    RECEIVE = "receive"
    #: ``cgi-bin/token`` and ``cgi-bin/stable_token``
    ACCESS_TOKEN = "access_token"
    #: ``message/custom/send``
    CUSTOMER_SERVICE = "customer_service"
    #: ``message/template/send``
    TEMPLATE_MESSAGE = "template_message"
    #: mass send to all followers or a tag (``message/mass/sendall``)
    MASS_SEND = "mass_send"
    #: mass send to a list of openids (``message/mass/send``)
    MASS_SEND_OPENIDS = "mass_send_openids"
    #: ``message/mass/preview``: part of the mass-send interfaces
    PREVIEW = "preview"
    #: user info and the follower list (``user/info``, ``user/get``)
    USER_INFO = "user_info"
    #: materials, ``media/uploadimg`` and so the draft box (``draft/*``)
    MATERIALS = "materials"
    #: ``freepublish/*``
    FREE_PUBLISH = "free_publish"
    #: article comments (``comment/*``): only articles a verified account sent have them
    COMMENTS = "comments"
    #: the custom menu API (``menu/*``)
    MENU = "menu"
    #: parametric QR codes (``qrcode/create``)
    QRCODE = "qrcode"
    #: web OAuth (``sns/oauth2``)
    OAUTH = "oauth"
    #: analytics (``datacube/*``)
    DATACUBE = "datacube"


def _kinds(*kinds: AccountKind) -> frozenset[AccountKind]:
    return frozenset(kinds)


_EVERY_KIND = _kinds(*ALL_KINDS)
_VERIFIED = _kinds(VERIFIED_SUBSCRIPTION, VERIFIED_SERVICE)
_VERIFIED_SERVICE = _kinds(VERIFIED_SERVICE)

#: The one table: which kinds of account may call each capability.
TABLE: Mapping[Capability, frozenset[AccountKind]] = MappingProxyType({
    Capability.RECEIVE: _EVERY_KIND,
    Capability.ACCESS_TOKEN: _EVERY_KIND,
    Capability.CUSTOMER_SERVICE: _VERIFIED,
    Capability.TEMPLATE_MESSAGE: _VERIFIED_SERVICE,
    Capability.MASS_SEND: _VERIFIED,
    Capability.MASS_SEND_OPENIDS: _VERIFIED_SERVICE,
    Capability.PREVIEW: _VERIFIED,
    Capability.USER_INFO: _VERIFIED,
    Capability.MATERIALS: _VERIFIED,
    # Withdrawn in July 2025 from unverified accounts and accounts registered to a
    # person (who count as unverified subscription accounts here).
    Capability.FREE_PUBLISH: _VERIFIED,
    Capability.COMMENTS: _VERIFIED,
    Capability.MENU: _kinds(VERIFIED_SUBSCRIPTION, UNVERIFIED_SERVICE, VERIFIED_SERVICE),
    Capability.QRCODE: _VERIFIED_SERVICE,
    Capability.OAUTH: _VERIFIED_SERVICE,
    Capability.DATACUBE: _VERIFIED,
})


def granted(kind: AccountKind, capability: Capability) -> bool:
    """What the platform's table promises this kind of account."""
    return kind in TABLE[capability]


def granted_to(kind: AccountKind) -> frozenset[Capability]:
    """Every capability the table gives this kind of account."""
    return frozenset(cap for cap in Capability if granted(kind, cap))


def kinds_fitting(answers: Mapping[Capability, bool]) -> tuple[AccountKind, ...]:
    """The kinds of account whose table agrees with what the platform answered:
    ``answers`` maps each capability asked to whether the platform allowed it
    (False: it answered 48001). Capabilities not asked say nothing."""
    return tuple(kind for kind in ALL_KINDS
                 if all(granted(kind, cap) == allowed for cap, allowed in answers.items()))


@dataclass(frozen=True)
class Capabilities:
    """The account's capabilities: the table for its kind, less any the platform
    refused (48001) although the table grants them, with when that was learnt."""

    kind: AccountKind
    missing: Mapping[Capability, datetime] = field(default_factory=dict)

    def allows(self, capability: Capability) -> bool:
        return granted(self.kind, capability) and capability not in self.missing


@dataclass(frozen=True)
class LearntMissing:
    """How a capability was learnt missing: since when, the errcode the platform
    answered (48001) and the call that met it."""

    since: datetime
    errcode: int | None
    call: str


def learnt(kind: AccountKind, missing: Mapping[Capability, LearntMissing]) -> Capabilities:
    """The account's capabilities: the table for ``kind`` less what was learnt
    missing. A capability the table does not grant this kind stays refused by
    the table; its row only says when the platform confirmed it."""
    return Capabilities(kind, {cap: how.since for cap, how in missing.items()})


class KeptCapabilities:
    """The account's capabilities, the learnt part re-read at most every ``ttl``
    seconds: the sender asks it per delivery without a query each time."""

    def __init__(self, kind: AccountKind, ttl: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.kind, self.ttl, self.clock = kind, ttl, clock
        self._kept: tuple[float, Capabilities] | None = None

    def current(self, read: Callable[[], Mapping[Capability, LearntMissing]]) -> Capabilities:
        now = self.clock()
        if self._kept is None or now - self._kept[0] >= self.ttl:
            self._kept = (now, learnt(self.kind, read()))
        return self._kept[1]


#: What wxops assumed before it knew kinds: a verified service account, nothing
#: learnt missing (the default where no settings say otherwise).
FULL = Capabilities(VERIFIED_SERVICE)
