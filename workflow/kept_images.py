"""Images kept in wxops for the preview, on an account that cannot upload them.

An account without materials (no ``media/uploadimg``) gets no platform URL
for a body image. Leaving the image out would hide it from the reviewers, so
its prepared bytes are kept in wxops by their sha256 and the body names them
by a placeholder address under a reserved name (``.invalid`` resolves nowhere,
RFC 6761). The preview page serves them under its own signed link; the checks
say the platform would drop them (``image_kept``); the draft box never gets a
body holding one (bot/deliveries.py refuses it: WeChat would drop the image
without a word).
"""

from __future__ import annotations

import re

PLACEHOLDER_HOST = "wxops.invalid"
PREFIX = f"https://{PLACEHOLDER_HOST}/kept/"
_SHA256 = re.compile(r"[0-9a-f]{64}")
_IN_BODY = re.compile(re.escape(PREFIX) + r"([0-9a-f]{64})")


def placeholder(sha256: str) -> str:
    """The address a body gives a kept image."""
    if not _SHA256.fullmatch(sha256):
        raise ValueError("not a sha256 in hex")
    return PREFIX + sha256


def sha256_of(src: str) -> str | None:
    """The hash a placeholder names; None for any other address."""
    found = _IN_BODY.fullmatch(src.strip())
    return found.group(1) if found else None


def kept_in(body: str) -> list[str]:
    """The hashes of the kept images a body names, in order, once each."""
    return list(dict.fromkeys(_IN_BODY.findall(body or "")))


def served_from(body: str, base: str) -> str:
    """The body with each placeholder pointing at ``base`` + the hash (the
    preview page's own image route)."""
    return body.replace(PREFIX, base)
