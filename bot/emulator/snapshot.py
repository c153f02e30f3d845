"""The emulator's memory across restarts, for the demo (``wxops emulator --state FILE``).

The real platform remembers who follows the account, when each person last
wrote (their customer-service window), the drafts and materials uploaded and
the access tokens issued. An emulator that forgot all that on every restart
would refuse, say, a reply to a follower who wrote a minute before the demo
was restarted (45015), or a publish of a draft made in the previous run.

The file is written by the emulator itself after every request that may have
changed something (atomically: a new file, then a rename), with pickle: the
state is plain dataclasses, and the file never comes from anywhere else than
this emulator on this machine. A file that cannot be read, or that belongs to
another AppID, is set aside (``.unreadable``) and the emulator starts afresh.
Not kept: injected failures and the clock's offset (test controls), and the
logs of calls and pushes (for inspection; they would only grow the file).
"""

from __future__ import annotations

import logging
import os
import pickle
from contextlib import suppress
from pathlib import Path
from typing import Any

from bot.emulator.state import EmulatorState

log = logging.getLogger("wxops.emulator")

FORMAT = 4  # bump when the shape of the kept parts changes (3: two windows a follower;
#            4: the image URLs uploaded kept as a set, for the draft box's cleaning,
#            and the uploaded images' bytes, served as the image host)
KEPT = ("tokens", "audience", "library", "publishing", "comments", "quotas",
        "datacube_seeds", "last_follower_msg_id")


def save(state: EmulatorState, path: Path) -> None:
    """Write the kept parts of ``state``; the caller holds ``state.lock``."""
    parts = {name: getattr(state, name) for name in KEPT}
    data = pickle.dumps({"format": FORMAT, "app_id": state.config.app_id, "parts": parts},
                        protocol=pickle.HIGHEST_PROTOCOL)
    partial = path.with_name(f"{path.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def load(state: EmulatorState, path: Path) -> bool:
    """Restore what ``save`` kept; False (and the file set aside) when it cannot be used."""
    if not path.exists():
        return False
    saved = _read(path)
    if saved is None or saved.get("app_id") != state.config.app_id:
        why = "unreadable or of another format" if saved is None else "of another AppID"
        log.warning("emulator state %s is %s; starting afresh", path, why)
        with suppress(OSError):  # if it cannot be moved, the next save replaces it
            os.replace(path, path.with_name(f"{path.name}.unreadable"))
        return False
    for name, value in saved["parts"].items():
        setattr(state, name, value)
    return True


def _read(path: Path) -> dict[str, Any] | None:
    try:
        saved = pickle.loads(path.read_bytes())  # written by this emulator only
    except Exception:  # a truncated or foreign file fails in many ways; all mean "unusable"
        return None
    if not isinstance(saved, dict) or saved.get("format") != FORMAT:
        return None
    parts = saved.get("parts")
    if not isinstance(parts, dict) or set(parts) != set(KEPT):
        return None
    return saved
