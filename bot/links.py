"""Page links' addresses: ``WXOPS_PUBLIC_URL`` + the page's path + the link's key,
signed (itsdangerous), so an address nobody was given cannot be made up.

The signing key is ``WXOPS_LINK_SECRET``, or else derived from the AppSecret:
then a new AppSecret (reset in the official backend) makes every link sent
before it read as unknown (404), and people ask for a new one with 预览.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, Signer

from bot.config import Settings
from workflow.pages import PageKind, PageLink

SALT = b"wxops.page-link"
#: Where each kind of page is served (bot/pages routes the same prefixes).
PATHS = {PageKind.PREVIEW: "/preview/", PageKind.REPORT: "/report/"}
#: A token longer than this is not one of ours (a key of 22 and its signature).
MAX_TOKEN = 100


def signing_key(settings: Settings) -> bytes:
    """``WXOPS_LINK_SECRET``, or a key derived from the AppSecret (the demo's
    emulator secret in the demo), never the AppSecret itself."""
    if settings.link_secret:
        return settings.link_secret.encode()
    return hmac.new(settings.app_secret.encode(), SALT, hashlib.sha256).digest()


@dataclass(frozen=True)
class PageAddresses:
    """Makes a link's address and reads the key back out of one."""

    public_url: str  # "" when the web pages have no address people can open
    secret: bytes
    lifetime: timedelta  # of a preview link
    report_lifetime: timedelta = timedelta(days=30)

    @classmethod
    def from_settings(cls, settings: Settings) -> PageAddresses:
        return cls(settings.public_url, signing_key(settings),
                   timedelta(hours=settings.preview_link_hours),
                   timedelta(days=settings.report_link_days))

    @property
    def _signer(self) -> Signer:
        return Signer(self.secret, salt=SALT, digest_method=hashlib.sha256)

    def token(self, key: str) -> str:
        return self._signer.sign(key).decode()

    def url(self, link: PageLink) -> str:
        return f"{self.public_url}{PATHS[link.kind]}{self.token(link.key)}"

    def key(self, token: str) -> str | None:
        """The key a token carries, or None when its signature is not ours."""
        if len(token) > MAX_TOKEN:
            return None
        try:
            return self._signer.unsign(token.encode()).decode()
        except (BadSignature, UnicodeError):
            return None


def addresses_for_chat(settings: Settings) -> PageAddresses | None:
    """What 预览 makes links with: None while no public address is set."""
    return PageAddresses.from_settings(settings) if settings.public_url else None
