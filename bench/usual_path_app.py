"""wxops with the one-statement push switched off (``bot.one_trip``): every push
takes the usual transaction, as before migration 0030. For
``bench/inbound.py --usual-path`` only, to compare the two in the same run."""

from __future__ import annotations

from typing import Any

from bot import one_trip


def _usual_way(*args: Any, **kwargs: Any) -> None:
    return None


one_trip.answer = _usual_way

from bot.wsgi import app  # noqa: E402

__all__ = ["app"]
